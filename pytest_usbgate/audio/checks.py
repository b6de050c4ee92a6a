"""The audio checks (a take through the rig's cable -> criteria) the bring-up and design
suites call: each plays one stimulus, analyzes the return, attaches the evidence and
judges its criteria."""

from __future__ import annotations

from typing import Final

from pytest_usbgate.audio.budget import buffer_latency_ms
from pytest_usbgate.audio.evidence import attach_take
from pytest_usbgate.audio.stream import AudioLoop
from pytest_usbgate.config.rig import Rig
from pytest_usbgate.gate.checker import Criteria
from pytest_usbgate.gate.criteria import Record

LATENCY: Final = ("audio.rtl_ms", "audio.rtl_stability_samples", "audio.gain_db", "audio.xruns")
DRIVER_DISAGREES_MS: Final = 1.0


def check_buffer_latency(criteria: Criteria, rig: Rig) -> Record | None:
    """audio.buffer_latency_ms from the rig's block size, periods and rate (design gate);
    None without an [audio.loopback]."""
    loop = rig.audio_loopback
    if loop is None:
        return None
    return criteria.check(
        "audio.buffer_latency_ms",
        buffer_latency_ms(loop.blocksize, loop.periods, loop.samplerate),
        detail=f"{loop.periods + 1} x {loop.blocksize} frames at {loop.samplerate} Hz",
    )


def check_round_trip_latency(criteria: Criteria, loop: AudioLoop) -> list[Record]:
    """Round-trip latency, its stability, gain and stream breaks from a multitone, with
    the driver's reported latency beside the measured one."""
    take = loop.take(loop.stimulus("multitone", seconds=2.0))
    result = take.analyze(criteria, *LATENCY)
    attach_take(take, result)
    driver = take.driver_latency_s
    if driver is None:
        reported = "the driver reports no usable latency"
    else:
        off = abs(driver * 1000 - result.latency_ms) > DRIVER_DISAGREES_MS
        reported = f"the driver reports {driver * 1000:.3f} ms" + (
            " (differs by over 1 ms)" if off else ""
        )
    return criteria.check_all(
        {
            "audio.rtl_ms": result.latency_ms,
            "audio.rtl_stability_samples": result.latency_spread_samples,
            "audio.gain_db": result.gain_db,
            "audio.xruns": take.xruns,
        },
        detail=f"latency {result.latency_samples:.4f} samples over {result.windows} windows, "
        f"polarity {result.polarity:+d}, take {take.number}; {reported}",
    )


def check_thd_n_and_glitches(criteria: Criteria, loop: AudioLoop) -> list[Record]:
    """THD+N, glitches and crosstalk from a 997 Hz sine at -1 dBFS."""
    take = loop.take(loop.stimulus("sine", seconds=4.0, level_dbfs=-1.0))
    result = take.analyze(criteria, "audio.thd_n_db", "audio.glitches")
    attach_take(take, result)
    return criteria.check_all(
        {
            "audio.thd_n_db": result.thd_n_db,
            "audio.glitches": len(result.glitches),
            "audio.crosstalk_db": take.crosstalk_db(),
        },
        detail="\n".join(g.describe() for g in result.glitches),
    )


def check_dynamic_range(criteria: Criteria, loop: AudioLoop) -> Record:
    """AES17 dynamic range (A-weighted) from a 997 Hz sine at -60 dBFS, as audio.snr_db."""
    take = loop.take(loop.stimulus("sine", seconds=2.0, level_dbfs=-60.0))
    result = take.analyze(criteria, "audio.snr_db")
    attach_take(take, result)
    return criteria.check("audio.snr_db", result.dynamic_range_db, detail="AES17, A-weighted")


def check_frequency_response(criteria: Criteria, loop: AudioLoop) -> Record:
    """The largest deviation from 1 kHz in 20 Hz-20 kHz, from an exponential sweep."""
    take = loop.take(loop.stimulus("sweep", seconds=2.0))
    result = take.analyze(criteria, "audio.fr_deviation_db")
    attach_take(take, result)
    return criteria.check(
        "audio.fr_deviation_db", result.fr_deviation_db, detail="10 Hz-22 kHz sweep"
    )
