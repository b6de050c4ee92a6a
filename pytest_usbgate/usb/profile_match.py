"""A parsed descriptor set against what its device profile promises. Pure.

The expectations follow from the profile's capabilities: its IDs; for audio, an
AudioControl interface and AudioStreaming interfaces with an isochronous data endpoint
each way carrying at least the profile's channels; for MIDI, a MIDIStreaming interface
with a bulk endpoint each way and an embedded jack per port each way.
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_usbgate.config.profiles import Profile
from pytest_usbgate.usb.descriptors import (
    AUDIO,
    AUDIOCONTROL,
    AUDIOSTREAMING,
    CS_INTERFACE,
    DEVICE,
    ENDPOINT,
    INTERFACE,
    MIDISTREAMING,
    Descriptor,
    DescriptorTree,
)

_ISOCHRONOUS, _BULK = 1, 2
_EMBEDDED = 1
_MIDI_IN_JACK, _MIDI_OUT_JACK = 2, 3


@dataclass(frozen=True, slots=True)
class _Stream:
    interface: int
    direction: str  # "out" (host to device, playback) | "in" (capture)
    channels: int


def _interfaces(tree: DescriptorTree) -> list[Descriptor]:
    return [d for d in tree.all() if d.type == INTERFACE and d.fields]


def _is(interface: Descriptor, subclass: int) -> bool:
    return (
        interface.number("bInterfaceClass") == AUDIO
        and interface.number("bInterfaceSubClass") == subclass
    )


def _streams(interfaces: list[Descriptor]) -> list[_Stream]:
    found = []
    for interface in interfaces:
        if not _is(interface, AUDIOSTREAMING):
            continue
        channels = max(
            (c.number("bNrChannels") or 0 for c in interface.children if c.type == CS_INTERFACE),
            default=0,
        )
        for endpoint in interface.children:
            attributes = endpoint.number("bmAttributes") or 0
            if endpoint.type != ENDPOINT or attributes & 0x3 != _ISOCHRONOUS:
                continue
            if (attributes >> 4) & 0x3 == 1:
                continue  # explicit feedback, not data
            address = endpoint.number("bEndpointAddress") or 0
            found.append(
                _Stream(
                    interface.number("bInterfaceNumber") or 0,
                    "in" if address & 0x80 else "out",
                    channels,
                )
            )
    return found


def _midi_problems(interfaces: list[Descriptor], ports: int) -> list[str]:
    midi = [i for i in interfaces if _is(i, MIDISTREAMING)]
    if not midi:
        return ["no MIDIStreaming interface (class 01, subclass 03)"]
    problems = []
    jacks = {_MIDI_IN_JACK: 0, _MIDI_OUT_JACK: 0}
    directions = set()
    for interface in midi:
        for child in interface.walk():
            if child.type == CS_INTERFACE and child.number("bJackType") == _EMBEDDED:
                subtype = child.number("bDescriptorSubtype") or 0
                if subtype in jacks:
                    jacks[subtype] += 1
            if child.type == ENDPOINT and (child.number("bmAttributes") or 0) & 0x3 == _BULK:
                directions.add("in" if (child.number("bEndpointAddress") or 0) & 0x80 else "out")
    for subtype, name in ((_MIDI_IN_JACK, "IN"), (_MIDI_OUT_JACK, "OUT")):
        if jacks[subtype] < ports:
            problems.append(
                f"{jacks[subtype]} embedded MIDI {name} jack(s); the profile has {ports} port(s)"
            )
    for direction in ("out", "in"):
        if direction not in directions:
            problems.append(f"no bulk {direction.upper()} endpoint on the MIDIStreaming interface")
    return problems


def _audio_problems(interfaces: list[Descriptor], inputs: int, outputs: int) -> list[str]:
    problems = []
    if not any(_is(i, AUDIOCONTROL) for i in interfaces):
        problems.append("no AudioControl interface (class 01, subclass 01)")
    streams = _streams(interfaces)
    for direction, channels, what in (("out", outputs, "playback"), ("in", inputs, "capture")):
        matching = [s for s in streams if s.direction == direction]
        if not matching:
            problems.append(
                f"no isochronous {direction.upper()} endpoint on an AudioStreaming "
                f"interface ({what})"
            )
        elif max(s.channels for s in matching) < channels:
            problems.append(
                f"{what} carries {max(s.channels for s in matching)} channel(s); "
                f"the profile has {channels}"
            )
    return problems


def profile_problems(tree: DescriptorTree, profile: Profile) -> list[str]:
    """What the descriptors lack of the profile's promises, one line each."""
    problems = []
    device = next((d for d in tree.roots if d.type == DEVICE and d.fields), None)
    if device is None:
        problems.append("no device descriptor")
    else:
        ids = f"{device.number('idVendor') or 0:04x}:{device.number('idProduct') or 0:04x}"
        expected = f"{profile.vendor_id}:{profile.product_id}"
        if ids != expected:
            problems.append(f"device descriptor says {ids}; the profile is {expected}")
    interfaces = _interfaces(tree)
    if profile.audio is not None:
        problems += _audio_problems(interfaces, profile.audio.inputs, profile.audio.outputs)
    if profile.midi is not None:
        problems += _midi_problems(interfaces, profile.midi.ports)
    return problems
