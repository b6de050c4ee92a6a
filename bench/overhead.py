"""Plugin overhead: 1000 trivial gate tests with and without pytest-usbgate.

Generates suites/design/ with N trivial tests in a scratch folder, then times whole
pytest runs, alternating the configurations so machine noise hits all of them alike:

  off         -p no:usbgate                       (the plugin disabled)
  gate        --gate=design                       (the plugin on, Allure evidence on)
  allure-only -p no:usbgate --alluredir=…         (allure-pytest alone, our plugin off)
  no-allure   --gate=design -p no:allure_pytest   (our plugin alone, no Allure evidence)
  listener    allure-only, but allure-pytest's file logger unregistered (a conftest in
              the scratch suite): its listener's per-test work alone, no files written

The target (issue: gate engine) is gate/off <= 1.10. allure-only/off is what
allure-pytest costs by itself; no-allure/off is what our own hooks cost.

Every configuration runs as a user's would: bytecode caches written (a
PYTHONDONTWRITEBYTECODE in this shell is dropped), one warm-up round not counted, and
plugins no configuration needs (hypothesis, the cache) disabled in all of them.

    .venv/bin/python bench/overhead.py [--tests 1000] [--rounds 9]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PER_FILE = 100


NO_FILES_CONFTEST = """
import os
import allure_commons
import pytest
from allure_commons.logger import AllureFileLogger

@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    if os.environ.get("BENCH_NO_ALLURE_FILES"):
        for plugin in allure_commons.plugin_manager.get_plugins():
            if isinstance(plugin, AllureFileLogger):
                allure_commons.plugin_manager.unregister(plugin)
                config.add_cleanup(lambda: allure_commons.plugin_manager.register(plugin))
"""


def make_suite(root: Path, tests: int) -> None:
    folder = root / "suites" / "design"
    folder.mkdir(parents=True)
    (root / "conftest.py").write_text(NO_FILES_CONFTEST)
    for start in range(0, tests, PER_FILE):
        body = "".join(
            f"def test_{i}():\n    pass\n\n\n" for i in range(start, min(start + PER_FILE, tests))
        )
        (folder / f"test_gen_{start // PER_FILE:03d}.py").write_text(body)


COMMON = ["-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "suites"]
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(root: Path, args: list[str]) -> float:
    shutil.rmtree(root / "reports", ignore_errors=True)
    shutil.rmtree(root / "allure", ignore_errors=True)
    env = dict(ENV)
    if args[0] == "listener":
        env["BENCH_NO_ALLURE_FILES"] = "1"
        args = args[1:]
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", *COMMON, *args],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=9)
    opts = parser.parse_args()
    configs = {
        "off": ["-p", "no:usbgate"],
        "gate": ["--gate=design", "--build-id=bench"],
        "allure-only": ["-p", "no:usbgate", "--alluredir=allure"],
        "no-allure": ["--gate=design", "--build-id=bench", "-p", "no:allure_pytest"],
        "listener": ["listener", "-p", "no:usbgate", "--alluredir=allure"],
    }
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        make_suite(root, opts.tests)
        times: dict[str, list[float]] = {name: [] for name in configs}
        for round_ in range(opts.rounds + 1):
            for name, args in configs.items():
                seconds = run(root, args)
                if round_:  # round 0 warms the caches
                    times[name].append(seconds)
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"{opts.tests} trivial gate tests, {opts.rounds} rounds, median wall seconds:")
    lowest = {name: min(values) for name, values in times.items()}
    for name, value in median.items():
        print(
            f"  {name:12} {value:7.3f} s   (min {min(times[name]):.3f}, max {max(times[name]):.3f})"
        )
    off = median["off"]
    print(f"gate / off         = {median['gate'] / off:.3f}   (target <= 1.10)")
    print(f"allure-only / off  = {median['allure-only'] / off:.3f}   (allure-pytest alone)")
    print(f"no-allure / off    = {median['no-allure'] / off:.3f}   (our hooks alone)")
    print(f"listener / off     = {median['listener'] / off:.3f}   (allure-pytest, no files)")
    print(f"gate / allure-only = {median['gate'] / median['allure-only']:.3f}")
    print("the same ratios of the fastest rounds (noise only ever adds time):")
    print("  " + ", ".join(f"{n} {lowest[n] / lowest['off']:.3f}" for n in configs if n != "off"))


if __name__ == "__main__":
    main()
