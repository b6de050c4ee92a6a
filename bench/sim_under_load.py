"""The sim rig's frame-exact checks under load that makes JACK miss cycles.

Two processes at real-time priority above jackd's (SCHED_FIFO 20; jackd runs at 10)
each spin for `--burst-ms` every `--every-ms` on the two cores, so the server is late
now and then and reports xruns, as on a busy CI machine. Each round runs the MIDI checks
of tests/test_sim_rig.py in a new pytest session, without and with the MIDI faults in
turn, and counts the sessions that pass. Needs root (real-time priority).

    .venv/bin/python bench/sim_under_load.py --rounds 12
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
SELECTION = "latency or rtmidi"
FAULTS = ["--usbgate-fault", "midi-drop", "--usbgate-fault", "midi-late"]


def hog(burst_s: float, every_s: float, for_s: float) -> None:
    """Spin `burst_s` every `every_s` at real-time priority, for `for_s`."""
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(20))
    end = time.monotonic() + for_s
    while time.monotonic() < end:
        start = time.monotonic()
        while time.monotonic() - start < burst_s:
            pass
        time.sleep(every_s - burst_s)


def start_hogs(burst_s: float, every_s: float, for_s: float) -> list[subprocess.Popen[bytes]]:
    code = f"import bench.sim_under_load as b; b.hog({burst_s}, {every_s}, {for_s})"
    return [
        subprocess.Popen([sys.executable, "-c", code], cwd=CHECKOUT)
        for _ in range(os.cpu_count() or 2)
    ]


def session(faults: bool) -> tuple[bool, float, str]:
    """(passed, seconds, last line) of one pytest session of the MIDI checks."""
    argv = [sys.executable, "-m", "pytest", "tests/test_sim_rig.py", "-q", "-p", "no:randomly"]
    argv += ["-p", "no:cacheprovider", "-k", SELECTION, *(FAULTS if faults else [])]
    start = time.monotonic()
    proc = subprocess.run(argv, cwd=CHECKOUT, capture_output=True, text=True, timeout=300)
    lines = proc.stdout.strip().splitlines()
    return proc.returncode == 0, time.monotonic() - start, lines[-1] if lines else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--burst-ms", type=float, default=12.0)
    parser.add_argument("--every-ms", type=float, default=92.0)
    parser.add_argument("--no-load", action="store_true", help="the same sessions, no hogs")
    args = parser.parse_args()
    if os.geteuid() != 0 and not args.no_load:
        print("sim_under_load: real-time priority needs root (or --no-load)", file=sys.stderr)
        return 2
    passed = 0
    for round_ in range(args.rounds):
        faults = round_ % 2 == 1
        hogs = [] if args.no_load else start_hogs(args.burst_ms / 1e3, args.every_ms / 1e3, 60.0)
        try:
            ok, seconds, last = session(faults)
        finally:
            for proc in hogs:
                proc.kill()
                proc.wait()
        passed += ok
        print(
            f"round {round_ + 1:2d} faults={'midi' if faults else 'none'}: {seconds:5.1f} s  {last}"
        )
    print(f"{passed}/{args.rounds} sessions passed")
    return 0 if passed == args.rounds else 1


if __name__ == "__main__":
    sys.exit(main())
