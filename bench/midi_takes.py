"""MIDI round trips on the sim while the host is busy: what takes of `io.midi.TAKE`
messages, each taken again while the JACK server reports xruns, make of a 1000-message
round trip. Start a load beside it (a parallel test run) to see takes taken again.

    LD_PRELOAD=libumockdev-preload.so.0 .venv/bin/python bench/midi_takes.py [RUNS]

One JSON line per round trip: start (s), duration (s), takes taken again, p99, max and
peak jitter (ms), lost; or the InfrastructureError when every take of one was disturbed.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from pytest_usbgate.errors import InfrastructureError
from pytest_usbgate.io.midi import rig_midi, round_trip
from pytest_usbgate.rig import load_rig
from pytest_usbgate.sim.session import SimSession, plan

RIG = Path(__file__).resolve().parent.parent / "rigs" / "sim.toml"


def main(runs: int) -> None:
    began = time.monotonic()
    rig = load_rig(RIG)
    sim = SimSession(plan(rig, frozenset())).start()
    try:
        device = rig_midi(rig, "midi.loopback")
        assert device is not None
        with replace(device.port, host_xruns=sim.xruns).open() as ports:
            for _ in range(runs):
                start = time.monotonic()
                try:
                    stats = round_trip(ports, 1000)
                except InfrastructureError as exc:
                    print(json.dumps({"t_s": round(start - began), "error": str(exc)}))
                    continue
                row = {
                    "t_s": round(start - began),
                    "took_s": round(time.monotonic() - start, 1),
                    "takes_again": stats.takes_again,
                    "p99_ms": round(stats.percentile_ms(99), 2),
                    "max_ms": round(stats.max_ms, 2),
                    "jitter_peak_ms": round(stats.jitter_peak_ms, 2),
                    "lost": stats.lost,
                }
                print(json.dumps(row), flush=True)
    finally:
        sim.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
