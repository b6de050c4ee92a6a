"""Audio analysis on synthetic captures with known truth: exact expectations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pytest_usbgate.audio.analysis import SignalError, analyze
from pytest_usbgate.audio.glitch import Glitch, find_glitches, fit_blocks
from pytest_usbgate.audio.quality import (
    a_weighting_db,
    band_rms,
    dynamic_range_db,
    frequency_response,
    thd_n_db,
)
from pytest_usbgate.audio.stimulus import Stimulus
from pytest_usbgate.audio.synthetic import through_cable

RATE = 48000


@pytest.mark.parametrize("kind", ["multitone", "sine", "sweep"])
@pytest.mark.parametrize(("delay", "polarity"), [(10.25, 1), (1041.3, -1), (19_999.871, 1)])
def test_latency_polarity_and_gain_of_every_kind(kind: str, delay: float, polarity: int) -> None:
    stimulus = Stimulus(kind, RATE, 1.5)
    capture = through_cable(stimulus.render(), RATE, delay, -3.0, polarity, -90.0)
    result = analyze(stimulus, capture)
    tolerance = 0.001 if kind == "multitone" else 0.01
    assert result.latency_samples == pytest.approx(delay, abs=tolerance)
    assert result.latency_ms == pytest.approx(delay / 48, abs=tolerance / 48)
    assert result.polarity == polarity
    assert result.gain_db == pytest.approx(-3.0, abs=0.01)


def test_multitone_windows_agree_and_a_slip_between_them_shows() -> None:
    stimulus = Stimulus("multitone", RATE, 1.5)  # 9 periods of 8192: 8 windows
    played = stimulus.render()
    capture = through_cable(played, RATE, 300.0, noise_dbfs=-100.0)
    clean = analyze(stimulus, capture)
    assert clean.windows == 8
    assert clean.latency_spread_samples < 1e-4
    assert clean.glitches == ()
    at = stimulus.start + 300 + 5 * 8192 + 100  # inside the fifth window
    slipped = np.concatenate([capture[:at], capture[at - 1 : -1]])  # one repeated sample
    result = analyze(stimulus, slipped)
    assert result.latency_spread_samples == pytest.approx(1.0, abs=0.01)
    assert [g.kind for g in result.glitches] == ["repeated_sample"]


def _tone(seconds: float, level_dbfs: float = -1.0) -> tuple[Stimulus, np.ndarray]:
    stimulus = Stimulus("sine", RATE, seconds, level_dbfs=level_dbfs)
    return stimulus, through_cable(stimulus.render(), RATE, 123.4, noise_dbfs=-110.0)


def test_glitches_each_kind_found_once_at_its_time() -> None:
    stimulus, capture = _tone(6.0)
    s = stimulus.start + 123  # the tone's first sample in the capture
    drop, repeat, gap, pop = s + RATE, s + 2 * RATE, s + 3 * RATE, s + 4 * RATE + 7
    damaged = np.concatenate(
        [capture[:drop], capture[drop + 1 : repeat], capture[repeat - 1 : repeat], capture[repeat:]]
    )[: len(capture)]
    damaged = damaged.copy()
    damaged[gap : gap + RATE // 1000] = 0.0  # 1 ms dropout
    damaged[pop] += 0.01  # -40 dBFS
    found = analyze(stimulus, damaged).glitches
    assert [g.kind for g in found] == ["dropped_sample", "repeated_sample", "dropout", "pop"]
    for glitch, at in zip(found, (drop, repeat - 1, gap, pop), strict=True):
        assert abs(glitch.time_s - at / RATE) < 0.0021  # within one fit block
    assert found[0].size == pytest.approx(1.0, abs=0.02)
    assert found[1].size == pytest.approx(-1.0, abs=0.02)
    assert found[3].size == pytest.approx(-40.0, abs=0.5)


def test_a_clean_tone_has_no_glitches_not_even_at_its_fades() -> None:
    stimulus, capture = _tone(3.0)
    result = analyze(stimulus, capture)
    assert result.glitches_checked and result.glitches == ()
    # the detector itself over the whole capture, fades and silence included, would see
    # them: the analysis must judge the steady span only
    fits = fit_blocks([capture], RATE, stimulus.frequency_hz)
    assert find_glitches(fits, RATE, stimulus.frequency_hz) != []


def test_glitch_detector_streams_in_any_chunking() -> None:
    _, capture = _tone(3.0)
    steady = capture[20000:140000].copy()
    steady[50000] += 0.01
    whole = find_glitches(fit_blocks([steady], RATE, 997.0, 20000), RATE, 997.0)
    pieces = [steady[i : i + 7777] for i in range(0, len(steady), 7777)]
    streamed = find_glitches(fit_blocks(pieces, RATE, 997.0, 20000), RATE, 997.0)
    assert [(g.kind, round(g.time_s * RATE)) for g in whole] == [("pop", 70000)]
    assert [(g.kind, g.time_s) for g in streamed] == [(g.kind, g.time_s) for g in whole]
    assert streamed[0].size == pytest.approx(whole[0].size, abs=1e-9)


def test_thd_n_of_a_known_harmonic_and_noise() -> None:
    n = np.arange(RATE * 2)
    tone = 0.5 * np.cos(2 * np.pi * 997 / RATE * n)
    harmonic = 0.5e-4 * np.cos(2 * np.pi * 2 * 997 / RATE * n + 0.3)  # -80 dB re the tone
    assert thd_n_db(tone + harmonic, RATE, 997.0) == pytest.approx(-80.0, abs=0.01)


def test_dynamic_range_of_a_known_noise_floor() -> None:
    rng = np.random.default_rng(1)
    n = np.arange(RATE * 4)
    tone = 1e-3 * np.cos(2 * np.pi * 997 / RATE * n)  # -60 dBFS
    noise = rng.standard_normal(len(n)) * 1e-5  # RMS 1e-5
    f = np.fft.rfftfreq(len(n), 1 / RATE)
    inside = (f >= 20) & (f <= 20000)
    weighted = np.sqrt(np.mean(10 ** (a_weighting_db(np.maximum(f[inside], 1e-3)) / 10)))
    # white noise: the band keeps 20/24 of its power, A-weighting scales it by `weighted`
    noise_a = 1e-5 * math.sqrt(np.sum(inside) / len(f)) * weighted
    expected = -20 * math.log10(noise_a / np.sqrt(np.mean((tone + noise) ** 2))) + 60
    assert dynamic_range_db(tone + noise, RATE, 997.0) == pytest.approx(expected, abs=0.1)


def test_a_weighting_reference_points() -> None:
    db = a_weighting_db(np.array([100.0, 1000.0, 10_000.0]))
    assert db == pytest.approx([-19.1, 0.0, -2.5], abs=0.1)  # IEC 61672 table


def test_band_rms_keeps_20_hz_to_20_khz() -> None:
    n = np.arange(RATE)
    inside = np.cos(2 * np.pi * 1000 / RATE * n)
    outside = np.cos(2 * np.pi * 22_000 / RATE * n)
    assert band_rms(inside + outside, RATE) == pytest.approx(1 / math.sqrt(2), rel=1e-6)


def test_frequency_response_of_a_known_filter() -> None:
    stimulus = Stimulus("sweep", RATE, 2.0)
    played = stimulus.render()
    size = 2 * len(played)
    f = np.fft.rfftfreq(size, 1 / RATE)
    h = 1 / np.sqrt(1 + (f / 10_000) ** 2)  # zero-phase one-pole magnitude
    capture = np.fft.irfft(np.fft.rfft(played, size) * h, size)[: len(played)]
    response = frequency_response(played, capture, RATE)
    at = int(np.argmin(np.abs(response.frequency_hz - 19_027)))  # the last band under 20 kHz
    expected = -10 * math.log10(1 + (19_027 / 10_000) ** 2) + 10 * math.log10(1 + 0.01)
    assert response.level_db[at] == pytest.approx(expected, abs=0.02)
    assert response.deviation_db() == pytest.approx(-expected, abs=0.02)
    assert analyze(stimulus, capture).fr_deviation_db == pytest.approx(-expected, abs=0.02)


def test_no_signal_and_clipping_say_so_in_one_line() -> None:
    stimulus = Stimulus("multitone", RATE, 1.0)
    silent = np.random.default_rng(0).standard_normal(stimulus.total) * 1e-5
    with pytest.raises(SignalError) as info:
        analyze(stimulus, silent, "input 3", "output 1")
    assert str(info.value) == (
        "no signal on input 3: -97.0 dBFS; expected a return from output 1 (sent at -15.8 dBFS)"
    )
    loud = through_cable(stimulus.render(), RATE, 50.0, gain_db=12.0)
    with pytest.raises(SignalError, match=r"^clipping on input 3: peak [0-9.]+ dBFS$"):
        analyze(stimulus, loud, "input 3", "output 1")


def test_stimulus_description_round_trips_and_is_checked() -> None:
    stimulus = Stimulus("sine", 44100, 2.5, level_dbfs=-20.0, frequency_hz=1000.0)
    assert Stimulus.from_json(stimulus.to_json()) == stimulus
    assert len(stimulus.render()) == stimulus.total == 4410 + 110250 + 22050
    assert Stimulus("multitone", RATE, 1.0).length == 6 * 8192  # whole periods
    with pytest.raises(ValueError, match="not a usbgate stimulus"):
        Stimulus.from_json('{"other": 1}')
    with pytest.raises(ValueError, match="kind: expected one of multitone, sine, sweep"):
        Stimulus("noise", RATE, 1.0)


def test_glitch_describe() -> None:
    assert Glitch(1.5, "pop", -40.04).describe() == "1.5000 s: pop (-40.04 dBFS)"
