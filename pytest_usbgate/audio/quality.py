"""Audio quality figures in AES17 vocabulary, pure. Levels are dBFS with a full-scale
sine at 0 dBFS (RMS dBFS = 20 log10(RMS * sqrt 2)).

- THD+N: a 997 Hz tone is notched out by a least-squares fit of the tone (cosine,
  sine, DC at its frequency, refined from the tone's own phase drift); the residual's
  RMS in 20 Hz-20 kHz against the whole signal's RMS, in dB.
- Dynamic range: THD+N of a -60 dBFS tone with the residual A-weighted, + 60 dB.
- Frequency response: the capture's spectrum over the stimulus's (an exponential
  sweep, so every frequency is excited), in 1/12-octave bands; deviation is the
  largest |level - level at 1 kHz| in 20 Hz-20 kHz.
- Crosstalk: band RMS of an undriven input over that of the driven one, in dB.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from pytest_usbgate.audio.delay import Samples

BAND_HZ: Final = (20.0, 20_000.0)
FLOOR_DB: Final = -200.0  # what "nothing at all" reads as (JSON has no -inf)


def rms_dbfs(x: Samples) -> float:
    rms = float(np.sqrt(np.mean(np.square(x)))) if len(x) else 0.0
    return db(rms * math.sqrt(2))


def peak_dbfs(x: Samples) -> float:
    return db(float(np.max(np.abs(x))) if len(x) else 0.0)


def db(ratio: float, floor_db: float = FLOOR_DB) -> float:
    """20 log10 of an amplitude ratio, never below `floor_db`."""
    return max(floor_db, 20 * math.log10(ratio)) if ratio > 0 else floor_db


def a_weighting_db(frequency_hz: Samples) -> Samples:
    """IEC 61672 A-weighting, 0 dB at 1 kHz."""
    f2 = np.square(np.asarray(frequency_hz, dtype=np.float64))
    ra = (12194.0**2 * f2**2) / (
        (f2 + 20.6**2) * np.sqrt((f2 + 107.7**2) * (f2 + 737.9**2)) * (f2 + 12194.0**2)
    )
    with np.errstate(divide="ignore"):
        return np.asarray(20 * np.log10(ra) + 2.0, dtype=np.float64)


def band_rms(x: Samples, samplerate: int, a_weighted: bool = False) -> float:
    """RMS of `x` within 20 Hz-20 kHz (FFT mask), optionally A-weighted."""
    if not len(x):
        return 0.0
    spectrum = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1.0 / samplerate)
    gain = ((f >= BAND_HZ[0]) & (f <= BAND_HZ[1])).astype(np.float64)
    if a_weighted:
        gain = gain * 10 ** (a_weighting_db(np.maximum(f, 1e-3)) / 20)
    power = np.abs(spectrum * gain) ** 2
    power[1:] *= 2  # one-sided
    if len(x) % 2 == 0:
        power[-1] /= 2
    return float(np.sqrt(np.sum(power)) / len(x))


def refined_frequency_hz(x: Samples, samplerate: int, frequency_hz: float) -> float:
    """The tone's frequency from its phase drift between the two halves of `x` (a
    capture made on another clock runs slightly off the nominal frequency)."""
    half = len(x) // 2
    if half < 16:
        return frequency_hz
    n = np.arange(half)
    probe = np.exp(-2j * np.pi * frequency_hz / samplerate * n)
    first = complex(np.sum(x[:half] * probe))
    second = complex(np.sum(x[half : 2 * half] * probe))
    drift_rad = float(np.angle(second / first)) - 2 * np.pi * frequency_hz / samplerate * half
    drift_rad = (drift_rad + np.pi) % (2 * np.pi) - np.pi
    return frequency_hz + drift_rad / (2 * np.pi * half) * samplerate


@dataclass(frozen=True, slots=True)
class ToneFit:
    frequency_hz: float
    level_dbfs: float  # of the fitted tone
    residual: Samples  # the signal less the tone: noise and distortion


def notch(x: Samples, samplerate: int, frequency_hz: float) -> ToneFit:
    """Fit the tone (refined frequency) and return what is left."""
    f = refined_frequency_hz(x, samplerate, frequency_hz)
    n = np.arange(len(x))
    omega = 2 * np.pi * f / samplerate
    basis = np.stack([np.cos(omega * n), np.sin(omega * n), np.ones(len(x))], axis=1)
    coef, *_ = np.linalg.lstsq(basis, x, rcond=None)
    residual = np.asarray(x - basis @ coef, dtype=np.float64)
    return ToneFit(f, db(float(np.hypot(coef[0], coef[1]))), residual)


def thd_n_db(x: Samples, samplerate: int, frequency_hz: float) -> float:
    """THD+N of a steady tone, dB relative to the whole signal."""
    fit = notch(x, samplerate, frequency_hz)
    total = float(np.sqrt(np.mean(np.square(x))))
    return db(band_rms(fit.residual, samplerate) / total) if total > 0 else 0.0


def dynamic_range_db(x: Samples, samplerate: int, frequency_hz: float) -> float:
    """AES17 dynamic range from a -60 dBFS tone: A-weighted THD+N ratio + 60 dB."""
    fit = notch(x, samplerate, frequency_hz)
    total = float(np.sqrt(np.mean(np.square(x))))
    ratio = band_rms(fit.residual, samplerate, a_weighted=True) / total if total > 0 else 1.0
    return -db(ratio) + 60.0


def crosstalk_db(driven: Samples, undriven: Samples, samplerate: int) -> float:
    return db(band_rms(undriven, samplerate) / max(band_rms(driven, samplerate), 1e-30))


@dataclass(frozen=True, slots=True)
class Response:
    samplerate: int
    frequency_hz: Samples  # band centres
    level_db: Samples  # relative to the level at 1 kHz
    gain_db: float  # the level at 1 kHz
    impulse: Samples  # the impulse response, lag 0 first
    transfer: npt.NDArray[np.complex128] = field(repr=False)  # on the FFT grid of `impulse`
    weight: Samples = field(repr=False)  # how well the stimulus excited each bin

    def fraction_after(
        self, lag: int, polarity: int, band_hz: tuple[float, float] = (100.0, 16_000.0)
    ) -> float:
        """The delay beyond `lag` samples: the slope of the transfer phase once `lag` and
        the polarity are taken out, fitted where the stimulus had energy."""
        size = len(self.impulse)
        omega = 2 * np.pi * np.arange(len(self.transfer)) / size
        f = omega / (2 * np.pi) * self.samplerate
        use = (f >= band_hz[0]) & (f <= band_hz[1])
        phase = np.angle(polarity * self.transfer[use] * np.exp(1j * omega[use] * lag))
        w, x = self.weight[use], omega[use]
        return -float(np.sum(w * x * phase) / np.sum(w * x * x))

    def deviation_db(self) -> float:
        inside = (self.frequency_hz >= BAND_HZ[0]) & (self.frequency_hz <= BAND_HZ[1])
        return float(np.max(np.abs(self.level_db[inside]))) if inside.any() else math.nan


def frequency_response(
    stimulus: Samples, capture: Samples, samplerate: int, bands_per_octave: int = 12
) -> Response:
    """Capture spectrum / stimulus spectrum, averaged in fractional-octave bands; both
    arrays start at the same instant (playback start)."""
    size = 1 << (len(stimulus) + len(capture)).bit_length()
    x = np.fft.rfft(stimulus, size)
    y = np.fft.rfft(capture, size)
    power = np.abs(x) ** 2
    h = y * np.conj(x) / (power + 1e-12 * float(np.max(power)))
    f = np.fft.rfftfreq(size, 1.0 / samplerate)
    half = 2 ** (0.5 / bands_per_octave)
    steps = np.arange(-6 * bands_per_octave, 5 * bands_per_octave + 1)
    centres = 1000.0 * 2.0 ** (steps / bands_per_octave)
    centres = centres[centres * half < samplerate / 2]
    levels = np.empty(len(centres))
    for i, c in enumerate(centres):
        inside = (f >= c / half) & (f < c * half)
        levels[i] = 10 * np.log10(np.mean(np.abs(h[inside]) ** 2)) if inside.any() else np.nan
    reference = float(np.interp(1000.0, centres, levels))
    impulse = np.fft.irfft(h, size)
    return Response(
        samplerate,
        centres,
        levels - reference,
        reference,
        np.asarray(impulse, dtype=np.float64),
        h,
        power / float(np.max(power)),
    )
