"""What the evidence spool costs a gate run outside its per-test hand-over: waiting on its
writer (a flush, its close) and the file system's work per file.

1. Waits: a Spool is handed 20 small files, then flushed, then closed, `--rounds` times,
   in a folder in memory (/dev/shm), so that what is timed is waiting, not the disk. The
   writer pauses GATHER_S between reads; a flush or the close wakes it at once (the wake
   pipe), so neither should wait for the pause to end.
2. Files: 1000 result-sized files made with `write_file` (a temporary name, then a
   rename: the sign-off's way) and with `write_new` (in place: the spool's way), in new
   folders, alternately.

    .venv/bin/python bench/spool_costs.py [--rounds 40] [--scratch DIR]

Files are made in the checkout's `reports/` unless `--scratch` says otherwise, and kept
until the end (see bench/inode_reuse.py: on this VM's ext4, files made just after a large
removal cost several times more).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from overhead import file_creation_ms  # bench/, the folder this script runs from

from pytest_usbgate.evidence import allure_shape as shape
from pytest_usbgate.evidence.spool import Spool
from pytest_usbgate.evidence.spool_writer import write_file, write_new

CHECKOUT = Path(__file__).resolve().parent.parent


def waits_ms(folder: Path) -> tuple[float, float]:
    """Milliseconds one flush and then the close wait, after 20 files handed over."""
    folder.mkdir()
    spool = Spool(folder, shape.plain_result)
    time.sleep(0.03)  # the writer has started
    for i in range(20):
        spool.put(f"{i}-result.json", b"{}")
    time.sleep(0.001)  # it has read them, and pauses
    start = time.perf_counter()
    spool.flush()
    flushed = time.perf_counter()
    spool.close()
    closed = time.perf_counter()
    return (flushed - start) * 1000, (closed - flushed) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--scratch", type=Path, default=CHECKOUT / "reports")
    opts = parser.parse_args()
    opts.scratch.mkdir(parents=True, exist_ok=True)
    memory = Path("/dev/shm") if Path("/dev/shm").is_dir() else opts.scratch
    with tempfile.TemporaryDirectory(dir=memory) as waits:
        timed = [waits_ms(Path(waits, str(n))) for n in range(opts.rounds)]
    flush, close = zip(*timed, strict=True)
    print(
        f"spool waits, median of {opts.rounds}: flush {statistics.median(flush):.2f} ms,"
        f" close {statistics.median(close):.2f} ms"
    )
    with tempfile.TemporaryDirectory(dir=opts.scratch) as scratch:
        root = Path(scratch)
        ways = {
            "write_file (temporary name, rename)": write_file,
            "write_new (in place)": write_new,
        }
        made: dict[str, list[float]] = {name: [] for name in ways}
        for n in range(5):
            for index, (name, write) in enumerate(ways.items()):
                made[name].append(file_creation_ms(root / f"files-{n}-{index}", write=write))
        print("1000 files of 1500 B, ms per round:")
        for name, values in made.items():
            print(f"  {name:36} " + " ".join(f"{v:5.0f}" for v in values))


if __name__ == "__main__":
    main()
