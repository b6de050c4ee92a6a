"""Static checks of a rig for the design gate: the rig against its device profiles,
and the thresholds against what any device could ever measure. Pure: no I/O but
`Path.is_file` on files the rig names."""

from __future__ import annotations

import math
from collections.abc import Mapping

from pytest_usbgate.config.rig import Rig, required_criteria, resolve_limit
from pytest_usbgate.gate.criteria import UNIT_RANGE, CriterionDef, format_value
from pytest_usbgate.gate.names import GATES

BLOCKSIZES = tuple(2**n for n in range(4, 13))  # 16 … 4096 frames


def rig_problems(rig: Rig) -> list[str]:
    """Everything in the rig its device profiles contradict, one line each."""
    problems: list[str] = []
    loop = rig.audio_loopback
    if loop is not None:
        profile = rig.device(loop.device).profile
        caps = profile.audio
        if caps is None:
            problems.append(f"audio.loopback.device: {loop.device} ({profile.name}) has no audio")
        else:
            if loop.samplerate not in caps.samplerates:
                rates = ", ".join(str(r) for r in caps.samplerates)
                problems.append(
                    f"audio.loopback.samplerate: {loop.samplerate} Hz is not "
                    f"supported by {profile.name} (supported: {rates})"
                )
            if loop.output > caps.outputs:
                problems.append(
                    f"audio.loopback.output: {profile.name} has outputs "
                    f"1-{caps.outputs}, not {loop.output}"
                )
            if loop.input > caps.inputs:
                problems.append(
                    f"audio.loopback.input: {profile.name} has inputs "
                    f"1-{caps.inputs}, not {loop.input}"
                )
        if loop.blocksize not in BLOCKSIZES:
            problems.append(
                f"audio.loopback.blocksize: expected a power of two from "
                f"{BLOCKSIZES[0]} to {BLOCKSIZES[-1]}, got {loop.blocksize}"
            )
    for key, link in (("midi.loopback", rig.midi_loopback), ("midi.identity", rig.midi_identity)):
        if link is None:
            continue
        profile = rig.device(link.device).profile
        if profile.midi is None:
            problems.append(f"{key}.device: {link.device} ({profile.name}) has no MIDI port")
    if rig.stack is not None and rig.stack.compose is not None and not rig.stack.compose.is_file():
        problems.append(f"stack.compose: {rig.stack.compose} does not exist")
    seen: dict[str, str] = {}
    for device in rig.devices:
        other = seen.get(device.profile.id)
        if other is not None and not (device.serial or device.port):
            problems.append(
                f"devices: {other} and {device.id} are both {device.profile.name}; "
                "set serial or port to tell them apart"
            )
        seen.setdefault(device.profile.id, device.id)
    return problems


def threshold_problems(rig: Rig, catalog: Mapping[str, CriterionDef]) -> list[str]:
    """Limits that can never pass, required criteria no limit judges, and thresholds
    for criteria the rig cannot measure; one line each, naming gate, criterion, source."""
    problems: list[str] = []
    for gate in GATES:
        required = set(required_criteria(gate, rig, catalog))
        for criterion in catalog.values():
            limit, source = resolve_limit(criterion, gate, rig)
            key = f"thresholds.{gate}.{criterion.id}"
            if limit is None:
                if criterion.id in required:
                    problems.append(f"{key}: required in {gate} but no limit is set")
                continue
            low, high = UNIT_RANGE.get(criterion.unit, (-math.inf, math.inf))
            if limit.max is not None and limit.max < low:
                problems.append(
                    f"{key} ({source}): max {format_value(limit.max, criterion.unit)} "
                    f"is below {format_value(low, criterion.unit)}, the least any "
                    "measurement can read: it can never pass"
                )
            if limit.min is not None and limit.min > high:
                problems.append(
                    f"{key} ({source}): min {format_value(limit.min, criterion.unit)} "
                    f"is above {format_value(high, criterion.unit)}, the most any "
                    "measurement can read: it can never pass"
                )
            if source == "rig" and criterion.when and not rig.has(criterion.when):
                problems.append(
                    f"{key} (rig): the rig has no [{criterion.when}], so nothing can measure it"
                )
    return problems
