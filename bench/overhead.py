"""Plugin overhead against the two budgets of issue 24.

nogate   The plugin installed, no --gate: N trivial tests (default 1000) against the
         same run with the plugin disabled (`-p no:usbgate`). Target: within 1.03x.
         Whole pytest runs, the two configurations in a shuffled order each round; the
         ratio is each round's on/off, its 95% interval bootstrapped over rounds:
         shown when the interval ends at or below the target, missed when it starts
         above, undecided in between.
bringup  A sim bring-up gate (`pytest suites --gate=bringup`), run under umockdev's
         preload from the start (no re-execution): the plugin's own CPU (its hook
         implementations, the criteria sink, the run's begin and finish with the
         sign-off; `bench/plugin_cpu.py`) against the gate's wall time. Target: under 2%.

    .venv/bin/python bench/overhead.py nogate [--tests 1000] [--rounds 41] [--instructions]

With --instructions, nogate runs each configuration once under valgrind's callgrind and
compares the instructions the pytest process executed: the same whatever else the
machine does, where wall and CPU time here vary by several percent from run to run.
    .venv/bin/python bench/overhead.py bringup [--runs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
NOGATE_TARGET = 1.03
BRINGUP_TARGET_PCT = 2.0


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU of the pytest process) in seconds."""
    cpu = _children_cpu_s()
    began = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - began
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)}: exit {done.returncode}\n{done.stdout[-2000:]}")
    return took, _children_cpu_s() - cpu


def interval(ratios: list[float], resamples: int = 4000) -> tuple[float, float, float]:
    """Median of the ratios and its 95% bootstrap interval."""
    rng = random.Random(1)
    medians = sorted(
        statistics.median(rng.choices(ratios, k=len(ratios))) for _ in range(resamples)
    )
    return (
        statistics.median(ratios),
        medians[int(0.025 * resamples)],
        medians[int(0.975 * resamples)],
    )


def verdict(low: float, high: float, target: float) -> str:
    return "shown" if high <= target else "missed" if low > target else "undecided"


def instructions(argv: list[str], cwd: Path, env: dict[str, str]) -> int:
    """Instructions the command executed (valgrind's callgrind)."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"valgrind said: {done.stderr[-1000:]} (apt-get install valgrind)")
    return int(found.group(1))


def nogate(tests: int, rounds: int, count_instructions: bool) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="usbgate-overhead-"))
    (scratch / "pytest.ini").write_text("[pytest]\n")
    body = "".join(f"def test_{i}():\n    pass\n\n\n" for i in range(tests))
    (scratch / "test_trivial.py").write_text(body)
    base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_trivial.py"]
    configs = {"off": [*base, "-p", "no:usbgate"], "on": base}
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for argv in configs.values():  # warm-up: bytecode caches written, not counted
        _run(argv, scratch, env)
    if count_instructions:
        off_i, on_i = (instructions(configs[name], scratch, env) for name in ("off", "on"))
        print(
            f"instructions: {tests} trivial tests; off {off_i / 1e6:.0f} M, on {on_i / 1e6:.0f} M; "
            f"on / off {on_i / off_i:.4f}: target {NOGATE_TARGET} "
            f"{'shown' if on_i / off_i <= NOGATE_TARGET else 'missed'}"
        )
        return
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in configs}
    order = list(configs)
    rng = random.Random(0)
    for _ in range(rounds):
        rng.shuffle(order)
        for name in order:
            runs[name].append(_run(configs[name], scratch, env))
    for what, index in (("wall", 0), ("CPU", 1)):
        on, off = [r[index] for r in runs["on"]], [r[index] for r in runs["off"]]
        median, low, high = interval([a / b for a, b in zip(on, off, strict=True)])
        print(
            f"{what}: {tests} trivial tests, {rounds} rounds; median off "
            f"{statistics.median(off):.3f} s, on {statistics.median(on):.3f} s; on / off "
            f"{median:.3f} [{low:.3f}, {high:.3f}]: target {NOGATE_TARGET} "
            f"{verdict(low, high, NOGATE_TARGET)}"
        )


def bringup(runs: int) -> None:
    sys.path.insert(0, str(CHECKOUT))
    from pytest_usbgate.sim.preload import preload_library

    library = preload_library()
    if library is None:
        raise SystemExit("umockdev's preload library is missing (./dev setup installs it)")
    for number in range(1, runs + 1):
        with tempfile.TemporaryDirectory(prefix="usbgate-bringup-") as folder:
            out = Path(folder) / "cpu.json"
            env = {
                **os.environ,
                "LD_PRELOAD": library,
                "PLUGIN_CPU_OUT": str(out),
                "PYTHONPATH": os.pathsep.join(
                    [str(CHECKOUT / "bench"), os.environ.get("PYTHONPATH", "")]
                ),
            }
            argv = [
                sys.executable,
                "-m",
                "pytest",
                "suites",
                "--gate=bringup",
                "-q",
                "-p",
                "no:cacheprovider",
                "-p",
                "plugin_cpu",
                f"--reports-dir={folder}",
            ]
            wall_s, _ = _run(argv, CHECKOUT, env)
            spent = json.loads(out.read_text())
            (signoff,) = Path(folder).glob("*/bringup/signoff.json")
            gate_verdict = json.loads(signoff.read_text())["verdict"]
        nested = {"run.begin", "run.finish"}  # inside the configure and sessionfinish hooks
        own_s = sum(v for k, v in spent.items() if k not in nested)
        top = sorted(spent.items(), key=lambda kv: -kv[1])[:6]
        print(
            f"run {number}: gate {gate_verdict}, wall {wall_s:.1f} s, plugin CPU "
            f"{own_s * 1000:.1f} ms = {100 * own_s / wall_s:.3f}% (target < {BRINGUP_TARGET_PCT}%)"
        )
        print("  largest: " + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in top))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="which", required=True)
    a = sub.add_parser("nogate")
    a.add_argument("--tests", type=int, default=1000)
    a.add_argument("--rounds", type=int, default=41)
    a.add_argument("--instructions", action="store_true")
    b = sub.add_parser("bringup")
    b.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    if args.which == "nogate":
        nogate(args.tests, args.rounds, args.instructions)
    else:
        bringup(args.runs)


if __name__ == "__main__":
    main()
