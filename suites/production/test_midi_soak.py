"""Production gate, MIDI soak: the bring-up round trip, many times longer (the rig's
`[midi.loopback] soak_messages`), judged by the same criteria."""

import time

from pytest_usbgate import Criteria
from pytest_usbgate.midi import MidiDevice, attach_loop, round_trip


def test_midi_loopback_soak(midi_loopback: MidiDevice, criteria: Criteria) -> None:
    plan = midi_loopback.link
    with midi_loopback.port.open() as ports:
        start_s = time.monotonic()
        rtt = round_trip(ports, plan.soak_messages, plan.rate_per_s)
        took_s = time.monotonic() - start_s
    attach_loop(rtt, f"{midi_loopback.port.label}, soak")
    criteria.check_all(
        rtt.criteria(),
        detail=f"{rtt.sent} sent in {took_s:.1f} s, {rtt.received} back, "
        f"{rtt.duplicated} duplicated, {rtt.corrupted} corrupted; "
        f"p50 {rtt.percentile_ms(50):.3f} ms" + rtt.host_note(),
    )
