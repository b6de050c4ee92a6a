"""USB descriptor parser (issue 6): the long fuzz run and the parsing throughput.

- fuzz: the test's hypothesis strategy (bytes of the sim's 4i4 and KeyLab sets changed,
  cut, inserted, truncated) for 100 000 examples; any exception other than the parser's
  own DescriptorError fails it;
- throughput: the 4i4's full set (device + configuration) parsed again and again.

    .venv/bin/python bench/usb_descriptors.py --examples 100000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from pytest_usbgate.sim.usb.descriptors import scarlett_4i4_gen4
from pytest_usbgate.usb.descriptors import parse_descriptors

TESTS = Path(__file__).resolve().parent.parent / "tests" / "test_usb_descriptors.py"


def fuzz(examples: int) -> None:
    began = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(TESTS), "-k", "fuzz"],
        env={**os.environ, "USBGATE_FUZZ_EXAMPLES": str(examples)},
        capture_output=True,
        text=True,
    )
    took = time.monotonic() - began
    last = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-500:]
    print(f"fuzz, {examples} mutated sets: exit {run.returncode} ({last}) in {took:.0f} s")


def throughput(seconds: float = 3.0) -> None:
    data = scarlett_4i4_gen4().sysfs
    count, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        parse_descriptors(data)
        count += 1
    took = time.perf_counter() - began
    print(
        f"throughput: the 4i4 set ({len(data)} bytes) {count / took:,.0f} sets/s, "
        f"{count * len(data) / took / 1e6:.2f} MB/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=100_000)
    args = parser.parse_args()
    throughput()
    fuzz(args.examples)


if __name__ == "__main__":
    main()
