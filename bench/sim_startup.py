"""Sim rig start-up cost: seconds from session start to all services ready (jackd
accepting clients, device models live, umockdev testbed with both devices, QEMU's QMP
answering), and the stop time. Target: start under 5 s on a 2-core machine.

    LD_PRELOAD=libumockdev-preload.so.0 .venv/bin/python bench/sim_startup.py --rounds 7
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from pytest_usbgate.config.rig import load_rig
from pytest_usbgate.sim.session import SimSession, plan

RIG = Path(__file__).resolve().parent.parent / "pytest_usbgate" / "config" / "rigs" / "sim.toml"


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--rounds", type=int, default=7)
    rounds = args.parse_args().rounds
    rig = load_rig(RIG)
    starts, stops = [], []
    for _ in range(rounds):
        session = SimSession(plan(rig, frozenset())).start()
        starts.append(session.startup_s)
        began = time.monotonic()
        session.stop()
        stops.append(time.monotonic() - began)
    print(f"rounds {rounds}")
    print(f"start  median {statistics.median(starts):.3f} s  max {max(starts):.3f} s")
    print(f"stop   median {statistics.median(stops):.3f} s  max {max(stops):.3f} s")


if __name__ == "__main__":
    main()
