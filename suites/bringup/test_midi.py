"""Bring-up gate, MIDI: the loop returns every message in time and in order, keeps up
with dense data, carries SysEx intact, and the controller says who it is."""

from pytest_usbgate import Criteria
from pytest_usbgate.midi import (
    MidiDevice,
    check_burst_rate,
    check_identity,
    check_loopback,
    check_sysex_integrity,
)


def test_midi_loopback_round_trip(midi_loopback: MidiDevice, criteria: Criteria) -> None:
    check_loopback(criteria, midi_loopback)


def test_midi_loopback_burst_rate(midi_loopback: MidiDevice, criteria: Criteria) -> None:
    check_burst_rate(criteria, midi_loopback)


def test_midi_loopback_sysex_integrity(midi_loopback: MidiDevice, criteria: Criteria) -> None:
    check_sysex_integrity(criteria, midi_loopback)


def test_controller_identity(midi_identity: MidiDevice, criteria: Criteria) -> None:
    check_identity(criteria, midi_identity)
