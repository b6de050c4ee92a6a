"""Round-trip delay by multi-tone phase: sub-sample, with gain and polarity. Pure.

The stimulus repeats one period of `period` samples holding tones on exact DFT bins,
so a one-period window of the steady-state capture has no leakage: each tone's phase
against the stimulus gives the delay at that frequency. The whole-sample part comes
from the cross-correlation peak (the stimulus starts after silence, so the lag is
unambiguous); the fraction from a least-squares fit of phase against frequency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Multitone:
    samplerate: int
    period: int  # samples; longer than any delay to be measured
    bins: tuple[int, ...]

    @property
    def frequencies_hz(self) -> tuple[float, ...]:
        return tuple(b * self.samplerate / self.period for b in self.bins)

    def one_period(self, peak: float = 0.5) -> Samples:
        n = np.arange(self.period)
        count = len(self.bins)
        signal = np.zeros(self.period)
        for k, b in enumerate(self.bins):  # Schroeder phases keep the crest factor low
            signal += np.cos(2 * np.pi * b * n / self.period - np.pi * k * k / count)
        return np.asarray(signal * (peak / np.max(np.abs(signal))), dtype=np.float64)

    def signal(self, periods: int, peak: float = 0.5) -> Samples:
        return np.tile(self.one_period(peak), periods)


def log_spaced_multitone(
    samplerate: int,
    period: int = 8192,
    low_hz: float = 100.0,
    high_hz: float = 16_000.0,
    tones: int = 24,
) -> Multitone:
    edges = np.geomspace(low_hz, high_hz, tones) * period / samplerate
    bins = sorted({max(1, round(float(b))) for b in edges})
    return Multitone(samplerate, period, tuple(bins))


@dataclass(frozen=True, slots=True)
class DelayEstimate:
    delay_samples: float
    gain_db: float
    polarity: int  # 1 or -1
    residual_rad: float  # RMS phase misfit: large when the return is not a pure delay


def coarse_lag(stimulus: Samples, capture: Samples) -> int:
    """Whole-sample lag of `capture` behind `stimulus` at the cross-correlation peak."""
    size = 1 << (len(stimulus) + len(capture)).bit_length()
    spectrum = np.fft.rfft(capture, size) * np.conj(np.fft.rfft(stimulus, size))
    corr = np.fft.irfft(spectrum, size)[: len(capture)]
    return int(np.argmax(np.abs(corr)))


def _tone_phasors(x: Samples, tone: Multitone) -> npt.NDArray[np.complex128]:
    spectrum = np.fft.rfft(x[: tone.period])
    return np.asarray(spectrum[list(tone.bins)], dtype=np.complex128)


def estimate_delay(
    stimulus: Samples,
    capture: Samples,
    tone: Multitone,
    start: int,
    settle_periods: int = 1,
    lag: int | None = None,
) -> DelayEstimate:
    """Delay of `capture` against `stimulus`, where the multitone begins at `start` in
    `stimulus`; the analysis window is one period after `settle_periods` periods.
    `lag`: the whole-sample lag when already known (else `coarse_lag`)."""
    if lag is None:
        lag = coarse_lag(stimulus, capture)
    at = start + settle_periods * tone.period
    if at + lag + tone.period > len(capture) or at + tone.period > len(stimulus):
        raise ValueError("capture too short for the analysis window after the delay")
    ref = _tone_phasors(stimulus[at:], tone)
    got = _tone_phasors(capture[at + lag :], tone)
    omega = 2 * np.pi * np.asarray(tone.bins, dtype=np.float64) / tone.period
    ratio = got / ref
    best: DelayEstimate | None = None
    for polarity in (1, -1):
        residual = np.angle(ratio * polarity)
        fraction = -float(np.sum(omega * residual) / np.sum(omega * omega))
        misfit = residual + omega * fraction
        rms = float(np.sqrt(np.mean(misfit**2)))
        if best is None or rms < best.residual_rad:
            gain = float(np.mean(20 * np.log10(np.abs(ratio))))
            best = DelayEstimate(lag + fraction, gain, polarity, rms)
    assert best is not None
    return best
