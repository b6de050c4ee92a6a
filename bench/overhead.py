"""Plugin overhead: 1000 trivial gate tests with and without pytest-usbgate.

Generates suites/design/ with N trivial tests in a scratch folder, then times whole
pytest runs, alternating the configurations so machine noise hits all of them alike:

  off         -p no:usbgate                       (the plugin disabled)
  gate        --gate=design                       (the plugin on, Allure evidence on)
  allure-only -p no:usbgate --alluredir=…         (Allure on, our plugin off)

The target (issue: gate engine) is gate/off <= 1.10. gate/allure-only isolates what our
own code costs from what allure-pytest's per-test result files cost.

    .venv/bin/python bench/overhead.py [--tests 1000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PER_FILE = 100


def make_suite(root: Path, tests: int) -> None:
    folder = root / "suites" / "design"
    folder.mkdir(parents=True)
    for start in range(0, tests, PER_FILE):
        body = "".join(
            f"def test_{i}():\n    pass\n\n\n" for i in range(start, min(start + PER_FILE, tests))
        )
        (folder / f"test_gen_{start // PER_FILE:03d}.py").write_text(body)


def run(root: Path, args: list[str]) -> float:
    shutil.rmtree(root / "reports", ignore_errors=True)
    shutil.rmtree(root / "allure", ignore_errors=True)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "suites", *args],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    opts = parser.parse_args()
    configs = {
        "off": ["-p", "no:usbgate"],
        "gate": ["--gate=design", "--build-id=bench"],
        "allure-only": ["-p", "no:usbgate", "--alluredir=allure"],
    }
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        make_suite(root, opts.tests)
        times: dict[str, list[float]] = {name: [] for name in configs}
        for _ in range(opts.rounds):
            for name, args in configs.items():
                times[name].append(run(root, args))
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"{opts.tests} trivial gate tests, {opts.rounds} rounds, median wall seconds:")
    for name, value in median.items():
        print(
            f"  {name:12} {value:7.3f} s   (min {min(times[name]):.3f}, max {max(times[name]):.3f})"
        )
    print(f"gate / off         = {median['gate'] / median['off']:.3f}   (target <= 1.10)")
    print(f"gate / allure-only = {median['gate'] / median['allure-only']:.3f}")


if __name__ == "__main__":
    main()
