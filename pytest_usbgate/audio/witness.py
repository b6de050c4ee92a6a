"""The device's digital loopback as a witness of the stream, pure. A loopback input
returns an output bit for bit (DOMAIN.md §2), so a frame where it differs from what was
played, at the lag the stream started with, is a break in the stream itself: a buffer the
host dropped, repeated or zeroed, on the way out or back. The analogue return of the same
take then says nothing about the cable or the device.

Breaks in the silence before the stimulus leave no trace here (nothing differs); the
analysis of the return sees them as a different latency instead.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

LSB_24BIT: Final = 2.0**-23  # the devices carry 24 bits; the float32 stimulus may carry more
MATCH_AT_START: Final = 1024  # frames the loopback must return exactly to be a witness
BREAK_GAP: Final = 64  # mismatches closer than this are one break (a slipped sine still
#                        matches near its zero crossings)

Frames = npt.NDArray[np.floating]


def stream_breaks(
    played: Frames, looped: Frames, tolerance: float = LSB_24BIT
) -> tuple[int, ...] | None:
    """Frames of `looped` where a break begins; None when `looped` does not carry `played`
    (no signal, or not the same from its first frames: a loopback routed elsewhere). Both
    start at stream start; `looped` is as long as `played`."""
    start_played = _first_above(played, tolerance)
    start_looped = _first_above(looped, tolerance)
    if start_played is None or start_looped is None or start_looped < start_played:
        return None
    lag = start_looped - start_played
    span = len(looped) - lag
    differs = np.abs(looped[lag:] - played[:span]) > tolerance
    head = slice(start_played, min(start_played + MATCH_AT_START, span))
    if np.any(differs[head]):
        return None
    at = np.flatnonzero(differs)
    starts = at[np.diff(at, prepend=-BREAK_GAP - 1) > BREAK_GAP]
    return tuple(int(frame) + lag for frame in starts)


def _first_above(x: Frames, tolerance: float) -> int | None:
    above = np.flatnonzero(np.abs(x) > tolerance)
    return int(above[0]) if len(above) else None
