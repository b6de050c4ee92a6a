"""Which host device is which rig device: by the profile's VID:PID, then the rig's
serial or port path when it pins one (several identical units). Pure: host devices in,
matches and one-line reasons out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pytest_usbgate.config.rig import Device
from pytest_usbgate.usb.host import HostDevice


@dataclass(frozen=True, slots=True)
class Match:
    device: Device
    host: HostDevice | None
    problem: str | None  # why there is no host device, naming what the host has instead

    @property
    def found(self) -> bool:
        return self.host is not None


def _listing(devices: Sequence[HostDevice]) -> str:
    return "; ".join(d.describe() for d in devices) or "no USB devices"


def _pins(device: Device) -> str:
    pins = [f"serial {device.serial}"] if device.serial else []
    if device.port:
        pins.append(f"port {device.port}")
    return f" with {' and '.join(pins)}" if pins else ""


def match_devices(rig_devices: Sequence[Device], host: Sequence[HostDevice]) -> list[Match]:
    """One Match per rig device, in rig order. A host device is claimed once: pinned
    rig devices choose first, then unpinned ones take what is left."""
    claimed: set[str] = set()
    matches: dict[str, Match] = {}
    order = sorted(rig_devices, key=lambda d: not (d.serial or d.port))
    for device in order:
        usb_id = f"{device.profile.vendor_id}:{device.profile.product_id}"
        same_id = [h for h in host if h.usb_id == usb_id]
        candidates = [
            h
            for h in same_id
            if h.port_path not in claimed
            and (device.serial is None or h.serial == device.serial)
            and (device.port is None or h.port_path == device.port)
        ]
        wanted = f"{device.profile.name} ({usb_id}){_pins(device)}"
        if len(candidates) == 1:
            claimed.add(candidates[0].port_path)
            matches[device.id] = Match(device, candidates[0], None)
        elif not candidates:
            instead = same_id or list(host)
            label = "units with its ID" if same_id else "the host has"
            matches[device.id] = Match(
                device, None, f"{device.id}: {wanted} not found; {label}: {_listing(instead)}"
            )
        else:
            matches[device.id] = Match(
                device,
                None,
                f"{device.id}: {len(candidates)} units of {wanted}: {_listing(candidates)}; "
                "pin one with serial or port in the rig's [[devices]]",
            )
    return [matches[d.id] for d in rig_devices]
