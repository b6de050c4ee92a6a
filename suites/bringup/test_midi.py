"""Bring-up gate, MIDI: the loop returns every message in time and in order, keeps up
with dense data, carries SysEx intact, and the controller says who it is."""

from pytest_usbgate import Criteria
from pytest_usbgate.midi import (
    MidiDevice,
    PortNotFound,
    attach_hex,
    attach_loop,
    burst_rate,
    identity_query,
    parse_identity_reply,
    round_trip,
    sysex_echo,
)


def test_midi_loopback_round_trip(midi_loopback: MidiDevice, criteria: Criteria) -> None:
    with midi_loopback.port.open() as ports:
        rtt = round_trip(ports, midi_loopback.link.messages, midi_loopback.link.rate_per_s)
    attach_loop(rtt, midi_loopback.port.label)
    detail = (
        f"{rtt.sent} sent, {rtt.received} back; p50 {rtt.percentile_ms(50):.3f} ms, "
        f"p95 {rtt.percentile_ms(95):.3f} ms, mean |deviation| {rtt.mean_abs_dev_ms:.3f} ms; "
        f"{rtt.duplicated} duplicated, {rtt.corrupted} corrupted"
    ) + rtt.host_note()
    criteria.check_all(rtt.criteria(), detail=detail)


def test_midi_loopback_burst_rate(midi_loopback: MidiDevice, criteria: Criteria) -> None:
    with midi_loopback.port.open() as ports:
        rate = burst_rate(ports)
    criteria.check("midi.burst_rate", rate, detail="100-message bursts, doubled then bisected")


def test_midi_loopback_sysex_integrity(midi_loopback: MidiDevice, criteria: Criteria) -> None:
    with midi_loopback.port.open() as ports:
        echoes = sysex_echo(ports)
    damaged = [
        f"{size} bytes: {'none back' if back is None else 'differs'}"
        for size, sent, back in echoes
        if back != sent
    ]
    criteria.check("midi.sysex_integrity", len(damaged), detail="\n".join(damaged))


def test_controller_identity(midi_identity: MidiDevice, criteria: Criteria) -> None:
    timeout_ms = 1000
    try:
        with midi_identity.port.open() as ports:
            reply, reply_ms = identity_query(ports, timeout_ms)
    except PortNotFound as exc:  # the device is not there: a FAIL, not a broken rig
        criteria.check("midi.identity", False, detail=str(exc), device=midi_identity.device)
        return
    if reply is None:
        criteria.check(
            "midi.identity",
            False,
            detail=f"no reply from {midi_identity.name} in {timeout_ms} ms",
            device=midi_identity.device,
        )
        return
    attach_hex("identity reply", reply)
    try:
        identity = parse_identity_reply(reply)
    except ValueError as exc:
        criteria.check("midi.identity", False, detail=f"{reply.hex(' ')}: {exc}")
        return
    criteria.check(
        "midi.identity",
        identity.matches(midi_identity.manufacturer, midi_identity.family, midi_identity.model),
        detail=f"{midi_identity.name} answered in {reply_ms:.2f} ms: {identity.describe()}",
        device=midi_identity.device,
        firmware=identity.firmware,
    )
