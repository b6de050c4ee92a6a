"""The last line of defence for the sim's services: a watcher process that outlives its
parent. It reads "+PGID" / "-PGID" lines on stdin while the parent runs; end of input
(the parent exited or was killed, even by SIGKILL) means the groups still listed were
never stopped: it sends them SIGTERM, and SIGKILL to whatever is left after a grace
period. PR_SET_PDEATHSIG only asks a service to go; this makes sure it went.

Run as `python -m pytest_usbgate.sim.reaper GRACE_S`; `procs.Service` starts one per
process on first use."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterable


def read_groups(lines: Iterable[str]) -> set[int]:
    """The process groups still registered when `lines` ends."""
    groups: set[int] = set()
    for line in lines:
        sign, pgid = line[:1], int(line[1:])
        if sign == "+":
            groups.add(pgid)
        else:
            groups.discard(pgid)
    return groups


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
    terminate(read_groups(sys.stdin), float(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
