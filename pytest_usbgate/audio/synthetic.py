"""Captures with known truth, for tests and benchmarks: a delay with a fractional part,
a gain, a polarity, converter band-limiting and noise, applied in the frequency domain
(exact, no interpolation error of its own). Pure."""

from __future__ import annotations

import numpy as np

from pytest_usbgate.audio.delay import Samples


def converter_response(frequency_hz: Samples, samplerate: int) -> Samples:
    """A zero-phase anti-alias roll-off like a converter's: flat to 0.42 fs, a raised
    cosine down to nothing at 0.5 fs (20.2-24 kHz at 48 kHz)."""
    start, stop = 0.42 * samplerate, 0.5 * samplerate
    ramp = np.clip((frequency_hz - start) / (stop - start), 0.0, 1.0)
    return np.asarray(0.5 + 0.5 * np.cos(np.pi * ramp), dtype=np.float64)


def through_cable(
    x: Samples,
    samplerate: int,
    delay_samples: float,
    gain_db: float = 0.0,
    polarity: int = 1,
    noise_dbfs: float | None = None,
    seed: int = 0,
) -> Samples:
    """`x` delayed, scaled, band-limited, with white noise at `noise_dbfs` (RMS re a
    full-scale sine); as long as `x`. The input needs silence at its end at least as
    long as the delay (the delay is circular)."""
    size = len(x)
    spectrum = np.fft.rfft(x)
    f = np.asarray(np.fft.rfftfreq(size, 1.0 / samplerate), dtype=np.float64)
    shift = np.exp(-2j * np.pi * f / samplerate * delay_samples)
    gain = polarity * 10 ** (gain_db / 20)
    y = np.fft.irfft(spectrum * shift * converter_response(f, samplerate) * gain, size)
    if noise_dbfs is not None:
        sigma = 10 ** (noise_dbfs / 20) / np.sqrt(2)
        y = y + np.random.default_rng(seed).standard_normal(size) * sigma
    return np.asarray(y, dtype=np.float64)
