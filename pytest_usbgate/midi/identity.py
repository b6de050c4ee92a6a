"""MIDI Universal Identity (device inquiry), pure: the request, and a tolerant reply
parser (DOMAIN.md §2): any device-ID byte, one- or three-byte manufacturer IDs,
version fields shorter than four bytes.

    F0 7E <dev> 06 02 <manufacturer 1|3> <family 2> <model 2> <version 0…4> F7
"""

from __future__ import annotations

from dataclasses import dataclass

IDENTITY_REQUEST = bytes([0xF0, 0x7E, 0x7F, 0x06, 0x01, 0xF7])  # to every device
IDENTITY_REQUEST_HEAD = IDENTITY_REQUEST[:2]
IDENTITY_REQUEST_TAIL = IDENTITY_REQUEST[3:]
ARTURIA_ID = bytes([0x00, 0x20, 0x6B])


@dataclass(frozen=True, slots=True)
class Identity:
    device_id: int
    manufacturer: bytes
    family: bytes
    model: bytes
    version: bytes

    @property
    def firmware(self) -> str:
        return ".".join(str(b) for b in self.version)

    def matches(self, manufacturer: str | None, family: str | None, model: str | None) -> bool:
        """Whether each expected field (hex, None: any) is what the device said."""
        expected = {"manufacturer": manufacturer, "family": family, "model": model}
        return all(
            want is None or getattr(self, name).hex() == want.lower()
            for name, want in expected.items()
        )

    def describe(self) -> str:
        return (
            f"manufacturer {self.manufacturer.hex(' ')}, family {self.family.hex(' ')}, "
            f"model {self.model.hex(' ')}, firmware {self.firmware or '(none)'}"
        )


def is_identity_request(data: bytes, device_id: int) -> bool:
    return (
        len(data) == 6
        and data[:2] == IDENTITY_REQUEST_HEAD
        and data[2] in (0x7F, device_id)
        and data[3:] == IDENTITY_REQUEST_TAIL
    )


def parse_identity_reply(data: bytes) -> Identity:
    """The identity in a reply; ValueError saying what is wrong otherwise."""
    if len(data) < 2 or data[0] != 0xF0 or data[-1] != 0xF7:
        raise ValueError("not a SysEx message (F0 … F7)")
    if data[1] != 0x7E or len(data) < 5 or data[3:5] != b"\x06\x02":
        raise ValueError("not an identity reply (F0 7E <dev> 06 02 …)")
    body = data[5:-1]
    width = 3 if body[:1] == b"\x00" else 1
    if len(body) < width + 4:
        raise ValueError(f"identity reply too short ({len(data)} bytes)")
    if any(b > 0x7F for b in body):
        raise ValueError("identity reply has a byte above 7F inside the SysEx")
    rest = body[width:]
    if len(rest) > 8:
        raise ValueError(f"identity reply too long ({len(data)} bytes)")
    return Identity(data[2], body[:width], rest[:2], rest[2:4], rest[4:])
