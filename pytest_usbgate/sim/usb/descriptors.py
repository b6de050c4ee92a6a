"""USB descriptor builders (USB 2.0 ch. 9, USB Audio 2.0, USB MIDI 1.0) and the two
modelled devices' descriptor sets. Pure: fields in, bytes out.

Each builder computes its own bLength (and wTotalLength where the spec has one), so a
set is consistent by construction; `tests/test_sim_usb.py` reads it back through pyusb.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

# bDescriptorType (USB 2.0 table 9-5) and class-specific types (UAC2 table A-6)
DEVICE, CONFIGURATION, STRING, INTERFACE, ENDPOINT = 1, 2, 3, 4, 5
INTERFACE_ASSOCIATION = 11
CS_INTERFACE, CS_ENDPOINT = 0x24, 0x25
AUDIO = 0x01
AUDIOCONTROL, AUDIOSTREAMING, MIDISTREAMING = 0x01, 0x02, 0x03
IP_VERSION_02_00 = 0x20
VENDOR_SPECIFIC = 0xFF
ISO_ASYNC, ISO_FEEDBACK, BULK, INTERRUPT = 0x05, 0x11, 0x02, 0x03


def _desc(dtype: int, body: bytes) -> bytes:
    return bytes([2 + len(body), dtype]) + body


def _cs(subtype: int, body: bytes, dtype: int = CS_INTERFACE) -> bytes:
    return bytes([3 + len(body), dtype, subtype]) + body


def device(
    *,
    bcd_usb: int,
    cls: int,
    subclass: int,
    protocol: int,
    max_packet0: int,
    vendor: int,
    product: int,
    bcd_device: int,
    strings: tuple[int, int, int] = (1, 2, 3),
) -> bytes:
    return _desc(
        DEVICE,
        struct.pack(
            "<HBBBBHHHBBBB",
            bcd_usb,
            cls,
            subclass,
            protocol,
            max_packet0,
            vendor,
            product,
            bcd_device,
            *strings,
            1,
        ),
    )


def configuration(body: bytes, *, interfaces: int, attributes: int, max_power_ma: int) -> bytes:
    """bMaxPower counts 2 mA units at high/full speed (USB 2.0 §9.6.3)."""
    total = 9 + len(body)
    return (
        _desc(
            CONFIGURATION,
            struct.pack("<HBBBBB", total, interfaces, 1, 0, attributes, max_power_ma // 2),
        )
        + body
    )


def association(first: int, count: int, cls: int, subclass: int, protocol: int) -> bytes:
    return _desc(INTERFACE_ASSOCIATION, bytes([first, count, cls, subclass, protocol, 0]))


def interface(
    number: int, alt: int, endpoints: int, cls: int, subclass: int, protocol: int, name: int = 0
) -> bytes:
    return _desc(INTERFACE, bytes([number, alt, endpoints, cls, subclass, protocol, name]))


def endpoint(address: int, attributes: int, max_packet: int, interval: int) -> bytes:
    return _desc(ENDPOINT, struct.pack("<BBHB", address, attributes, max_packet, interval))


def endpoint_audio1(address: int, attributes: int, max_packet: int, interval: int) -> bytes:
    """The 9-byte standard endpoint of USB Audio 1.0 / USB MIDI 1.0 (bRefresh, bSynchAddress)."""
    return _desc(ENDPOINT, struct.pack("<BBHBBB", address, attributes, max_packet, interval, 0, 0))


def string(text: str) -> bytes:
    return _desc(STRING, text.encode("utf-16-le"))


def string_languages(*langids: int) -> bytes:
    return _desc(STRING, b"".join(struct.pack("<H", lang) for lang in langids))


# --- USB Audio 2.0 (UAC2 §4.7, §4.9, §4.10) -------------------------------------------


def uac2_ac_header(units: bytes, category: int) -> bytes:
    total = 9 + len(units)
    return _cs(0x01, struct.pack("<HBHB", 0x0200, category, total, 0)) + units


def uac2_clock_source(clock_id: int, attributes: int, controls: int) -> bytes:
    return _cs(0x0A, bytes([clock_id, attributes, controls, 0, 0]))


def uac2_input_terminal(terminal: int, kind: int, clock: int, channels: int) -> bytes:
    return _cs(0x02, struct.pack("<BHBBBIBHB", terminal, kind, 0, clock, channels, 0, 0, 0, 0))


def uac2_output_terminal(terminal: int, kind: int, source: int, clock: int) -> bytes:
    return _cs(0x03, struct.pack("<BHBBBHB", terminal, kind, 0, source, clock, 0, 0))


def uac2_as_general(terminal_link: int, channels: int) -> bytes:
    return _cs(0x01, struct.pack("<BBBIBIB", terminal_link, 0, 1, 0x00000001, channels, 0, 0))


def uac2_format_type_i(subslot_bytes: int, bits: int) -> bytes:
    return _cs(0x02, bytes([1, subslot_bytes, bits]))


def uac2_iso_endpoint() -> bytes:
    return _cs(0x01, struct.pack("<BBBH", 0, 0, 0, 0), dtype=CS_ENDPOINT)


# --- USB MIDI 1.0 (§6) ----------------------------------------------------------------


def uac1_ac_header(streaming_interfaces: tuple[int, ...]) -> bytes:
    total = 8 + len(streaming_interfaces)
    return _cs(
        0x01,
        struct.pack("<HHB", 0x0100, total, len(streaming_interfaces)) + bytes(streaming_interfaces),
    )


def ms_header(body: bytes) -> bytes:
    return _cs(0x01, struct.pack("<HH", 0x0100, 7 + len(body))) + body


def midi_in_jack(jack_id: int, embedded: bool) -> bytes:
    return _cs(0x02, bytes([1 if embedded else 2, jack_id, 0]))


def midi_out_jack(jack_id: int, embedded: bool, source: int) -> bytes:
    return _cs(0x03, bytes([1 if embedded else 2, jack_id, 1, source, 1, 0]))


def ms_endpoint(*jacks: int) -> bytes:
    return _cs(0x01, bytes([len(jacks), *jacks]), dtype=CS_ENDPOINT)


def midi_endpoints(out_address: int, in_address: int, max_packet: int, ports: int) -> bytes:
    """MS header with the jacks of `ports` ports, then the bulk OUT and IN endpoints, each
    followed by its class-specific descriptor naming the embedded jacks it serves."""
    jacks, emb_in, emb_out = midi_jacks(ports)
    return (
        ms_header(jacks)
        + endpoint_audio1(out_address, BULK, max_packet, 0)
        + ms_endpoint(*emb_in)
        + endpoint_audio1(in_address, BULK, max_packet, 0)
        + ms_endpoint(*emb_out)
    )


def midi_jacks(ports: int, first_id: int = 1) -> tuple[bytes, list[int], list[int]]:
    """Per port: embedded IN + external IN + embedded OUT + external OUT jacks, wired
    embedded IN -> external OUT (host to DIN) and external IN -> embedded OUT.
    Returns (descriptors, embedded IN ids for the OUT endpoint, embedded OUT ids for IN)."""
    body = b""
    emb_in: list[int] = []
    emb_out: list[int] = []
    for port in range(ports):
        base = first_id + 4 * port
        body += midi_in_jack(base, embedded=True) + midi_in_jack(base + 1, embedded=False)
        body += midi_out_jack(base + 2, embedded=True, source=base + 1)
        body += midi_out_jack(base + 3, embedded=False, source=base)
        emb_in.append(base)
        emb_out.append(base + 2)
    return body, emb_in, emb_out


# --- the modelled devices ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DescriptorSet:
    """What the kernel exposes in sysfs `descriptors` (device + active configuration),
    the string table, and the details that await confirmation against a real unit."""

    device: bytes
    configuration: bytes
    strings: dict[int, str]
    unconfirmed: tuple[str, ...]

    @property
    def ids(self) -> tuple[int, int, int]:
        """(idVendor, idProduct, bcdDevice) from the device descriptor."""
        vendor, product, bcd = (
            int.from_bytes(self.device[i : i + 2], "little") for i in (8, 10, 12)
        )
        return vendor, product, bcd

    @property
    def sysfs(self) -> bytes:
        return self.device + self.configuration

    def string_descriptors(self) -> dict[int, bytes]:
        table = {0: string_languages(0x0409)}
        table.update({index: string(text) for index, text in self.strings.items()})
        return table


def scarlett_4i4_gen4(serial: str = "S4I4SIM0000001") -> DescriptorSet:
    """Scarlett 4i4 4th Gen, 1235:821a: high speed, UAC2 (AC + AS out + AS in,
    isochronous asynchronous with feedback), vendor control interface, MIDI streaming."""
    channels = 6
    max_packet = (192_000 // 8000 + 1) * channels * 4  # 25 frames/microframe at 192 kHz
    ac = uac2_ac_header(
        uac2_clock_source(41, attributes=0x03, controls=0x07)  # internal programmable
        + uac2_input_terminal(1, 0x0101, clock=41, channels=channels)  # USB streaming
        + uac2_output_terminal(2, 0x0603, source=1, clock=41)  # line connector
        + uac2_input_terminal(3, 0x0603, clock=41, channels=channels)
        + uac2_output_terminal(4, 0x0101, source=3, clock=41),
        category=0x08,  # I/O box
    )
    body = association(0, 3, AUDIO, 0x00, IP_VERSION_02_00)
    body += interface(0, 0, 1, AUDIO, AUDIOCONTROL, IP_VERSION_02_00) + ac
    body += endpoint(0x83, INTERRUPT, 6, 4)
    for number, terminal, data_ep, feedback in ((1, 1, 0x01, 0x81), (2, 4, 0x82, None)):
        body += interface(number, 0, 0, AUDIO, AUDIOSTREAMING, IP_VERSION_02_00)
        body += interface(number, 1, 2 if feedback else 1, AUDIO, AUDIOSTREAMING, IP_VERSION_02_00)
        body += uac2_as_general(terminal, channels) + uac2_format_type_i(4, 24)
        body += endpoint(data_ep, ISO_ASYNC, max_packet, 1) + uac2_iso_endpoint()
        if feedback:
            body += endpoint(feedback, ISO_FEEDBACK, 4, 4)
    body += interface(3, 0, 1, VENDOR_SPECIFIC, 0x00, 0x00)
    body += endpoint(0x84, INTERRUPT, 8, 4)
    body += interface(4, 0, 2, AUDIO, MIDISTREAMING, 0x00) + midi_endpoints(0x02, 0x85, 512, 1)
    return DescriptorSet(
        device=device(
            bcd_usb=0x0200,
            cls=0xEF,
            subclass=0x02,
            protocol=0x01,
            max_packet0=64,
            vendor=0x1235,
            product=0x821A,
            bcd_device=0x0100,
        ),
        configuration=configuration(body, interfaces=5, attributes=0x80, max_power_ma=500),
        strings={1: "Focusrite", 2: "Scarlett 4i4 4th Gen", 3: serial},
        unconfirmed=(
            "interface numbering and order (AC 0, AS out 1, AS in 2, vendor 3, MIDI 4)",
            "endpoint addresses, intervals and the 600-byte iso wMaxPacketSize",
            "one alternate setting per streaming interface for all rates",
            "terminal types, clock source attributes and IDs",
            "bcdDevice 0x0100, bMaxPower 500 mA, serial number format",
            "MIDI streaming without its own AudioControl interface",
        ),
    )


def keylab_mkii_88(serial: str = "KLMK2SIM0001") -> DescriptorSet:
    """KeyLab mkII 88, 1c75:02cb: full speed, class-compliant USB-MIDI with two ports
    (main and DAW) behind a UAC1 AudioControl interface."""
    body = interface(0, 0, 0, AUDIO, AUDIOCONTROL, 0x00) + uac1_ac_header((1,))
    body += interface(1, 0, 2, AUDIO, MIDISTREAMING, 0x00) + midi_endpoints(0x01, 0x81, 64, 2)
    return DescriptorSet(
        device=device(
            bcd_usb=0x0200,
            cls=0x00,
            subclass=0x00,
            protocol=0x00,
            max_packet0=64,
            vendor=0x1C75,
            product=0x02CB,
            bcd_device=0x0100,
        ),
        configuration=configuration(body, interfaces=2, attributes=0x80, max_power_ma=500),
        strings={1: "Arturia", 2: "KeyLab mkII 88", 3: serial},
        unconfirmed=(
            "bcdDevice, bMaxPower 500 mA and bus-powered attributes",
            "jack IDs and the order of the main and DAW ports",
            "serial number format",
        ),
    )


def interfaces(config: bytes) -> list[tuple[int, int, int, int, int]]:
    """(number, alt, class, subclass, protocol) of each interface descriptor in a set."""
    found = []
    offset = 0
    while offset + 2 <= len(config):
        length, dtype = config[offset], config[offset + 1]
        if length < 2:
            raise ValueError(f"offset {offset:#x}: bLength {length}")
        if dtype == INTERFACE:
            number, alt, _, cls, sub, proto = config[offset + 2 : offset + 8]
            found.append((number, alt, cls, sub, proto))
        offset += length
    return found
