"""What creating a gate's result files costs right after many files were removed.

ext4 without a journal does not hand out an inode freed in the last 60 s (360 s while
its inode table block is unwritten): whenever it makes a file it looks past each such
inode (fs/ext4/ialloc.c, `recently_deleted`). So removing a large folder, an earlier
run's reports say, slows the file creations of the runs that follow it for a minute or
more. This times creating 1000 result-sized files in a new folder (overhead.py's
calibration, made as the evidence writer makes them) three times: first (any removal on
the machine in the minutes before counts here too), just after removing those 1000
files, and `--wait` seconds after removing the second 1000.

    .venv/bin/python bench/inode_reuse.py [--folder reports] [--wait 65]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from overhead import file_creation_ms  # bench/, the folder this script runs from

FILES = 1000


def removed(folder: Path) -> None:
    shutil.rmtree(folder)
    os.sync()  # the removal's own disk work is done before the next timing starts


def has_journal(path: Path) -> str:
    """'yes' or 'no' for an ext4 file system (a jbd2 entry for its device), else '?'."""
    dev = os.stat(path).st_dev
    try:
        name = Path(f"/sys/dev/block/{os.major(dev)}:{os.minor(dev)}").resolve().name
    except OSError:
        return "?"
    if not Path("/proc/fs/ext4", name).exists():
        return "?"
    return "yes" if any(Path("/proc/fs/jbd2").glob(f"{name}-*")) else "no"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folder", type=Path, default=Path(__file__).parent.parent / "reports")
    parser.add_argument("--wait", type=float, default=65.0)
    opts = parser.parse_args()
    opts.folder.mkdir(parents=True, exist_ok=True)
    print(f"{opts.folder}: ext4 journal: {has_journal(opts.folder)}")
    with tempfile.TemporaryDirectory(dir=opts.folder) as scratch:
        root = Path(scratch)
        print(f"  creating {FILES} files, first: {file_creation_ms(root / 'a', FILES):.0f} ms")
        removed(root / "a")
        just_after = file_creation_ms(root / "b", FILES)
        print(f"  creating {FILES} files, just after removing them: {just_after:.0f} ms")
        removed(root / "b")
        time.sleep(opts.wait)
        later = file_creation_ms(root / "c", FILES)
        print(f"  creating {FILES} files, {opts.wait:.0f} s after removing: {later:.0f} ms")


if __name__ == "__main__":
    main()
