"""One capture against the stimulus that was played, pure: the signal check first, then
whatever the stimulus allows (see `analyze`). Both arrays start at playback start.

- every kind: return level, latency (samples, ms), polarity, gain;
- multitone: latency by tone phase in every whole period after the first (the
  reference meter's method, DOMAIN.md §7), its spread across them, and slips and
  dropouts seen as steps between periods;
- sine: THD+N (or, for a tone at -50 dBFS or below, AES17 dynamic range) and the
  glitch detector; latency from the tone's phase next to the correlation peak;
- sweep: frequency response and its deviation; latency from the impulse peak.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

from pytest_usbgate.audio.delay import Samples, coarse_lag, estimate_delay
from pytest_usbgate.audio.glitch import Glitch, block_length, find_glitches, fit_blocks
from pytest_usbgate.audio.quality import (
    Response,
    db,
    dynamic_range_db,
    frequency_response,
    thd_n_db,
)
from pytest_usbgate.audio.stimulus import Stimulus

NO_SIGNAL_BELOW_DB: Final = 40.0  # return this far below what was sent: nothing came back
CLIP_DBFS: Final = -0.1
DR_TONE_AT_OR_BELOW_DBFS: Final = -50.0
HEAD_STEADY_S: Final = 0.4  # of tone after the latest onset, to know its steady level
QUALITY_S: Final = 10.0  # of steady tone for latency, gain, THD+N, dynamic range


class SignalError(ValueError):
    """No usable return: nothing came back, or it clipped."""


@dataclass(frozen=True, slots=True)
class AudioAnalysis:
    kind: str
    samplerate: int
    level_dbfs: float  # RMS of the return while the stimulus plays
    peak_dbfs: float
    latency_samples: float
    polarity: int
    gain_db: float
    latency_spread_samples: float = 0.0  # multitone: max - min over its windows
    windows: int = 1
    thd_n_db: float | None = None
    dynamic_range_db: float | None = None
    fr_deviation_db: float | None = None
    glitches: tuple[Glitch, ...] = ()
    glitches_checked: bool = False
    response: Response | None = field(default=None, compare=False)

    @property
    def latency_ms(self) -> float:
        return self.latency_samples / self.samplerate * 1000.0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "samplerate": self.samplerate,
            "latency_samples": round(self.latency_samples, 6) + 0.0,  # never -0.0
            "latency_ms": round(self.latency_ms, 6) + 0.0,
            "polarity": self.polarity,
            "gain_db": round(self.gain_db, 4) + 0.0,
            "level_dbfs": round(self.level_dbfs, 2),
            "peak_dbfs": round(self.peak_dbfs, 2),
            "latency_spread_samples": round(self.latency_spread_samples, 6),
            "windows": self.windows,
            "glitches": [
                {"time_s": round(g.time_s, 5), "kind": g.kind, "size": round(g.size, 3)}
                for g in self.glitches
            ],
            "glitches_checked": self.glitches_checked,
        }
        for name in ("thd_n_db", "dynamic_range_db", "fr_deviation_db"):
            value = getattr(self, name)
            if value is not None:
                out[name] = round(value, 3)
        return out


def return_levels(stimulus: Stimulus, capture: Samples) -> tuple[float, float, bool]:
    """(RMS level, peak) in dBFS while the stimulus plays, and whether that is a return
    at all (not more than NO_SIGNAL_BELOW_DB under what was sent). Reads `capture` (an
    array or a WAV view) piece by piece."""
    energy, top, count = 0.0, 0.0, 0
    for x in _pieces(capture, stimulus.start, stimulus.total):
        energy += float(np.dot(x, x))
        top = max(top, float(np.max(np.abs(x))))
        count += len(x)
    level = db(math.sqrt(energy / max(count, 1)) * math.sqrt(2))  # RMS dBFS (full-scale sine 0)
    return level, db(top), level >= stimulus.rms_dbfs - NO_SIGNAL_BELOW_DB


def check_signal(
    stimulus: Stimulus, capture: Samples, input_label: str, output_label: str
) -> tuple[float, float]:
    """(level, peak) of the return in dBFS; SignalError when there is none or it clips."""
    level, peak, present = return_levels(stimulus, capture)
    sent = stimulus.rms_dbfs
    if not present:
        raise SignalError(
            f"no signal on {input_label}: {level:.1f} dBFS; expected a return from "
            f"{output_label} (sent at {sent:.1f} dBFS)"
        )
    if peak >= CLIP_DBFS:
        raise SignalError(f"clipping on {input_label}: peak {peak:.2f} dBFS")
    return level, peak


def analyze(
    stimulus: Stimulus,
    capture: Samples,
    input_label: str = "the input",
    output_label: str = "the output",
) -> AudioAnalysis:
    """Analyze `capture` (at least as long as the stimulus) against `stimulus`."""
    if len(capture) < stimulus.total:
        raise ValueError(
            f"capture too short: {len(capture)} samples, the stimulus needs {stimulus.total}"
        )
    level, peak = check_signal(stimulus, capture, input_label, output_label)
    if stimulus.kind == "sine":
        return _sine(stimulus, capture, level, peak)
    played = stimulus.render()
    capture = np.asarray(capture[: len(capture)], dtype=np.float64)  # a WAV view: read it all
    if stimulus.kind == "multitone":
        return _multitone(stimulus, played, capture, level, peak)
    return _sweep(stimulus, played, capture, level, peak)


def _multitone(
    stimulus: Stimulus, played: Samples, capture: Samples, level: float, peak: float
) -> AudioAnalysis:
    tone = stimulus.multitone()
    lag = coarse_lag(played, capture)
    periods = stimulus.length // tone.period
    estimates = [
        estimate_delay(played, capture, tone, stimulus.start, settle, lag)
        for settle in range(1, periods)
        if stimulus.start + (settle + 1) * tone.period + lag <= len(capture)
    ]
    if not estimates:
        raise ValueError("capture too short for one multitone window after the delay")
    delays = [e.delay_samples for e in estimates]
    gains = [e.gain_db for e in estimates]
    glitches = []
    for k in range(1, len(estimates)):  # window k starts (k + 1) periods into the tone
        at_s = (stimulus.start + (k + 1) * tone.period + lag) / stimulus.samplerate
        step = delays[k] - delays[k - 1]
        if abs(step) > 0.5:
            kind = "repeated_sample" if step > 0 else "dropped_sample"
            glitches.append(Glitch(at_s, kind, -step))
        elif abs(gains[k] - float(np.median(gains))) > 1.0:
            glitches.append(Glitch(at_s, "dropout", gains[k] - float(np.median(gains))))
    polarities = [e.polarity for e in estimates]
    return AudioAnalysis(
        kind="multitone",
        samplerate=stimulus.samplerate,
        level_dbfs=level,
        peak_dbfs=peak,
        latency_samples=float(np.median(delays)),
        polarity=max(set(polarities), key=polarities.count),
        gain_db=float(np.median(gains)),
        latency_spread_samples=max(delays) - min(delays),
        windows=len(estimates),
        glitches=tuple(glitches),
        glitches_checked=True,
    )


def steady_span(stimulus: Stimulus, lag: int) -> tuple[int, int]:
    """Where the capture holds the steady tone: the signal less its fades and two fit
    blocks at each end, moved by the latency."""
    margin = stimulus.fade + 2 * block_length(stimulus.samplerate, stimulus.frequency_hz)
    return stimulus.start + lag + margin, stimulus.start + lag + stimulus.length - margin


def onset_lag(played: Samples, capture: Samples, steady_from: int) -> int:
    """Whole-sample lag of a tone's onset: where the envelope (|analytic signal|) first
    reaches half its steady level (the median from `steady_from`, after the latest
    possible onset), capture against stimulus. A steady tone's own correlation peaks
    every cycle; its onset happens once. Both arrays are the recording's head."""
    return _half_rise(capture, steady_from) - _half_rise(played, steady_from)


def _half_rise(x: Samples, steady_from: int) -> int:
    tapered = np.asarray(x, dtype=np.float64).copy()
    taper = len(x) // 8  # the cut at the end must not ring back to the start
    tapered[len(x) - taper :] *= np.hanning(2 * taper)[taper:]
    size = 2 * len(x)
    spectrum = np.fft.fft(tapered, size)
    spectrum[1 : size // 2] *= 2
    spectrum[size // 2 + 1 :] = 0  # the analytic signal
    envelope = np.abs(np.fft.ifft(spectrum)[: len(x)])
    steady = float(np.median(envelope[steady_from : len(x) - taper]))
    return int(np.argmax(envelope >= steady / 2))


def _sine(stimulus: Stimulus, capture: Samples, level: float, peak: float) -> AudioAnalysis:
    """Latency and quality from the first `QUALITY_S` of steady tone; glitches over all
    of it, read piece by piece (an hour-long capture may be a memory map)."""
    rate, f = stimulus.samplerate, stimulus.frequency_hz
    latest_onset = stimulus.start + round(stimulus.tail_s * rate) + stimulus.fade
    head = latest_onset + round(HEAD_STEADY_S * rate)
    if head > stimulus.start + stimulus.length:
        shortest_s = (head - stimulus.start) / rate
        raise ValueError(
            f"a sine of {stimulus.seconds:g} s is too short: at least {shortest_s:g} s"
        )
    lag = onset_lag(
        stimulus.render(head), np.asarray(capture[:head], dtype=np.float64), latest_onset
    )
    lo, hi = steady_span(stimulus, lag)
    quality_hi = min(hi, lo + round(QUALITY_S * rate))
    steady = np.asarray(capture[lo:quality_hi], dtype=np.float64)
    sent = stimulus.render(quality_hi - lag)[lo - lag :]
    n = np.arange(lo - lag, quality_hi - lag)
    probe = np.exp(-2j * np.pi * f / rate * n)
    ratio = complex(np.sum(steady * probe) / np.sum(sent * probe))
    # the phase gives the delay beyond `lag` modulo a cycle, or modulo half a cycle with
    # the polarity unknown: take the polarity whose delay lies nearest the onset's
    cycle = rate / f
    candidates = []
    for polarity in (1, -1):
        fraction = -float(np.angle(ratio * polarity)) / (2 * np.pi) * cycle
        candidates.append((abs(fraction), polarity, fraction))
    _, polarity, fraction = min(candidates)
    fits = fit_blocks(_pieces(capture, lo, hi), rate, f, first_sample=lo)
    quiet = stimulus.level_dbfs <= DR_TONE_AT_OR_BELOW_DBFS
    return AudioAnalysis(
        kind="sine",
        samplerate=rate,
        level_dbfs=level,
        peak_dbfs=peak,
        latency_samples=lag + fraction,
        polarity=polarity,
        gain_db=20 * math.log10(abs(ratio)),
        thd_n_db=None if quiet else thd_n_db(steady, rate, f),
        dynamic_range_db=dynamic_range_db(steady, rate, f) if quiet else None,
        glitches=tuple(find_glitches(fits, rate, f)),
        glitches_checked=True,
    )


def _pieces(x: Samples, lo: int, hi: int, size: int = 1 << 20) -> Iterator[Samples]:
    """x[lo:hi] a piece at a time: a memory-mapped capture is read only as it is used."""
    for at in range(lo, min(hi, len(x)), size):
        yield np.asarray(x[at : min(at + size, hi)], dtype=np.float64)


def _sweep(
    stimulus: Stimulus, played: Samples, capture: Samples, level: float, peak: float
) -> AudioAnalysis:
    response = frequency_response(played, capture, stimulus.samplerate)
    impulse = response.impulse[: len(capture)]
    k = int(np.argmax(np.abs(impulse)))
    polarity = 1 if impulse[k] > 0 else -1
    return AudioAnalysis(
        kind="sweep",
        samplerate=stimulus.samplerate,
        level_dbfs=level,
        peak_dbfs=peak,
        latency_samples=k + response.fraction_after(k, polarity),
        polarity=polarity,
        gain_db=response.gain_db,
        fr_deviation_db=response.deviation_db(),
        response=response,
    )
