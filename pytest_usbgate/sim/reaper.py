"""The last line of defence for the sim's services: a watcher process that outlives its
parent. It reads "+PGID" / "-PGID" lines on stdin while the parent runs, and "+/FOLDER" /
"-/FOLDER" lines for the session's scratch folders (absolute paths); end of input (the
parent exited or was killed, even by SIGKILL) means the groups still listed were never
stopped: it sends them SIGTERM, and SIGKILL to whatever is left after a grace period,
then removes the folders still listed. PR_SET_PDEATHSIG only asks a service to go; this
makes sure it went, and took its files along.

Run as `python -m pytest_usbgate.sim.reaper GRACE_S`; `procs` starts one per process on
first use (a service started, a folder to remove)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import time
from collections.abc import Iterable


def read_leftovers(lines: Iterable[str]) -> tuple[set[int], set[str]]:
    """The process groups and the folders still registered when `lines` ends."""
    groups: set[int] = set()
    folders: set[str] = set()
    for line in lines:
        sign, what = line[:1], line[1:].rstrip("\n")
        if what.startswith("/"):
            (folders.add if sign == "+" else folders.discard)(what)
        else:
            (groups.add if sign == "+" else groups.discard)(int(what))
    return groups, folders


def _alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # the number now belongs to someone else's group
        return False
    return True


def terminate(groups: set[int], grace_s: float) -> None:
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while any(_alive(g) for g in groups) and time.monotonic() < deadline:
        time.sleep(0.02)
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the session, not for us
    groups, folders = read_leftovers(sys.stdin)
    terminate(groups, float(argv[1]))
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
