"""The modelled line-out -> line-in cable of the Scarlett 4i4: pure block processing.

What it applies is known exactly, so measurements can be checked against truth:
- delay: `delay_samples` (integer part through a delay line, fraction through a
  Kaiser-windowed sinc, i.e. band-limited interpolation; phase delay within 3e-4
  sample of nominal from 100 Hz to 16 kHz),
- gain: `gain_db` (the kernel is normalised to unity DC gain),
- noise: white Gaussian noise, RMS `noise_dbfs` relative to a full-scale sine (AES17),
- band limit: low-pass at `cutoff_hz` (the same kernel), DC-coupled,
- faults: dropouts (runs of exact zeros), slips (a repeated then a dropped sample),
  pops (one-sample spikes), unplugged (no signal, noise only).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pytest_usbgate.config.rig import SimModel

Samples = npt.NDArray[np.float64]

KAISER_BETA = 9.0


_SIM = SimModel()  # the rig file's defaults for the modelled cable


@dataclass(frozen=True, slots=True)
class CableParams:
    samplerate: int
    delay_samples: float = _SIM.delay_samples
    gain_db: float = _SIM.gain_db
    noise_dbfs: float = _SIM.noise_dbfs
    cutoff_hz: float = _SIM.cutoff_hz
    taps: int = 64
    seed: int = 1
    unplugged: bool = False
    dropout_every_s: float = 0.0  # 0: none
    dropout_ms: float = 10.0
    slip_every_s: float = 0.0
    pop_every_s: float = 0.0
    pop_level: float = 0.5

    @property
    def fir_center(self) -> int:
        return self.taps // 2 - 1

    def split_delay(self) -> tuple[int, float]:
        """(whole samples in the delay line, fractional part the kernel adds)."""
        whole = math.floor(self.delay_samples)
        frac = self.delay_samples - whole
        line = whole - self.fir_center
        if line < 0:
            raise ValueError(
                f"delay_samples {self.delay_samples} is shorter than the interpolation "
                f"kernel's own delay ({self.fir_center} samples for {self.taps} taps)"
            )
        return line, frac


def fractional_delay_kernel(
    frac: float, taps: int, cutoff_ratio: float, beta: float = KAISER_BETA
) -> Samples:
    """Windowed-sinc low-pass delaying by `taps//2 - 1 + frac` samples, unity DC gain.

    `cutoff_ratio` is cutoff / samplerate (< 0.5)."""
    if not 0.0 <= frac < 1.0:
        raise ValueError(f"frac must be in [0, 1), got {frac}")
    if not 0.0 < cutoff_ratio < 0.5:
        raise ValueError(f"cutoff_ratio must be in (0, 0.5), got {cutoff_ratio}")
    x = np.arange(taps, dtype=np.float64) - (taps // 2 - 1) - frac
    half = taps / 2.0
    window = np.i0(beta * np.sqrt(np.clip(1.0 - (x / half) ** 2, 0.0, None))) / np.i0(beta)
    kernel = 2.0 * cutoff_ratio * np.sinc(2.0 * cutoff_ratio * x) * window
    return np.asarray(kernel / kernel.sum(), dtype=np.float64)


def noise_sigma(noise_dbfs: float) -> float:
    """RMS of white noise at `noise_dbfs` (0 dBFS = RMS of a full-scale sine)."""
    return 0.0 if noise_dbfs == -math.inf else 10.0 ** (noise_dbfs / 20.0) / math.sqrt(2.0)


class Cable:
    """Streams blocks through the cable model; `process` keeps state between blocks."""

    def __init__(self, params: CableParams) -> None:
        self.params = params
        line, frac = params.split_delay()
        self.kernel = fractional_delay_kernel(
            frac, params.taps, params.cutoff_hz / params.samplerate
        )
        self.gain = 10.0 ** (params.gain_db / 20.0)
        self._history = np.zeros(line + params.taps - 1)
        self._rng = np.random.default_rng(params.seed)
        self.sigma = noise_sigma(params.noise_dbfs)
        self._out: deque[float] = deque()
        self._n_in = 0  # samples consumed so far
        self._n_out = 0  # samples emitted so far
        rate = params.samplerate
        self._dropout_every = round(params.dropout_every_s * rate)
        self._dropout_len = round(params.dropout_ms * rate / 1000.0)
        self._slip_every = round(params.slip_every_s * rate)
        self._pop_every = round(params.pop_every_s * rate)
        self.slips = 0

    def process(self, block: npt.ArrayLike) -> Samples:
        x = np.asarray(block, dtype=np.float64)
        frames = len(x)
        extended = np.concatenate([self._history, x])
        self._history = extended[len(extended) - len(self._history) :]
        signal = np.convolve(extended, self.kernel, mode="valid")[:frames] * self.gain
        if self.params.unplugged:
            signal = np.zeros(frames)
        y = self._slip(signal)
        y = y + self._rng.standard_normal(frames) * self.sigma
        self._faults_at_output(y)
        self._n_in += frames
        self._n_out += frames
        return y

    def _slip(self, signal: Samples) -> Samples:
        """Every `slip_every` samples one sample slips: repeated, then dropped the next
        time, so the delay stays within one sample of nominal."""
        if not self._slip_every:
            return signal
        for i, value in enumerate(signal):
            n = self._n_in + i
            self._out.append(float(value))
            if n and n % self._slip_every == 0:
                if self.slips % 2 == 0:
                    self._out.append(float(value))  # repeated frame
                else:
                    self._out.pop()  # dropped frame
                self.slips += 1
        return np.array([self._out.popleft() for _ in range(len(signal))])

    def _faults_at_output(self, y: Samples) -> None:
        n = self._n_out + np.arange(len(y))
        if self._dropout_every:
            # dropouts start half-way through each interval: never at the stream's start
            phase = (n - self._dropout_every // 2) % self._dropout_every
            y[(n >= self._dropout_every // 2) & (phase < self._dropout_len)] = 0.0
        if self._pop_every:
            y[(n > 0) & (n % self._pop_every == 0)] += self.params.pop_level
