"""Periodic (isochronous + interrupt) bus time of USB devices, from their parsed
descriptors, against the USB 2.0 limits (§5.6.4, §5.7.4): periodic transfers may use
80 % of a high-speed microframe (125 µs) and 90 % of a full-speed frame (1 ms). Pure.

Transaction times are the kernel's (drivers/usb/core/hcd.c `usb_calc_bus_time`,
include/linux/usb/hcd.h `HS_NSECS`, `HS_NSECS_ISO`), kept in nanoseconds rather than
rounded up to whole microseconds. The budget is the worst case: every streaming
interface in its most demanding alternate setting, and every periodic endpoint of a
device served in the same (micro)frame.

An audio data endpoint carries what the stream needs at the rig's sample rate: one more
frame than the average per service interval (an asynchronous stream's slack), times
channels times subslot bytes, capped by the endpoint's maximum; any other periodic
endpoint (feedback, interrupt) carries its maximum packet.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from pytest_usbgate.usb.descriptors import (
    CS_INTERFACE,
    ENDPOINT,
    INTERFACE,
    Descriptor,
    DescriptorTree,
)

HIGH_SPEED_MBPS: Final = 480.0
MICROFRAME_US: Final = 125.0
FRAME_US: Final = 1000.0
PERIODIC_LIMIT_PCT: Final = {"high": 80.0, "full": 90.0}
ISOCHRONOUS, INTERRUPT = 1, 3
_FEEDBACK_USAGE: Final = 1  # bmAttributes bits 5..4 (USB 2.0 table 9-13)
_HOST_DELAY_HS_NS: Final = 5  # USB2_HOST_DELAY
_HOST_DELAY_FS_NS: Final = 1000  # BW_HOST_DELAY


def _bit_time(payload_bytes: int) -> int:
    """Bit-stuffed length, in bit times, of a payload (worst case 7/6)."""
    return 7 * 8 * payload_bytes // 6


def transaction_ns(high_speed: bool, isochronous: bool, is_input: bool, payload_bytes: int) -> int:
    """Bus time of one periodic transaction, as the kernel computes it."""
    if high_speed:
        overhead = 38 if isochronous else 55
        return (
            overhead * 8 * 2083 + 2083 * (3 + _bit_time(payload_bytes))
        ) // 1000 + _HOST_DELAY_HS_NS
    data = 8354 * (31 + 10 * _bit_time(payload_bytes)) // 1000
    if isochronous:
        return (7268 if is_input else 6265) + _HOST_DELAY_FS_NS + data
    return 9107 + _HOST_DELAY_FS_NS + data


@dataclass(frozen=True, slots=True)
class PeriodicEndpoint:
    address: int
    kind: str  # "isochronous" | "interrupt"
    interface: int
    alternate: int
    payload_bytes: int  # per service interval
    interval_frames: int  # in the device's (micro)frames
    time_ns: int  # in one (micro)frame that serves it

    def describe(self) -> str:
        return (
            f"EP {self.address:#04x} {self.kind} (interface {self.interface} alt "
            f"{self.alternate}): {self.payload_bytes} B every {self.interval_frames} "
            f"frame(s), {self.time_ns / 1000:.3f} µs"
        )


@dataclass(frozen=True, slots=True)
class DeviceLoad:
    name: str
    bus: int
    speed_mbps: float
    endpoints: tuple[PeriodicEndpoint, ...]

    @property
    def domain(self) -> str:
        return "high" if self.speed_mbps >= HIGH_SPEED_MBPS else "full"

    @property
    def frame_us(self) -> float:
        return MICROFRAME_US if self.domain == "high" else FRAME_US

    @property
    def time_us(self) -> float:
        return sum(e.time_ns for e in self.endpoints) / 1000

    @property
    def share_pct(self) -> float:
        return 100.0 * self.time_us / self.frame_us


@dataclass(frozen=True, slots=True)
class BusLoad:
    bus: int
    domain: str  # "high": 125 µs microframes; "full": 1 ms frames (full-speed devices)
    devices: tuple[DeviceLoad, ...]

    @property
    def used_pct(self) -> float:
        return sum(d.share_pct for d in self.devices)

    @property
    def limit_pct(self) -> float:
        return PERIODIC_LIMIT_PCT[self.domain]

    def describe(self) -> list[str]:
        unit = "microframe" if self.domain == "high" else "frame"
        lines = [
            f"bus {self.bus}, {self.domain}-speed {unit}s: {self.used_pct:.2f} % periodic "
            f"(USB 2.0 allows {self.limit_pct:.0f} %)"
        ]
        for device in self.devices:
            lines.append(
                f"  {device.name}: {device.share_pct:.2f} % ({device.time_us:.3f} µs per "
                f"{device.frame_us:.0f} µs {unit})"
            )
            lines += [f"    {e.describe()}" for e in device.endpoints]
        return lines


def _interval_frames(high_speed: bool, kind: int, b_interval: int) -> int:
    if high_speed or kind == ISOCHRONOUS:
        return 1 << (min(max(b_interval, 1), 16) - 1)
    return max(b_interval, 1)  # full-speed interrupt: bInterval frames


def _stream_format(interface: Descriptor) -> tuple[int, int] | None:
    """(channels, subslot bytes) of an AudioStreaming alternate setting, if declared."""
    channels = subslot = None
    for child in interface.children:
        if child.type != CS_INTERFACE:
            continue
        channels = child.number("bNrChannels") or channels
        subslot = child.number("bSubslotSize") or subslot
    return (channels, subslot) if channels and subslot else None


def _endpoint_load(
    endpoint: Descriptor,
    interface: Descriptor,
    high_speed: bool,
    samplerate_hz: float,
) -> PeriodicEndpoint | None:
    attributes = endpoint.number("bmAttributes") or 0
    kind = attributes & 0x3
    if kind not in (ISOCHRONOUS, INTERRUPT):
        return None
    address = endpoint.number("bEndpointAddress") or 0
    packet = endpoint.number("wMaxPacketSize") or 0
    per_packet = packet & 0x7FF
    transactions = 1 + ((packet >> 11) & 0x3) if high_speed else 1
    interval = _interval_frames(high_speed, kind, endpoint.number("bInterval") or 1)
    payload = per_packet * transactions
    stream = _stream_format(interface)
    feedback = (attributes >> 4) & 0x3 == _FEEDBACK_USAGE
    if kind == ISOCHRONOUS and stream is not None and not feedback:
        channels, subslot = stream
        seconds = interval * (MICROFRAME_US if high_speed else FRAME_US) / 1e6
        frames = math.ceil(samplerate_hz * seconds - 1e-9) + 1
        payload = min(payload, frames * channels * subslot)
    packets = max(1, math.ceil(payload / per_packet)) if per_packet else 1
    time_ns = 0
    left = payload
    for _ in range(packets):
        size = min(left, per_packet)
        time_ns += transaction_ns(high_speed, kind == ISOCHRONOUS, bool(address & 0x80), size)
        left -= size
    return PeriodicEndpoint(
        address=address,
        kind="isochronous" if kind == ISOCHRONOUS else "interrupt",
        interface=interface.number("bInterfaceNumber") or 0,
        alternate=interface.number("bAlternateSetting") or 0,
        payload_bytes=payload,
        interval_frames=interval,
        time_ns=time_ns,
    )


def device_load(
    name: str, bus: int, tree: DescriptorTree, speed_mbps: float, samplerate_hz: float
) -> DeviceLoad:
    """The periodic load of a device's configuration(s): for each interface, its most
    demanding alternate setting."""
    high_speed = speed_mbps >= HIGH_SPEED_MBPS
    best: dict[int, tuple[int, list[PeriodicEndpoint]]] = {}
    for descriptor in tree.all():
        if descriptor.type != INTERFACE or not descriptor.fields:
            continue
        loads = [
            load
            for child in descriptor.children
            if child.type == ENDPOINT and child.fields
            if (load := _endpoint_load(child, descriptor, high_speed, samplerate_hz)) is not None
        ]
        number = descriptor.number("bInterfaceNumber") or 0
        total = sum(e.time_ns for e in loads)
        if number not in best or total > best[number][0]:
            best[number] = (total, loads)
    endpoints = tuple(e for number in sorted(best) for e in best[number][1])
    return DeviceLoad(name, bus, speed_mbps, endpoints)


def bus_loads(devices: Sequence[DeviceLoad]) -> list[BusLoad]:
    """Devices grouped by bus and speed domain (full-speed devices on a USB 2.0 bus are
    scheduled in 1 ms frames), lowest bus first."""
    groups: dict[tuple[int, str], list[DeviceLoad]] = {}
    for device in devices:
        groups.setdefault((device.bus, device.domain), []).append(device)
    return [BusLoad(bus, domain, tuple(group)) for (bus, domain), group in sorted(groups.items())]
