"""USB descriptor sets, pure and bounded: raw bytes (the format of sysfs `descriptors`:
the device descriptor, then each configuration with everything it holds; or a BOS)
into a tree, never reading past the buffer.

A descriptor the parser cannot step over (bLength 0 or 1, or running past the end)
stops it: `DescriptorError`, "offset 0x2a: bLength 0 in interface descriptor". Anything
else that is inconsistent (a length too short for its type, counts that disagree,
totals that do not add up) is a problem with its byte offset, and parsing goes on.
Unknown descriptors are skipped by their length.

Kinds: device, configuration, interface association, interface, endpoint, string, BOS
and device capabilities; class-specific (0x24/0x25) under an audio interface: UAC1 and
UAC2 AudioControl and AudioStreaming, and USB MIDI 1.0 MIDIStreaming (USB Audio 1.0/2.0,
MIDI 1.0 class definitions).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any, Final

DEVICE, CONFIGURATION, STRING, INTERFACE, ENDPOINT = 1, 2, 3, 4, 5
INTERFACE_ASSOCIATION, BOS, DEVICE_CAPABILITY = 11, 15, 16
CS_INTERFACE, CS_ENDPOINT = 0x24, 0x25
AUDIO = 0x01
AUDIOCONTROL, AUDIOSTREAMING, MIDISTREAMING = 1, 2, 3
UAC2_PROTOCOL = 0x20  # bInterfaceProtocol IP_VERSION_02_00

NAMES: Final = {
    DEVICE: "device",
    CONFIGURATION: "configuration",
    STRING: "string",
    INTERFACE: "interface",
    ENDPOINT: "endpoint",
    INTERFACE_ASSOCIATION: "interface association",
    BOS: "BOS",
    DEVICE_CAPABILITY: "device capability",
    CS_INTERFACE: "class-specific interface",
    CS_ENDPOINT: "class-specific endpoint",
}
MINIMUM: Final = {
    DEVICE: 18,
    CONFIGURATION: 9,
    INTERFACE: 9,
    ENDPOINT: 7,
    INTERFACE_ASSOCIATION: 8,
    BOS: 5,
    DEVICE_CAPABILITY: 3,
    CS_INTERFACE: 3,
    CS_ENDPOINT: 3,
}
# class-specific subtypes by interface subclass (UAC1/UAC2 A.5, A.6; MIDI 1.0 A.1)
AC_SUBTYPES: Final = {
    1: "header",
    2: "input terminal",
    3: "output terminal",
    4: "mixer unit",
    5: "selector unit",
    6: "feature unit",
    7: "effect unit (UAC2) / processing unit (UAC1)",
    8: "processing unit (UAC2) / extension unit (UAC1)",
    9: "extension unit",
    10: "clock source",
    11: "clock selector",
    12: "clock multiplier",
    13: "sample rate converter",
}
AS_SUBTYPES: Final = {1: "general", 2: "format type", 3: "encoder", 4: "decoder"}
MS_SUBTYPES: Final = {1: "header", 2: "MIDI IN jack", 3: "MIDI OUT jack", 4: "element"}


class DescriptorError(ValueError):
    """A descriptor the parser cannot step over: parsing stops here."""

    def __init__(self, offset: int, message: str) -> None:
        self.offset = offset
        super().__init__(f"offset {offset:#x}: {message}")


@dataclass(slots=True)
class Descriptor:
    offset: int
    type: int
    kind: str  # "interface", "AudioControl clock source", …
    fields: dict[str, int | list[int]]
    children: list[Descriptor] = field(default_factory=list)

    def number(self, name: str) -> int | None:
        value = self.fields.get(name)
        return value if isinstance(value, int) else None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"offset": self.offset, "kind": self.kind, **self.fields}
        if self.children:
            out["children"] = [c.to_dict() for c in self.children]
        return out

    def walk(self) -> list[Descriptor]:
        return [self, *(d for c in self.children for d in c.walk())]


@dataclass(slots=True)
class DescriptorTree:
    roots: list[Descriptor]
    problems: list[str]  # "offset 0x..: …", by offset

    def to_dict(self) -> dict[str, Any]:
        return {"descriptors": [r.to_dict() for r in self.roots], "problems": self.problems}

    def all(self) -> list[Descriptor]:
        return [d for r in self.roots for d in r.walk()]


def _u16(data: bytes, at: int) -> int:
    return int(struct.unpack_from("<H", data, at)[0])


def _fields(kind: int, raw: bytes) -> dict[str, int | list[int]]:
    """The standard fields of a standard descriptor that is long enough for them."""
    if kind == DEVICE:
        return {
            "bcdUSB": _u16(raw, 2),
            "bDeviceClass": raw[4],
            "bDeviceSubClass": raw[5],
            "bDeviceProtocol": raw[6],
            "bMaxPacketSize0": raw[7],
            "idVendor": _u16(raw, 8),
            "idProduct": _u16(raw, 10),
            "bcdDevice": _u16(raw, 12),
            "bNumConfigurations": raw[17],
        }
    if kind == CONFIGURATION:
        return {
            "wTotalLength": _u16(raw, 2),
            "bNumInterfaces": raw[4],
            "bConfigurationValue": raw[5],
            "bmAttributes": raw[7],
            "bMaxPower": raw[8],
        }
    if kind == INTERFACE:
        return {
            "bInterfaceNumber": raw[2],
            "bAlternateSetting": raw[3],
            "bNumEndpoints": raw[4],
            "bInterfaceClass": raw[5],
            "bInterfaceSubClass": raw[6],
            "bInterfaceProtocol": raw[7],
        }
    if kind == ENDPOINT:
        return {
            "bEndpointAddress": raw[2],
            "bmAttributes": raw[3],
            "wMaxPacketSize": _u16(raw, 4),
            "bInterval": raw[6],
        }
    if kind == INTERFACE_ASSOCIATION:
        return {
            "bFirstInterface": raw[2],
            "bInterfaceCount": raw[3],
            "bFunctionClass": raw[4],
            "bFunctionSubClass": raw[5],
            "bFunctionProtocol": raw[6],
        }
    if kind == BOS:
        return {"wTotalLength": _u16(raw, 2), "bNumDeviceCaps": raw[4]}
    if kind == DEVICE_CAPABILITY:
        return {"bDevCapabilityType": raw[2]}
    return {}


def _streaming_format(subtype: int, raw: bytes, uac2: bool) -> dict[str, int | list[int]]:
    """Channels and sample size of an AudioStreaming general / format type I descriptor
    (UAC2 §4.9.2, §2.3.1.6 of its Formats document; UAC1 §4.5.2, Formats §2.2.5)."""
    if subtype == 1 and uac2 and len(raw) >= 11:
        return {"bFormatType": raw[5], "bNrChannels": raw[10]}
    if subtype == 2 and uac2 and len(raw) >= 6:
        return {"bFormatType": raw[3], "bSubslotSize": raw[4], "bBitResolution": raw[5]}
    if subtype == 2 and not uac2 and len(raw) >= 7:
        return {
            "bFormatType": raw[3],
            "bNrChannels": raw[4],
            "bSubslotSize": raw[5],  # UAC1 calls it bSubframeSize
            "bBitResolution": raw[6],
        }
    return {}


class _Parser:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.problems: list[tuple[int, str]] = []

    def problem(self, offset: int, message: str) -> None:
        self.problems.append((offset, f"offset {offset:#x}: {message}"))

    def step(self, at: int) -> tuple[int, int, bytes]:
        """(bLength, bDescriptorType, the bytes) of the descriptor at `at`."""
        data = self.data
        if at + 2 > len(data):
            raise DescriptorError(at, f"{len(data) - at} byte(s) left, too few for a descriptor")
        length, kind = data[at], data[at + 1]
        name = NAMES.get(kind, f"type {kind:#04x}") + " descriptor"
        if length < 2:
            raise DescriptorError(at, f"bLength {length} in {name}")
        if at + length > len(data):
            raise DescriptorError(
                at, f"bLength {length} in {name} runs past the end ({len(data) - at} bytes left)"
            )
        if length < MINIMUM.get(kind, 2):
            self.problem(at, f"bLength {length} too short for a {name} ({MINIMUM[kind]})")
        return length, kind, data[at : at + length]

    def parse(self) -> DescriptorTree:
        roots: list[Descriptor] = []
        at = 0
        config: Descriptor | None = None
        config_end = 0
        interface: Descriptor | None = None
        holder: Descriptor | None = None  # where class-specific endpoint parts go
        bos: Descriptor | None = None
        while at < len(self.data):
            length, kind, raw = self.step(at)
            short = length < MINIMUM.get(kind, 2)
            node = Descriptor(at, kind, NAMES.get(kind, f"type {kind:#04x}"), {})
            if not short:
                node.fields = _fields(kind, raw)
            if config is not None and at >= config_end:
                self._close_config(config)
                config = interface = holder = None
            if kind in (DEVICE, BOS):
                roots.append(node)
                bos = node if kind == BOS else None
                if kind == BOS and not short and node.number("wTotalLength") != len(self.data) - at:
                    self.problem(
                        at,
                        f"BOS wTotalLength {node.fields['wTotalLength']} but "
                        f"{len(self.data) - at} bytes follow",
                    )
            elif kind == CONFIGURATION:
                roots.append(node)
                config, interface, holder, bos = node, None, None, None
                total = node.number("wTotalLength") or length
                config_end = at + total
                if config_end > len(self.data):
                    self.problem(
                        at,
                        f"configuration wTotalLength {total} runs past the end "
                        f"({len(self.data) - at} bytes left)",
                    )
            elif kind == DEVICE_CAPABILITY and bos is not None:
                bos.children.append(node)
            elif config is None:
                roots.append(node)
                if kind not in (STRING, DEVICE_CAPABILITY):
                    self.problem(at, f"{node.kind} descriptor outside a configuration")
            elif kind == INTERFACE:
                config.children.append(node)
                interface = holder = node
            elif kind == ENDPOINT:
                (interface or config).children.append(node)
                holder = node
            elif kind == CS_INTERFACE and interface is not None:
                self._class_specific(node, raw, interface, short)
                interface.children.append(node)
            elif kind == CS_ENDPOINT and holder is not None and holder.type == ENDPOINT:
                self._class_endpoint(node, raw, interface, short)
                holder.children.append(node)
            else:
                (interface or config).children.append(node)
            at += length
        if config is not None:
            self._close_config(config)
        if bos is not None and bos.fields.get("bNumDeviceCaps") is not None:
            found = len(bos.children)
            if found != bos.fields["bNumDeviceCaps"]:
                self.problem(
                    bos.offset,
                    f"BOS bNumDeviceCaps {bos.fields['bNumDeviceCaps']} but {found} follow",
                )
        ordered = sorted(self.problems, key=lambda p: p[0])  # stable: one offset keeps its order
        return DescriptorTree(roots, [message for _, message in ordered])

    def _close_config(self, config: Descriptor) -> None:
        """Counts that must agree once the whole configuration is read."""
        interfaces = [c for c in config.children if c.type == INTERFACE and c.fields]
        numbers = {c.fields["bInterfaceNumber"] for c in interfaces}
        declared = config.fields.get("bNumInterfaces")
        if declared is not None and declared != len(numbers):
            self.problem(
                config.offset,
                f"configuration bNumInterfaces {declared} but {len(numbers)} interfaces follow",
            )
        for node in interfaces:
            endpoints = sum(1 for c in node.children if c.type == ENDPOINT)
            if endpoints != node.fields["bNumEndpoints"]:
                self.problem(
                    node.offset,
                    f"interface {node.fields['bInterfaceNumber']} alt "
                    f"{node.fields['bAlternateSetting']}: bNumEndpoints "
                    f"{node.fields['bNumEndpoints']} but {endpoints} endpoints follow",
                )
        for node in config.children:
            if node.type == INTERFACE_ASSOCIATION and node.fields:
                first, count = node.fields["bFirstInterface"], node.fields["bInterfaceCount"]
                assert isinstance(first, int) and isinstance(count, int)
                missing = [n for n in range(first, first + count) if n not in numbers]
                if missing:
                    self.problem(
                        node.offset,
                        f"interface association names interfaces {missing} that do not exist",
                    )

    def _class_specific(
        self, node: Descriptor, raw: bytes, interface: Descriptor, short: bool
    ) -> None:
        if short or interface.fields.get("bInterfaceClass") != AUDIO:
            return
        subclass = interface.number("bInterfaceSubClass") or 0
        names = {AUDIOCONTROL: AC_SUBTYPES, AUDIOSTREAMING: AS_SUBTYPES, MIDISTREAMING: MS_SUBTYPES}
        area = {AUDIOCONTROL: "AudioControl", AUDIOSTREAMING: "AudioStreaming"}.get(
            subclass, "MIDIStreaming"
        )
        subtype = raw[2]
        table = names.get(subclass, {})
        node.kind = f"{area} {table.get(subtype, f'subtype {subtype:#04x}')}"
        node.fields = {"bDescriptorSubtype": subtype}
        if subclass == MIDISTREAMING:
            self._midi(node, raw)
        elif subclass == AUDIOCONTROL and subtype == 1 and len(raw) >= 5:
            node.fields["bcdADC"] = _u16(raw, 3)
        elif subclass == AUDIOCONTROL and subtype == 10 and len(raw) >= 4:
            node.fields["bClockID"] = raw[3]
        elif subclass == AUDIOCONTROL and subtype in (2, 3) and len(raw) >= 6:
            node.fields["bTerminalID"] = raw[3]
            node.fields["wTerminalType"] = _u16(raw, 4)
        elif subclass == AUDIOSTREAMING:
            uac2 = interface.number("bInterfaceProtocol") == UAC2_PROTOCOL
            node.fields.update(_streaming_format(subtype, raw, uac2))

    def _midi(self, node: Descriptor, raw: bytes) -> None:
        subtype = raw[2]
        if subtype in (2, 3) and len(raw) >= 5:
            node.fields["bJackType"] = raw[3]
            node.fields["bJackID"] = raw[4]
        if subtype == 3 and len(raw) >= 6:
            pins = raw[5]
            node.fields["bNrInputPins"] = pins
            if len(raw) != 7 + 2 * pins:
                self.problem(
                    node.offset,
                    f"MIDI OUT jack with {pins} input pins needs bLength {7 + 2 * pins}, "
                    f"has {len(raw)}",
                )

    def _class_endpoint(
        self, node: Descriptor, raw: bytes, interface: Descriptor | None, short: bool
    ) -> None:
        if short or interface is None or interface.fields.get("bInterfaceClass") != AUDIO:
            return
        if interface.fields.get("bInterfaceSubClass") == MIDISTREAMING:
            node.kind = "MIDIStreaming endpoint general"
            if len(raw) >= 4:
                count = raw[3]
                node.fields = {"bNumEmbMIDIJack": count, "baAssocJackID": list(raw[4:])}
                if len(raw) != 4 + count:
                    self.problem(
                        node.offset,
                        f"MIDI endpoint with {count} embedded jacks needs bLength "
                        f"{4 + count}, has {len(raw)}",
                    )
        else:
            node.kind = "AudioStreaming endpoint general"
            node.fields = {"bDescriptorSubtype": raw[2]}


def parse_descriptors(data: bytes) -> DescriptorTree:
    """The tree of a descriptor set; DescriptorError where it cannot be walked."""
    return _Parser(bytes(data)).parse()
