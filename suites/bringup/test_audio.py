"""Bring-up gate, audio: the loop returns the stimulus on the right input, in time and
steady to the sample, at the right level, clean, flat and without glitches."""

from pytest_usbgate import Criteria
from pytest_usbgate.audio import (
    AudioLoop,
    check_dynamic_range,
    check_frequency_response,
    check_round_trip_latency,
    check_thd_n_and_glitches,
)


def test_audio_round_trip_latency(audio_loopback: AudioLoop, criteria: Criteria) -> None:
    check_round_trip_latency(criteria, audio_loopback)


def test_audio_thd_n_and_glitches(audio_loopback: AudioLoop, criteria: Criteria) -> None:
    check_thd_n_and_glitches(criteria, audio_loopback)


def test_audio_dynamic_range(audio_loopback: AudioLoop, criteria: Criteria) -> None:
    check_dynamic_range(criteria, audio_loopback)


def test_audio_frequency_response(audio_loopback: AudioLoop, criteria: Criteria) -> None:
    check_frequency_response(criteria, audio_loopback)
