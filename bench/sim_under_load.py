"""The sim rig's frame-exact checks under load that makes JACK miss cycles.

Two kinds of busy host:
- `--load rt` (default): two processes at real-time priority above jackd's (SCHED_FIFO
  20; jackd runs at 10) each spin for `--burst-ms` every `--every-ms` on the two cores,
  so the server is late now and then and reports xruns.
- `--load no-rt`: a host that grants no real-time priority (a CI container, say): jackd
  and every JACK client are put back to SCHED_OTHER as soon as they appear, and two
  processes spin without pause at normal priority.

Each round runs one check in a new pytest session, without and with its faults in turn,
and counts the sessions that pass: `--check midi` the MIDI checks of
tests/test_sim_rig.py, `--check audio` the audio gate of tests/test_audio_gate.py.
Needs root (real-time priority, or taking it away).

    .venv/bin/python bench/sim_under_load.py --rounds 12
    .venv/bin/python bench/sim_under_load.py --check audio --load no-rt --rounds 6
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
CHECKS = {
    # (test file, -k selection, faults of the odd rounds)
    "midi": (
        "tests/test_sim_rig.py",
        "latency or rtmidi",
        ["--usbgate-fault", "midi-drop", "--usbgate-fault", "midi-late"],
    ),
    "audio": ("tests/test_audio_gate.py", "", []),  # its own fault cases are parametrized
}


def hog(burst_s: float, every_s: float, for_s: float, realtime: bool) -> None:
    """Spin `burst_s` every `every_s` (at real-time priority if `realtime`), for `for_s`."""
    if realtime:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(20))
    end = time.monotonic() + for_s
    while time.monotonic() < end:
        start = time.monotonic()
        while time.monotonic() - start < burst_s:
            pass
        time.sleep(every_s - burst_s)


def start_hogs(
    burst_s: float, every_s: float, for_s: float, realtime: bool
) -> list[subprocess.Popen[bytes]]:
    code = f"import bench.sim_under_load as b; b.hog({burst_s}, {every_s}, {for_s}, {realtime})"
    return [
        subprocess.Popen([sys.executable, "-c", code], cwd=CHECKOUT)
        for _ in range(os.cpu_count() or 2)
    ]


def demote_realtime(stop: threading.Event) -> None:
    """Until `stop`: every real-time thread of a user process back to SCHED_OTHER."""
    while not stop.wait(0.02):
        for task in Path("/proc").glob("[0-9]*/task/[0-9]*"):
            try:
                tid = int(task.name)
                if os.sched_getscheduler(tid) not in (os.SCHED_FIFO, os.SCHED_RR):
                    continue
                if not (task.parent.parent / "cmdline").read_bytes():
                    continue  # a kernel thread
                os.sched_setscheduler(tid, os.SCHED_OTHER, os.sched_param(0))
            except (OSError, ValueError):
                continue  # gone meanwhile


def session(check: str, faults: bool) -> tuple[bool, float, str]:
    """(passed, seconds, last line) of one pytest session of `check`."""
    path, selection, fault_args = CHECKS[check]
    argv = [sys.executable, "-m", "pytest", path, "-q", "-p", "no:randomly"]
    argv += ["-p", "no:cacheprovider", *(["-k", selection] if selection else [])]
    argv += fault_args if faults else []
    start = time.monotonic()
    proc = subprocess.run(argv, cwd=CHECKOUT, capture_output=True, text=True, timeout=900)
    lines = proc.stdout.strip().splitlines()
    return proc.returncode == 0, time.monotonic() - start, lines[-1] if lines else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", choices=sorted(CHECKS), default="midi")
    parser.add_argument("--load", choices=["rt", "no-rt", "none"], default="rt")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--burst-ms", type=float, default=12.0)
    parser.add_argument("--every-ms", type=float, default=92.0)
    args = parser.parse_args()
    if os.geteuid() != 0 and args.load != "none":
        print("sim_under_load: changing priorities needs root (or --load none)", file=sys.stderr)
        return 2
    passed = 0
    for round_ in range(args.rounds):
        faults = round_ % 2 == 1 and bool(CHECKS[args.check][2])
        stop = threading.Event()
        hogs = []
        if args.load == "rt":
            hogs = start_hogs(args.burst_ms / 1e3, args.every_ms / 1e3, 900.0, True)
        elif args.load == "no-rt":
            hogs = start_hogs(1.0, 1.0, 900.0, False)  # a burst as long as the interval: no pause
            threading.Thread(target=demote_realtime, args=(stop,), daemon=True).start()
        try:
            ok, seconds, last = session(args.check, faults)
        finally:
            stop.set()
            for proc in hogs:
                proc.kill()
                proc.wait()
        passed += ok
        print(f"round {round_ + 1:2d} faults={'yes' if faults else 'no'}: {seconds:5.1f} s  {last}")
    print(f"{passed}/{args.rounds} sessions passed ({args.check}, load {args.load})")
    return 0 if passed == args.rounds else 1


if __name__ == "__main__":
    sys.exit(main())
