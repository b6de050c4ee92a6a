"""Audio evidence for Allure: the summary as JSON, a plot for what the stimulus measured
(correlation peak for latency, spectrum with the THD+N residual, frequency response,
glitch timeline) and a short WAV around each glitch. Allure has no WAV type: WAVs go
as `audio/wav` with the extension `wav`."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path
from typing import Any

import allure
import numpy as np

from pytest_usbgate.audio.analysis import AudioAnalysis, steady_span
from pytest_usbgate.audio.delay import Samples
from pytest_usbgate.audio.quality import notch
from pytest_usbgate.audio.stream import AudioTake
from pytest_usbgate.audio.wav import write_wav

EXCERPT_S = 0.05  # either side of a glitch
MAX_EXCERPTS = 10


def _figure(title: str) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 3.5), dpi=100)
    axes = figure.add_subplot()
    axes.set_title(title, fontsize=10)
    axes.grid(True, alpha=0.3)
    return figure, axes


def _png(figure: Any) -> bytes:
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def correlation_png(played: Samples, returned: Samples, result: AudioAnalysis) -> bytes:
    """Cross-correlation of return and stimulus near the measured latency."""
    size = 1 << (len(played) + len(returned)).bit_length()
    corr = np.fft.irfft(np.fft.rfft(returned, size) * np.conj(np.fft.rfft(played, size)), size)
    centre = round(result.latency_samples)
    lags = np.arange(max(0, centre - 32), min(len(returned), centre + 33))
    figure, axes = _figure(
        f"correlation peak: {result.latency_samples:.3f} samples "
        f"({result.latency_ms:.3f} ms), polarity {result.polarity:+d}"
    )
    axes.plot(lags, corr[lags] / np.max(np.abs(corr)), marker=".", color="#3b6ea5")
    axes.axvline(result.latency_samples, color="#c0392b", linestyle="--")
    axes.set_xlabel("lag (samples)")
    axes.set_ylabel("normalised correlation")
    return _png(figure)


def spectrum_png(steady: Samples, samplerate: int, frequency_hz: float, title: str) -> bytes:
    """Spectrum of the steady tone and of what the notch leaves (noise and distortion)."""
    fit = notch(steady, samplerate, frequency_hz)
    window = np.hanning(len(steady))
    scale = 2 / np.sum(window)
    f = np.fft.rfftfreq(len(steady), 1 / samplerate)
    figure, axes = _figure(title)
    for data, label, colour in (
        (steady, "return", "#3b6ea5"),
        (fit.residual, "THD+N residual", "#c0392b"),
    ):
        level = 20 * np.log10(np.abs(np.fft.rfft(data * window)) * scale + 1e-12)
        axes.semilogx(f[1:], level[1:], label=label, color=colour, linewidth=0.7)
    axes.set_xlim(20, samplerate / 2)
    axes.set_xlabel("frequency (Hz)")
    axes.set_ylabel("dBFS (peak)")
    axes.legend(fontsize=8)
    return _png(figure)


def response_png(result: AudioAnalysis) -> bytes:
    assert result.response is not None
    response = result.response
    figure, axes = _figure(
        f"frequency response (1/12 octave), deviation {result.fr_deviation_db:.3f} dB"
    )
    axes.semilogx(response.frequency_hz, response.level_db, color="#3b6ea5")
    axes.set_xlim(20, 20_000)
    axes.set_xlabel("frequency (Hz)")
    axes.set_ylabel("dB re 1 kHz")
    return _png(figure)


def glitch_png(result: AudioAnalysis, duration_s: float) -> bytes:
    figure, axes = _figure(f"glitch timeline: {len(result.glitches)} found")
    kinds = ["dropped_sample", "repeated_sample", "dropout", "pop"]
    for glitch in result.glitches:
        axes.plot(glitch.time_s, kinds.index(glitch.kind), "o", color="#c0392b")
    axes.set_yticks(range(len(kinds)), kinds)
    axes.set_xlim(0, duration_s)
    axes.set_xlabel("time in the capture (s)")
    return _png(figure)


def glitch_excerpts(returned: Samples, samplerate: int, result: AudioAnalysis) -> list[bytes]:
    """A WAV of +-EXCERPT_S around each glitch (the first MAX_EXCERPTS)."""
    half = round(EXCERPT_S * samplerate)
    out = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "excerpt.wav"
        for glitch in result.glitches[:MAX_EXCERPTS]:
            at = round(glitch.time_s * samplerate)
            write_wav(path, returned[max(0, at - half) : at + half], samplerate)
            out.append(path.read_bytes())
    return out


def attach_take(take: AudioTake, result: AudioAnalysis) -> None:
    """Everything a reviewer needs to see what this take measured."""
    returned = take.returned()
    rate = take.loop.samplerate
    crosstalk = take.crosstalk_db()
    summary = {
        **result.to_dict(),
        "driver_latency_ms": None
        if take.driver_latency_s is None
        else round(take.driver_latency_s * 1000, 3),
        "take": take.number,
        "xrun_flags": take.flags,
        "host_xruns": take.host_xruns,
        "stream_breaks_s": None
        if take.breaks is None
        else [round(f / rate, 5) for f in take.breaks],
        "crosstalk_db": None if crosstalk is None else round(crosstalk, 2),
    }
    allure.attach(
        json.dumps(summary, indent=2),
        name="audio summary",
        attachment_type=allure.attachment_type.JSON,
    )
    stimulus = take.stimulus
    if result.kind == "multitone":
        _png_attach("correlation peak", correlation_png(stimulus.render(), returned, result))
    elif result.kind == "sweep":
        _png_attach("frequency response", response_png(result))
    else:
        lo, hi = steady_span(stimulus, round(result.latency_samples))
        title = f"spectrum, {stimulus.frequency_hz:g} Hz at {stimulus.level_dbfs:g} dBFS"
        _png_attach("spectrum", spectrum_png(returned[lo:hi], rate, stimulus.frequency_hz, title))
        _png_attach("glitch timeline", glitch_png(result, len(returned) / rate))
        for i, wav in enumerate(glitch_excerpts(returned, rate, result)):
            glitch = result.glitches[i]
            name = f"glitch at {glitch.time_s:.4f} s ({glitch.kind})"
            allure.attach(wav, name=name, attachment_type="audio/wav", extension="wav")


def _png_attach(name: str, png: bytes) -> None:
    allure.attach(png, name=name, attachment_type=allure.attachment_type.PNG)
