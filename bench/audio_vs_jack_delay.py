"""Our latency against jack_delay (Debian package jack-delay, the reference meter) and
against the device model's truth, on one JACK loop: the sim rig's server and its
modelled 4i4 cable (issue 5). jack_delay is a JACK client of its own, wired straight to
the model's ports; ours plays and records through PortAudio (the audio_loopback path).
JACK adds whole periods, which depend on how each client is scheduled, so the truth is
the cable's delay plus a whole number of periods; both meters are shown against it.

    apt-get install jack-delay
    LD_PRELOAD=libumockdev-preload.so.0 .venv/bin/python bench/audio_vs_jack_delay.py
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import replace
from pathlib import Path

from pytest_usbgate.audio.analysis import analyze
from pytest_usbgate.audio.stream import rig_audio
from pytest_usbgate.config.rig import load_rig
from pytest_usbgate.sim.jack_server import client_env
from pytest_usbgate.sim.session import SimSession, plan

RIG = Path(__file__).resolve().parent.parent / "pytest_usbgate" / "config" / "rigs" / "sim.toml"
READING = re.compile(r"^\s*([0-9.]+) frames\s+([0-9.]+) ms")


def jack_delay(server: str, client: str, output: int, input_: int, seconds: float) -> list[float]:
    """jack_delay's readings (frames) over `seconds`, after its ~1 s settling."""
    binary = shutil.which("jack_delay")
    if binary is None:
        raise SystemExit("jack_delay not found: apt-get install jack-delay")
    proc = subprocess.Popen(
        [binary, "-O", f"{client}:playback_{output}", "-I", f"{client}:capture_{input_}"],
        env={**os.environ, **client_env(server)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    time.sleep(seconds)
    proc.terminate()
    output_text, _ = proc.communicate(timeout=10)
    readings = [
        float(m.group(1)) for line in output_text.splitlines() if (m := READING.match(line))
    ]
    return readings[len(readings) // 2 :]  # the settled half


def main() -> None:
    rig = load_rig(RIG)
    session = SimSession(plan(rig, frozenset())).start()
    try:
        loop = rig_audio(rig)
        assert loop is not None and rig.sim is not None
        loop = replace(loop, host_xruns=session.xruns)
        truth, period = rig.sim.delay_samples, session.plan.blocksize
        client = session.ready["clients"][0]
        for round_ in range(3):
            reference = jack_delay(session.server, client, loop.output, loop.input, 4.0)
            take = loop.take(loop.stimulus("multitone", 2.0))
            ours = analyze(take.stimulus, take.returned()).latency_samples
            ref = sorted(reference)[len(reference) // 2] if reference else float("nan")
            ref_truth = truth + round((ref - truth) / period) * period
            our_truth = truth + round((ours - truth) / period) * period
            print(
                f"round {round_ + 1}: jack_delay {ref:.3f} frames over {len(reference)} "
                f"settled readings (spread {max(reference) - min(reference):.3f}), truth "
                f"{ref_truth:.3f}, error {abs(ref - ref_truth):.3f}; ours {ours:.6f} samples "
                f"(take {take.number}, xruns {take.xruns}), truth {our_truth:.3f}, error "
                f"{abs(ours - our_truth):.6f}"
            )
    finally:
        session.stop()


if __name__ == "__main__":
    main()
