"""Latency budgets from buffer settings."""

from __future__ import annotations


def buffer_latency_samples(blocksize: int, periods: int) -> int:
    """Round-trip latency that buffering alone adds, in samples.

    Method: capture holds one period before the application sees it, playback
    queues `periods` periods ahead (the JACK/ALSA convention), so a sample needs
    (periods + 1) x blocksize frames to come back. Converter, USB and driver
    safety offsets add to this; it is the floor a measured round trip cannot beat.
    """
    if blocksize < 1 or periods < 1:
        raise ValueError(f"blocksize and periods must be >= 1, got {blocksize}, {periods}")
    return (periods + 1) * blocksize


def buffer_latency_ms(blocksize: int, periods: int, samplerate_hz: int) -> float:
    """`buffer_latency_samples` in milliseconds at `samplerate_hz`."""
    return buffer_latency_samples(blocksize, periods) * 1000.0 / samplerate_hz
