"""The MIDI checks (a take on the rig's ports -> criteria) the bring-up and production
suites call: each opens the ports by name, measures, attaches the evidence and judges."""

from __future__ import annotations

import time
from typing import Final

from pytest_usbgate.gate.checker import Criteria
from pytest_usbgate.gate.criteria import Record
from pytest_usbgate.midi.evidence import attach_hex, attach_loop
from pytest_usbgate.midi.identity import parse_identity_reply
from pytest_usbgate.midi.ports import (
    MidiDevice,
    PortNotFound,
    burst_rate,
    identity_query,
    round_trip,
    sysex_echo,
)

IDENTITY_TIMEOUT_MS: Final = 1000


def check_loopback(criteria: Criteria, loop: MidiDevice, *, soak: bool = False) -> list[Record]:
    """The loop's round trip (midi.rtt_p99_ms, midi.lost, …): the rig's `messages`, or
    with `soak` its `soak_messages` (the production gate)."""
    plan = loop.link
    count = plan.soak_messages if soak else plan.messages
    with loop.port.open() as ports:
        began_s = time.monotonic()
        rtt = round_trip(ports, count, plan.rate_per_s)
        took_s = time.monotonic() - began_s
    attach_loop(rtt, f"{loop.port.label}, soak" if soak else loop.port.label)
    timed = (
        f"p50 {rtt.percentile_ms(50):.3f} ms, p95 {rtt.percentile_ms(95):.3f} ms, "
        f"mean |deviation| {rtt.mean_abs_dev_ms:.3f} ms"
        if rtt.latencies_ms
        else "nothing came back"
    )
    detail = (
        f"{rtt.sent} sent in {took_s:.1f} s, {rtt.received} back; {timed}; "
        f"{rtt.duplicated} duplicated, {rtt.corrupted} corrupted" + rtt.host_note()
    )
    return criteria.check_all(rtt.criteria(), detail=detail)


def check_burst_rate(criteria: Criteria, loop: MidiDevice) -> Record:
    with loop.port.open() as ports:
        rate = burst_rate(ports)
    return criteria.check(
        "midi.burst_rate", rate, detail="100-message bursts, doubled then bisected"
    )


def check_sysex_integrity(criteria: Criteria, loop: MidiDevice) -> Record:
    with loop.port.open() as ports:
        echoes = sysex_echo(ports)
    damaged = [
        f"{size} bytes: {'none back' if back is None else 'differs'}"
        for size, sent, back in echoes
        if back != sent
    ]
    return criteria.check("midi.sysex_integrity", len(damaged), detail="\n".join(damaged))


def check_identity(criteria: Criteria, controller: MidiDevice) -> Record:
    """midi.identity: the controller answers the universal identity request with what its
    profile says (its firmware goes into the sign-off)."""
    device = controller.device
    try:
        with controller.port.open() as ports:
            reply, reply_ms = identity_query(ports, IDENTITY_TIMEOUT_MS)
    except PortNotFound as exc:  # the device is not there: a FAIL, not a broken rig
        return criteria.check("midi.identity", False, detail=str(exc), device=device)
    if reply is None:
        detail = f"no reply from {controller.name} in {IDENTITY_TIMEOUT_MS} ms"
        return criteria.check("midi.identity", False, detail=detail, device=device)
    attach_hex("identity reply", reply)
    try:
        identity = parse_identity_reply(reply)
    except ValueError as exc:
        return criteria.check("midi.identity", False, detail=f"{reply.hex(' ')}: {exc}")
    return criteria.check(
        "midi.identity",
        identity.matches(controller.manufacturer, controller.family, controller.model),
        detail=f"{controller.name} answered in {reply_ms:.2f} ms: {identity.describe()}",
        device=device,
        firmware=identity.firmware,
    )
