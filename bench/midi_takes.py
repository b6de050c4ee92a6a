"""MIDI round trips on the sim while the host is busy: what takes of `midi.ports.TAKE`
messages make of a round trip when the JACK server reports xruns (messages one came near
left out, takes with most of them left out taken again). Start a load beside it (a
parallel test run) to see them.

    LD_PRELOAD=libumockdev-preload.so.0 .venv/bin/python bench/midi_takes.py [RUNS]
        [--messages 1000] [--rate PER_S]      # --rate: paced, as the production soak

One JSON line per round trip: start (s), duration (s), the server's xruns during it,
takes taken again, messages left out, p99, max and peak jitter (ms), lost; or the
InfrastructureError when every take of one was disturbed.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

from pytest_usbgate.config.rig import load_rig
from pytest_usbgate.errors import InfrastructureError
from pytest_usbgate.midi.ports import rig_midi, round_trip
from pytest_usbgate.sim.session import SimSession, plan

RIG = Path(__file__).resolve().parent.parent / "rigs" / "sim.toml"


def main(runs: int, messages: int, rate_per_s: float | None) -> None:
    began = time.monotonic()
    rig = load_rig(RIG)
    sim = SimSession(plan(rig, frozenset())).start()
    try:
        device = rig_midi(rig, "midi.loopback")
        assert device is not None
        with replace(device.port, host_xruns=sim.xruns_ns).open() as ports:
            for _ in range(runs):
                start, xruns = time.monotonic(), sim.xruns()
                try:
                    stats = round_trip(ports, messages, rate_per_s)
                except InfrastructureError as exc:
                    print(json.dumps({"t_s": round(start - began), "error": str(exc)}))
                    continue
                row = {
                    "t_s": round(start - began),
                    "took_s": round(time.monotonic() - start, 1),
                    "xruns": sim.xruns() - xruns,
                    "takes_again": stats.takes_again,
                    "left_out": stats.left_out,
                    "p99_ms": round(stats.percentile_ms(99), 2),
                    "max_ms": round(stats.max_ms, 2),
                    "jitter_peak_ms": round(stats.jitter_peak_ms, 2),
                    "lost": stats.lost,
                }
                print(json.dumps(row), flush=True)
    finally:
        sim.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=int, nargs="?", default=10)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=None, help="paced, messages per second")
    args = parser.parse_args()
    main(args.runs, args.messages, args.rate)
