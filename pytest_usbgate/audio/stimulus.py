"""Audio stimuli, pure: what is played, described by a `Stimulus` that travels with the
samples (in a WAV's comment) so a capture made elsewhere can be analyzed against it.

Every stimulus is `lead_s` of silence, the signal, then `tail_s` of silence: the tail
pads playback for the worst latency (the recording is as long as the playback).
- multitone: tones on exact DFT bins of one `period`, repeated (latency by phase),
- sine: a steady tone with raised-cosine fades (THD+N, dynamic range, glitches),
- sweep: an exponential sweep, Farina (frequency response, impulse response).
Levels are dBFS of the peak (a full-scale sine is 0 dBFS).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any, Final

import numpy as np

from pytest_usbgate.audio.delay import Multitone, Samples, log_spaced_multitone

KINDS: Final = ("multitone", "sine", "sweep")
THD_FREQUENCY_HZ: Final = 997.0  # AES17: not a sub-multiple of common sample rates
FADE_S: Final = 0.01


@dataclass(frozen=True, slots=True)
class Stimulus:
    kind: str  # one of KINDS
    samplerate: int
    seconds: float  # of signal, without the silences
    level_dbfs: float = -6.0
    frequency_hz: float = THD_FREQUENCY_HZ  # sine
    sweep_low_hz: float = 10.0
    sweep_high_hz: float = 22_000.0
    period: int = 8192  # multitone
    lead_s: float = 0.1
    tail_s: float = 0.5

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind: expected one of {', '.join(KINDS)}, got {self.kind!r}")
        if not 8000 <= self.samplerate <= 384_000:
            raise ValueError(f"samplerate: expected 8000 to 384000 Hz, got {self.samplerate}")
        if not 0.05 <= self.seconds <= 7200:
            raise ValueError(f"seconds: expected 0.05 to 7200, got {self.seconds}")
        if not -120.0 <= self.level_dbfs <= 0.0:
            raise ValueError(f"level_dbfs: expected -120 to 0, got {self.level_dbfs}")

    @property
    def start(self) -> int:
        """Index of the signal's first sample."""
        return round(self.lead_s * self.samplerate)

    @property
    def length(self) -> int:
        """Samples of signal (a whole number of periods for a multitone)."""
        n = round(self.seconds * self.samplerate)
        if self.kind == "multitone":
            return max(2, round(n / self.period)) * self.period
        return n

    @property
    def total(self) -> int:
        return self.start + self.length + round(self.tail_s * self.samplerate)

    @property
    def fade(self) -> int:
        return round(FADE_S * self.samplerate)

    @property
    def peak(self) -> float:
        return float(10.0 ** (self.level_dbfs / 20.0))

    def multitone(self) -> Multitone:
        return log_spaced_multitone(self.samplerate, self.period)

    @property
    def rms_dbfs(self) -> float:
        """RMS level of the signal (a sine or sweep: its peak level)."""
        if self.kind != "multitone":
            return self.level_dbfs
        one = self.multitone().one_period(self.peak)
        return float(20 * np.log10(np.sqrt(np.mean(one * one) * 2)))

    def render(self, stop: int | None = None) -> Samples:
        """The samples from the first to `stop` (default: all)."""
        stop = self.total if stop is None else min(stop, self.total)
        out = np.zeros(stop)
        end = min(stop, self.start + self.length)
        if end > self.start:
            out[self.start : end] = self._signal(end - self.start)
        return out

    def _signal(self, count: int) -> Samples:
        if self.kind == "multitone":
            return self.multitone().signal(self.length // self.period, self.peak)[:count]
        n = np.arange(count, dtype=np.float64)
        if self.kind == "sine":
            body = np.cos(2 * np.pi * self.frequency_hz / self.samplerate * n)
        else:
            body = np.sin(sweep_phase(n, self))
        envelope = _fades(self.length, self.fade, count)
        return np.asarray(self.peak * body * envelope, dtype=np.float64)

    def to_json(self) -> str:
        return json.dumps({"usbgate_stimulus": asdict(self)}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Stimulus:
        """ValueError when `text` is not a stimulus description."""
        try:
            fields: Any = json.loads(text)["usbgate_stimulus"]
            return cls(**fields)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"not a usbgate stimulus description ({exc})") from None


def sweep_rate_constant_s(stimulus: Stimulus) -> float:
    """L of the exponential sweep: f(t) = f1 e^(t/L)."""
    return stimulus.seconds / math.log(stimulus.sweep_high_hz / stimulus.sweep_low_hz)


def sweep_phase(n: Samples, stimulus: Stimulus) -> Samples:
    t = n / stimulus.samplerate
    rate_s = sweep_rate_constant_s(stimulus)
    return np.asarray(
        2 * np.pi * stimulus.sweep_low_hz * rate_s * (np.exp(t / rate_s) - 1), dtype=np.float64
    )


def _fades(length: int, fade: int, count: int) -> Samples:
    """The first `count` samples of a raised-cosine fade-in and fade-out envelope."""
    fade = min(fade, length // 2)
    n = np.arange(count, dtype=np.float64)
    rise = 0.5 - 0.5 * np.cos(np.pi * (np.minimum(n, fade - 1) + 0.5) / max(fade, 1))
    fall = 0.5 - 0.5 * np.cos(np.pi * (np.minimum(length - 1 - n, fade - 1) + 0.5) / max(fade, 1))
    envelope = np.ones(count)
    envelope[n < fade] = rise[n < fade]
    tail = n >= length - fade
    envelope[tail] = fall[tail]
    return envelope
