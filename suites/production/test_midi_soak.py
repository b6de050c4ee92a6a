"""Production gate, MIDI soak: the bring-up round trip, many times longer (the rig's
`[midi.loopback] soak_messages`), judged by the same criteria."""

from pytest_usbgate import Criteria
from pytest_usbgate.midi import MidiDevice, check_loopback


def test_midi_loopback_soak(midi_loopback: MidiDevice, criteria: Criteria) -> None:
    check_loopback(criteria, midi_loopback, soak=True)
