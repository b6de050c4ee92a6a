"""Takes on a host that may be late: a measurement disturbed by the host (the sim's
JACK server reporting xruns, the garbage collector holding the GIL) says nothing about
the device, so it is taken again once the host has been quiet for a moment. The last
take stands when every one was disturbed: its xruns then show in the criteria."""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")
TAKES = 6  # at most, per measurement
QUIET_S = 1.0  # no xrun for this long before a take again …
QUIET_LIMIT_S = 6.0  # … waiting at most this long for it


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """A collection holds the GIL for milliseconds; an audio or MIDI callback would wait."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def wait_quiet(
    xruns: Callable[[], int], quiet_s: float = QUIET_S, limit_s: float = QUIET_LIMIT_S
) -> None:
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        before = xruns()
        time.sleep(quiet_s)
        if xruns() == before:
            return


def undisturbed(
    xruns: Callable[[], int] | None,
    measure: Callable[[], T],
    takes: int = TAKES,
    clean: Callable[[T], bool] = lambda _: True,
) -> tuple[T, int]:
    """(the first take without xruns that `clean` accepts, or the last one; its number
    from 1). Without an xrun count (a real rig's host) only `clean` decides."""
    for number in range(1, takes + 1):
        if xruns is not None and number > 1:
            wait_quiet(xruns)
        before = xruns() if xruns is not None else 0
        with gc_paused():
            result = measure()
        quiet = xruns is None or xruns() == before
        if (quiet and clean(result)) or number == takes:
            return result, number
    raise AssertionError("unreachable")
