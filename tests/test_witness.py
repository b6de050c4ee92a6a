"""The digital loopback as a witness of the stream (`audio.witness`), on constructed
streams with known breaks: exact frames expected."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_usbgate.audio.witness import LSB_24BIT, stream_breaks

RATE = 48_000
BLOCK = 256
LAG = 2 * BLOCK


def played(seconds: float = 1.0) -> np.ndarray:
    """0.1 s of silence, then a 997 Hz tone at -1 dBFS, in float32 as PortAudio plays it."""
    n = round(seconds * RATE)
    t = np.arange(n) / RATE
    x = 0.89 * np.sin(2 * np.pi * 997.0 * t)
    x[: RATE // 10] = 0.0
    return x.astype(np.float32)


def looped(x: np.ndarray, lag: int = LAG) -> np.ndarray:
    """`x` returned `lag` frames later, as long as `x`."""
    return np.concatenate([np.zeros(lag, dtype=x.dtype), x[: len(x) - lag]])


def test_an_intact_loopback_has_no_breaks() -> None:
    x = played()
    assert stream_breaks(x, looped(x)) == ()


def test_a_repeated_buffer_is_one_break_where_it_begins() -> None:
    x = played()
    y = looped(x)
    at = 40 * BLOCK
    y[at : at + BLOCK] = y[at - BLOCK : at]
    assert stream_breaks(x, y) == (at,)


def test_a_zeroed_buffer_and_a_later_slip_are_two_breaks() -> None:
    x = played()
    y = looped(x)
    zeroed, slipped = 30 * BLOCK, 120 * BLOCK
    y[zeroed : zeroed + BLOCK] = 0.0
    y[slipped:] = np.concatenate([y[slipped + BLOCK :], np.zeros(BLOCK, dtype=y.dtype)])
    assert stream_breaks(x, y) == (zeroed, slipped)


def test_24_bit_quantisation_is_not_a_break() -> None:
    x = played()
    y = (np.round(looped(x).astype(np.float64) * 2**23) / 2**23).astype(np.float32)
    assert not np.array_equal(y, looped(x))
    assert stream_breaks(x, y) == ()


@pytest.mark.parametrize(
    "loopback",
    [
        pytest.param(lambda x: np.zeros_like(x), id="silent"),
        pytest.param(lambda x: looped(x) * np.float32(0.5), id="mixed-down"),
        pytest.param(lambda x: looped(x) + np.float32(4 * LSB_24BIT), id="offset"),
    ],
)
def test_a_loopback_that_does_not_carry_the_output_is_no_witness(loopback: object) -> None:
    x = played()
    assert callable(loopback)
    assert stream_breaks(x, loopback(x)) is None


def test_a_break_before_the_signal_is_invisible_but_moves_the_lag() -> None:
    x = played()
    assert stream_breaks(x, looped(x, LAG + BLOCK)) == ()
