"""Plugin overhead: 1000 trivial gate tests with and without pytest-usbgate.

Generates suites/design/ with N trivial tests in a scratch folder, then times whole
pytest runs, alternating the configurations so machine noise hits all of them alike:

  off         -p no:usbgate                       (the plugin disabled)
  gate        --gate=design                       (the plugin on, Allure evidence from our
                                                   own listener)
  allure-only -p no:usbgate --alluredir=…         (allure-pytest's listener and writer
                                                   alone, our plugin off)
  no-allure   --gate=design -p no:allure_pytest   (our plugin alone, no Allure evidence)
  listener    allure-only, but allure-pytest's file logger unregistered (a conftest in
              the scratch suite): its listener's per-test work alone, no files written
  against     gate, with the pytest-usbgate of another checkout (--against DIR, e.g. a
              `git worktree` of an earlier commit): two versions in one interleaved run,
              compared round by round (gate / against, with its interval).
              It is found through PYTHONPATH, which puts one more folder before the
              others on the import path: with --against, every configuration runs with
              one (this checkout's), so that nothing but the code differs
  off-again   off once more in each round: what the ratios read when nothing differs,
              the noise of the estimators themselves (an A/A test)

The target (issue: gate engine) is gate/off <= 1.10: shown when the 95% interval of the
paired ratio (each round's gate/off, bootstrapped over rounds) ends at or below 1.10,
missed when it starts above, undecided in between. allure-only/off is what
allure-pytest costs by itself; no-allure/off is what our own hooks cost. Beside wall
time, each run's pytest process reports the CPU time it used up to its unconfigure (the
scratch conftest): what the process itself costs, apart from time it spent waiting or
not being run (a VM's steal, the evidence writer's files at the end).

Every configuration runs as a user's would: bytecode caches written (a
PYTHONDONTWRITEBYTECODE in this shell is dropped), one warm-up round not counted, and
plugins no configuration needs (hypothesis, the cache) disabled in all of them.

    .venv/bin/python bench/overhead.py [--tests 1000] [--rounds 9] [--configs gate,...]
        [--against DIR]     # e.g. git worktree add /tmp/before HEAD~1; --against /tmp/before
        [--scratch DIR]     # where the scratch project (and so its reports/) is made

The scratch project is made in the checkout's `reports/` folder, where a gate's evidence
goes by default, unless `--scratch` says otherwise. Before timing, the run reports what
creating 1000 result-sized files costs there: that share of a gate run's time is the
disk's, not the plugin's.

NO_REMOVAL: nothing is removed until all runs are timed; each run writes folders of its
own (a build id, an Allure folder per run), as a bench's builds do. On ext4 without a
journal (this VM's disk) files made in the minutes after a large removal cost several
times more (bench/inode_reuse.py): removing each run's 1000 files before the next charged
every gate run with that. Files removed just before the benchmark starts count too: wait
6 minutes after a large removal, or read the creation cost it reports first.

ORDER: each round runs the configurations in an order of its own (shuffled, seeded). In a
fixed order the run after a gate run would always be the same configuration, and would
pay for whatever that run leaves behind (its 1000 files' pages for the kernel to write
back, caches evicted); in a fixed order, off and off-again read stage medians 10-18 ms
apart here.

With --instructions, each configuration runs once under valgrind's callgrind instead,
with 1 test and with --tests tests: instructions executed by the pytest process (not the
Allure helper, which runs beside it), the same whatever else the machine is doing, so
the ratios hold to a fraction of a percent; the 1-test run gives each configuration's
fixed cost, the difference its cost per test.

    .venv/bin/python bench/overhead.py --instructions
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pytest_usbgate.evidence.spool_writer import write_new

PER_FILE = 100


SCRATCH_CONFTEST = """
import json
import os
import resource
import time
import allure_commons
import pytest
from allure_commons.logger import AllureFileLogger

STAMPS = {}

@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    STAMPS["configure"] = time.time()

@pytest.hookimpl(trylast=True, specname="pytest_configure")
def pytest_configure_no_files(config):
    if os.environ.get("BENCH_NO_ALLURE_FILES"):
        for plugin in allure_commons.plugin_manager.get_plugins():
            if isinstance(plugin, AllureFileLogger):
                allure_commons.plugin_manager.unregister(plugin)
                config.add_cleanup(lambda: allure_commons.plugin_manager.register(plugin))

@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    STAMPS["collected"] = time.time()

@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session):
    STAMPS["tests_done"] = time.time()

@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    STAMPS["unconfigure"] = time.time()
    if os.environ.get("BENCH_STATS_FILE"):
        used = resource.getrusage(resource.RUSAGE_SELF)
        with open(os.environ["BENCH_STATS_FILE"], "w") as out:
            json.dump(dict(STAMPS, cpu=used.ru_utime + used.ru_stime), out)
"""

# A run's stages, between the scratch conftest's time stamps (and the run's start and end).
STAGES = {
    "start-up": ("start", "configure"),  # interpreter, pytest, plugins, pytest_cmdline_main
    "collect": ("configure", "collected"),  # our pytest_configure, collection, selection
    "tests": ("collected", "tests_done"),
    "finish": ("tests_done", "unconfigure"),  # verdict, sign-off, terminal summary
    "exit": ("unconfigure", "end"),  # clean-ups (the evidence writer's end), interpreter exit
}


CHECKOUT = Path(__file__).resolve().parent.parent


def make_suite(root: Path, tests: int) -> None:
    folder = root / "suites" / "design"
    folder.mkdir(parents=True)
    (root / "conftest.py").write_text(SCRATCH_CONFTEST)
    (root / "pytest.ini").write_text("[pytest]\n")  # its own rootdir, not a checkout's above
    for start in range(0, tests, PER_FILE):
        body = "".join(
            f"def test_{i}():\n    pass\n\n\n" for i in range(start, min(start + PER_FILE, tests))
        )
        (folder / f"test_gen_{start // PER_FILE:03d}.py").write_text(body)


COMMON = ["-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "suites"]
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


Config = tuple[list[str], dict[str, str]]  # pytest arguments, environment


def pytest_run(
    root: Path, config: Config, *, prefix: tuple[str, ...] = (), number: int = 0, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run `number` of a configuration in `root` ("{run}" in its arguments becomes the
    number, so each run's output has folders of its own); stderr kept (valgrind reports
    there)."""
    args, config_env = config
    return subprocess.run(
        [*prefix, sys.executable, "-m", "pytest", *COMMON, *(a.format(run=number) for a in args)],
        cwd=root,
        env=dict(ENV, **config_env, **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )


def run(root: Path, config: Config, number: int) -> dict[str, float]:
    """One run's wall seconds ("wall"), the CPU seconds its pytest process reported
    ("cpu") and each of its STAGES' seconds. Nothing is removed between runs (see
    NO_REMOVAL)."""
    stats_file = root / f"stats-{number}.json"  # a run that wrote none fails here, not later
    start = time.time()  # not perf_counter: the stamps come from another process
    pytest_run(root, config, number=number, BENCH_STATS_FILE=str(stats_file))
    stamps = dict(json.loads(stats_file.read_text()), start=start, end=time.time())
    stages = {name: stamps[b] - stamps[a] for name, (a, b) in STAGES.items()}
    return dict(stages, wall=stamps["end"] - start, cpu=stamps["cpu"])


def file_creation_ms(
    folder: Path,
    files: int = 1000,
    size: int = 1500,
    write: Callable[[Path, str, bytes], None] = write_new,
) -> float:
    """Milliseconds to create `files` files of `size` bytes in `folder` (new, and kept:
    see NO_REMOVAL), by default as the evidence writer makes them (`write_new`)."""
    folder.mkdir()
    body = b"x" * size
    start = time.perf_counter()
    for i in range(files):
        write(folder, f"{i:04d}-result.json", body)
    return (time.perf_counter() - start) * 1000


def round_ratios(values: list[float], base: list[float]) -> list[float]:
    """Each round's ratio to the base run beside it: slow drifts of the machine cancel."""
    return [v / b for v, b in zip(values, base, strict=True)]


def median_interval(ratios: list[float], draws: int = 4000) -> tuple[float, float]:
    """A 95% interval for the median of `ratios` (one per round): the rounds drawn again
    with replacement, `draws` times (a bootstrap; seeded, so the same runs give the same
    interval). An interval that holds 1.10 shows the target neither met nor missed."""
    pick = random.Random(0).choices
    medians = sorted(statistics.median(pick(ratios, k=len(ratios))) for _ in range(draws))
    return medians[int(0.025 * draws)], medians[int(0.975 * draws) - 1]


def instructions(root: Path, config: Config) -> int:
    """Instructions the pytest process executes (valgrind's callgrind), hash seed fixed."""
    valgrind = ("valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null")
    done = pytest_run(root, config, prefix=valgrind, PYTHONHASHSEED="0")
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        sys.exit(f"overhead: callgrind gave no count: {done.stderr[-500:]}")
    return int(found.group(1))


def count_instructions(configs: dict[str, Config], tests: int, scratch_in: Path) -> None:
    with tempfile.TemporaryDirectory(dir=scratch_in) as scratch:
        roots = {}
        for name in configs:  # each its own folder: two run at once, one per core
            for n in (1, tests):
                roots[name, n] = Path(scratch, f"{name}-{n}")
                make_suite(roots[name, n], n)
        with ThreadPoolExecutor(max_workers=2) as pool:
            counts = dict(
                zip(
                    roots,
                    pool.map(lambda key: instructions(roots[key], configs[key[0]]), roots),
                    strict=True,
                )
            )
    off_all, off_one = counts["off", tests], counts["off", 1]
    off_per_test = (off_all - off_one) / (tests - 1)
    print(f"{tests} trivial gate tests, instructions (callgrind), ratio to off:")
    for name in configs:
        total, one = counts[name, tests], counts[name, 1]
        fixed = one - off_one
        per_test = (total - one) / (tests - 1)
        extra_per_test = (per_test - off_per_test) * (tests - 1)
        print(
            f"  {name:12} {total / 1e6:8.0f} M  {total / off_all:.3f}"
            f"   fixed {fixed / 1e6:+5.0f} M ({fixed / off_all:+.1%} of off)"
            f"   per test {per_test / 1e6:.3f} M ({extra_per_test / off_all:+.1%} of off)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--instructions", action="store_true", help="count, not time")
    parser.add_argument(
        "--configs", default="", help="comma-separated: only these (off is always run)"
    )
    parser.add_argument("--against", type=Path, help="another checkout: config 'against'")
    parser.add_argument(
        "--scratch",
        type=Path,
        default=CHECKOUT / "reports",
        help="the folder to make the scratch project in (default: the checkout's reports/)",
    )
    opts = parser.parse_args()
    opts.scratch.mkdir(parents=True, exist_ok=True)
    gate = ["--gate=design", "--build-id=bench-{run}"]
    configs: dict[str, Config] = {
        "off": (["-p", "no:usbgate"], {}),
        "gate": (gate, {}),
        "allure-only": (["-p", "no:usbgate", "--alluredir=allure-{run}"], {}),
        "no-allure": ([*gate, "-p", "no:allure_pytest"], {}),
        "listener": (
            ["-p", "no:usbgate", "--alluredir=allure-{run}"],
            {"BENCH_NO_ALLURE_FILES": "1"},
        ),
        "off-again": (["-p", "no:usbgate"], {}),
    }
    if opts.against is not None:
        if not (opts.against / "pytest_usbgate" / "plugin.py").is_file():
            sys.exit(f"overhead: --against {opts.against}: expected a pytest-usbgate checkout")
        for _, env in configs.values():  # all on a PYTHONPATH: only the code differs
            env["PYTHONPATH"] = str(CHECKOUT)
        configs["against"] = (gate, {"PYTHONPATH": str(opts.against.resolve())})
    if opts.configs:
        wanted = {"off", "against", *opts.configs.split(",")}
        if unknown := sorted(wanted - {*configs, "against"}):
            sys.exit(
                f"overhead: --configs {', '.join(unknown)}: expected some of {', '.join(configs)}"
            )
        configs = {name: config for name, config in configs.items() if name in wanted}
    if opts.instructions:
        count_instructions(configs, opts.tests, opts.scratch)
        return
    with tempfile.TemporaryDirectory(dir=opts.scratch) as scratch:
        root = Path(scratch)
        print(
            f"creating 1000 files of 1500 B in {opts.scratch}: "
            + ", ".join(f"{file_creation_ms(root / f'files-{n}'):.0f}" for n in range(3))
            + " ms"
        )
        make_suite(root, opts.tests)
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in configs}
        numbers = itertools.count()  # each run its own folders, the runs of one round too
        order = random.Random(1)  # see ORDER
        for round_ in range(opts.rounds + 1):
            for name in order.sample(list(configs), k=len(configs)):
                measured = run(root, configs[name], next(numbers))
                if round_:  # round 0 warms the caches
                    runs[name].append(measured)
    times = {name: [r["wall"] for r in values] for name, values in runs.items()}
    cpu = {name: [r["cpu"] for r in values] for name, values in runs.items()}
    median = {name: statistics.median(values) for name, values in times.items()}
    ratios = {name: round_ratios(values, times["off"]) for name, values in times.items()}
    paired = {name: statistics.median(values) for name, values in ratios.items()}
    print(f"{opts.tests} trivial gate tests, {opts.rounds} rounds, median wall seconds:")
    lowest = {name: min(values) for name, values in times.items()}
    for name, value in median.items():
        print(
            f"  {name:12} {value:7.3f} s   (min {min(times[name]):.3f}, max {max(times[name]):.3f})"
        )
    notes = {
        "gate": "(target <= 1.10)",
        "allure-only": "(allure-pytest alone)",
        "no-allure": "(our hooks alone)",
        "listener": "(allure-pytest, no files)",
        "against": f"(gate of {opts.against})",
        "off-again": "(nothing differs: the estimators' noise)",
    }
    cpu_paired = {
        name: statistics.median(round_ratios(values, cpu["off"])) for name, values in cpu.items()
    }
    print(
        "ratio to off: wall, of the medians; median of each round's ratio [its 95% interval];"
        " of the fastest rounds; pytest process CPU, median of each round's ratio"
    )
    for name in configs:
        if name != "off":
            low, high = median_interval(ratios[name])
            print(
                f"  {name + ' / off':18} {median[name] / median['off']:.3f}"
                f"   {paired[name]:.3f} [{low:.3f}, {high:.3f}]"
                f"   {lowest[name] / lowest['off']:.3f}"
                f"   cpu {cpu_paired[name]:.3f}   {notes[name]}"
            )
    if "against" in times and "gate" in times:  # the two versions, round by round
        versions = round_ratios(times["gate"], times["against"])
        low, high = median_interval(versions)
        print(
            f"  gate / against     {statistics.median(versions):.3f} [{low:.3f}, {high:.3f}]"
            "   (this checkout against the other, each round's ratio)"
        )
    print("median milliseconds of each stage (see STAGES); in brackets, minus off's:")
    print("  " + " " * 12 + "".join(f"{stage:>18}" for stage in STAGES))
    stage_ms = {
        name: {stage: statistics.median(r[stage] for r in values) * 1000 for stage in STAGES}
        for name, values in runs.items()
    }
    for name, stages in stage_ms.items():
        cells = [
            f"{ms:8.1f}" + (f" ({ms - stage_ms['off'][stage]:+6.1f})" if name != "off" else " " * 9)
            for stage, ms in stages.items()
        ]
        print(f"  {name:12}" + "".join(f"{cell:>18}" for cell in cells))


if __name__ == "__main__":
    main()
