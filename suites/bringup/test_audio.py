"""Bring-up gate, audio: the loop returns the stimulus on the right input, in time and
steady to the sample, at the right level, clean, flat and without glitches."""

from pytest_usbgate import Criteria
from pytest_usbgate.audio import AudioLoop, attach_take

LATENCY = ("audio.rtl_ms", "audio.rtl_stability_samples", "audio.gain_db", "audio.xruns")


def test_audio_round_trip_latency(audio_loopback: AudioLoop, criteria: Criteria) -> None:
    take = audio_loopback.take(audio_loopback.stimulus("multitone", seconds=2.0))
    result = take.analyze(criteria, *LATENCY)
    attach_take(take, result)
    driver = take.driver_latency_s
    if driver is None:
        reported = "the driver reports no usable latency"
    else:
        differs = " (differs by over 1 ms)" if abs(driver * 1000 - result.latency_ms) > 1 else ""
        reported = f"the driver reports {driver * 1000:.3f} ms{differs}"
    criteria.check_all(
        {
            "audio.rtl_ms": result.latency_ms,
            "audio.rtl_stability_samples": result.latency_spread_samples,
            "audio.gain_db": result.gain_db,
            "audio.xruns": take.xruns,
        },
        detail=f"latency {result.latency_samples:.4f} samples over {result.windows} windows, "
        f"polarity {result.polarity:+d}, take {take.number}; {reported}",
    )


def test_audio_thd_n_and_glitches(audio_loopback: AudioLoop, criteria: Criteria) -> None:
    take = audio_loopback.take(audio_loopback.stimulus("sine", seconds=4.0, level_dbfs=-1.0))
    result = take.analyze(criteria, "audio.thd_n_db", "audio.glitches")
    attach_take(take, result)
    assert result.thd_n_db is not None
    criteria.check_all(
        {
            "audio.thd_n_db": result.thd_n_db,
            "audio.glitches": len(result.glitches),
            "audio.crosstalk_db": take.crosstalk_db(),
        },
        detail="\n".join(g.describe() for g in result.glitches),
    )


def test_audio_dynamic_range(audio_loopback: AudioLoop, criteria: Criteria) -> None:
    take = audio_loopback.take(audio_loopback.stimulus("sine", seconds=2.0, level_dbfs=-60.0))
    result = take.analyze(criteria, "audio.snr_db")
    attach_take(take, result)
    assert result.dynamic_range_db is not None
    criteria.check("audio.snr_db", result.dynamic_range_db, detail="AES17, A-weighted")


def test_audio_frequency_response(audio_loopback: AudioLoop, criteria: Criteria) -> None:
    take = audio_loopback.take(audio_loopback.stimulus("sweep", seconds=2.0))
    result = take.analyze(criteria, "audio.fr_deviation_db")
    attach_take(take, result)
    assert result.fr_deviation_db is not None
    criteria.check("audio.fr_deviation_db", result.fr_deviation_db, detail="10 Hz-22 kHz sweep")
