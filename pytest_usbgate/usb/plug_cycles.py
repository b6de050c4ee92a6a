"""Unplug/replug cycles of one device, timed: disconnect, wait for it to leave, reconnect,
wait for the new device in sysfs (re-enumerated), then for its identity to be read back
through libusb (usable). Every step goes to the trace; a cycle that does not recover in
`timeout_s` ends the run with the last event it saw."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pytest_usbgate.native import require
from pytest_usbgate.usb.host import SYSFS_DEVICES, HostDevice, read_device
from pytest_usbgate.usb.inject import Injector
from pytest_usbgate.usb.recovery import Cycle, RecoveryStats, TraceEvent

POLL_S = 0.002


def locate(port_path: str, usb_id: str, root: Path = SYSFS_DEVICES) -> HostDevice | None:
    """The device at a port path now, if it is the one with this VID:PID."""
    device = read_device(root / port_path)
    return device if device is not None and device.usb_id == usb_id else None


def configured(device: HostDevice | None) -> bool:
    return (
        device is not None
        and device.attributes.get("authorized", "1") == "1"
        and bool(device.attributes.get("bConfigurationValue"))
    )


def libusb_identity(device: HostDevice) -> bool:
    """libusb lists the device at its bus and address with its VID:PID, and the serial
    the host reads matches: user space sees it again."""
    usb_core = require("usb.core")
    vendor, product = (int(part, 16) for part in device.usb_id.split(":"))
    found = usb_core.find(
        idVendor=vendor,
        idProduct=product,
        custom_match=lambda d: d.bus == device.busnum and d.address == device.devnum,
    )
    return found is not None


@dataclass
class _Clock:
    origin: float
    cycle: int = 0
    last: float = 0.0
    trace: list[TraceEvent] = field(default_factory=list)

    def event(self, name: str, subject: str, reason: str) -> float:
        now = time.monotonic()
        self.trace.append(
            TraceEvent(now - self.origin, self.cycle, name, subject, now - self.last, reason)
        )
        self.last = now
        return now


def _wait(condition: Callable[[], bool], deadline: float) -> bool:
    while True:
        if condition():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL_S)


def _left(port: str, usb_id: str, before: int | None, root: Path) -> Callable[[], bool]:
    def gone() -> bool:
        now = locate(port, usb_id, root)
        return now is None or now.devnum != before or not configured(now)

    return gone


def _back(
    port: str, usb_id: str, before: int | None, renumbers: bool, root: Path, seen: list[HostDevice]
) -> Callable[[], bool]:
    def enumerated() -> bool:
        now = locate(port, usb_id, root)
        if now is None or not configured(now) or (renumbers and now.devnum == before):
            return False
        seen.append(now)
        return True

    return enumerated


def _cycle(
    injector: Injector,
    current: HostDevice,
    label: str,
    timeout_s: float,
    usable: Callable[[HostDevice], bool],
    clock: _Clock,
    root: Path,
) -> tuple[Cycle, HostDevice]:
    """One disconnect/reconnect; the cycle and the device as it came back."""
    port, usb_id, before, number = current.port_path, current.usb_id, current.devnum, clock.cycle
    subject = f"{label} {port} #{before}"
    began = clock.event("disconnect", subject, f"injector {injector.name}")
    injector.disconnect()
    if injector.renumbers:
        if not _wait(_left(port, usb_id, before, root), began + timeout_s):
            clock.event("timeout", subject, "still enumerated after the disconnect")
            return Cycle(number, None, None, before, before, "disconnect"), current
        clock.event("gone", subject, f"no configured device at {port}")
    reconnected = clock.event("reconnect", subject, f"injector {injector.name}")
    injector.reconnect()
    seen: list[HostDevice] = []
    back = _back(port, usb_id, before, injector.renumbers, root, seen)
    if not _wait(back, reconnected + timeout_s):
        clock.event("timeout", subject, f"no device at {port} in {timeout_s:g} s")
        return Cycle(number, None, None, before, None, "reconnect"), current
    device = seen[-1]
    at = clock.event("enumerated", subject, f"device number {before} -> {device.devnum}")
    enumerated_s = at - reconnected
    if not _wait(lambda: usable(device), reconnected + timeout_s):
        clock.event("timeout", subject, f"identity not read back in {timeout_s:g} s")
        return Cycle(number, enumerated_s, None, before, device.devnum, "enumerated"), device
    at = clock.event("usable", subject, f"libusb lists {usb_id} at #{device.devnum}")
    cycle = Cycle(number, enumerated_s, at - reconnected, before, device.devnum, "usable")
    return cycle, device


def plug_cycles(
    injector: Injector,
    device: HostDevice,
    label: str,
    cycles: int,
    timeout_s: float,
    usable: Callable[[HostDevice], bool] = libusb_identity,
    root: Path = SYSFS_DEVICES,
) -> tuple[RecoveryStats, list[TraceEvent]]:
    """`cycles` cycles of `device` (a rig device called `label`); stops at the first
    that does not recover."""
    clock = _Clock(time.monotonic())
    done: list[Cycle] = []
    for number in range(1, cycles + 1):
        clock.cycle, clock.last = number, time.monotonic()
        cycle, device = _cycle(injector, device, label, timeout_s, usable, clock, root)
        done.append(cycle)
        if not cycle.recovered:
            break
    return RecoveryStats(tuple(done), timeout_s), clock.trace
