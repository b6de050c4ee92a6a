"""Takes on a host that may be late: a measurement disturbed by the host (the sim's
JACK server reporting xruns, the garbage collector holding the GIL, a break in an audio
stream) says nothing about the device, so it is taken again once the host has been quiet
for a moment. The last take stands when every one was disturbed: the caller decides what
that means, knowing it was disturbed."""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
TAKES = 6  # at most, per measurement
QUIET_S = 1.0  # no xrun for this long before a take again …
QUIET_LIMIT_S = 6.0  # … waiting at most this long for it


@dataclass(frozen=True, slots=True)
class Taken(Generic[T]):
    result: T
    number: int  # of the takes, from 1
    clean: bool  # False: every take was disturbed, and this is the last


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
    clean: Callable[[T], bool] | None = None,
    takes: int = TAKES,
) -> Taken[T]:
    """The first clean take, or the last one. Between takes, wait for the host's `xruns`
    count (if any) to stay still. `clean` judges a take; without it, a take is clean when
    that count did not rise during it."""
    for number in range(1, takes + 1):
        if xruns is not None and number > 1:
            wait_quiet(xruns)
        before = xruns() if xruns is not None else 0
        with gc_paused():
            result = measure()
        ok = clean(result) if clean is not None else (xruns is None or xruns() == before)
        if ok or number == takes:
            return Taken(result, number, ok)
    raise AssertionError("unreachable")
