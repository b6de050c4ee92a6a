"""USB devices as the host's sysfs shows them (DOMAIN.md §3): identity, speed, power
attributes and raw descriptors, read from `/sys/bus/usb/devices/<bus>-<port>`. On the
sim rig the same reads land in umockdev's testbed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

SYSFS_DEVICES: Final = Path("/sys/bus/usb/devices")
ATTRIBUTES: Final = (
    "idVendor",
    "idProduct",
    "serial",
    "busnum",
    "devnum",
    "speed",
    "bcdDevice",
    "product",
    "manufacturer",
    "authorized",
    "bMaxPower",
    "bConfigurationValue",
    "power/control",
    "power/autosuspend_delay_ms",
    "power/runtime_status",
)
_DEVICE_DIR: Final = re.compile(r"\d+-\d+(\.\d+)*")  # not root hubs (usbN), not interfaces (:)


@dataclass(frozen=True, slots=True)
class HostDevice:
    """One device at one moment: its attributes as read, by sysfs name."""

    port_path: str  # "1-4.2"
    syspath: Path
    attributes: dict[str, str] = field(default_factory=dict)

    def _get(self, name: str) -> str:
        return self.attributes.get(name, "")

    @property
    def usb_id(self) -> str:
        return f"{self._get('idVendor')}:{self._get('idProduct')}"

    @property
    def serial(self) -> str | None:
        return self._get("serial") or None

    @property
    def devnum(self) -> int | None:
        text = self._get("devnum")
        return int(text) if text.isdigit() else None

    @property
    def busnum(self) -> int | None:
        text = self._get("busnum")
        return int(text) if text.isdigit() else None

    @property
    def speed_mbps(self) -> float | None:
        try:
            return float(self._get("speed"))
        except ValueError:
            return None

    @property
    def release(self) -> str | None:
        """bcdDevice as a version, "0100" -> "1.00"."""
        text = self._get("bcdDevice")
        if not re.fullmatch(r"[0-9a-fA-F]{4}", text):
            return None
        return f"{int(text[:2], 16)}.{text[2:]}"

    def describe(self) -> str:
        name = self._get("product") or "?"
        serial = f", serial {self.serial}" if self.serial else ""
        return f"{self.usb_id} {name} at {self.port_path} #{self.devnum}{serial}"

    def identity(self) -> dict[str, Any]:
        """For the sign-off's device list."""
        return {
            "serial": self.serial,
            "port": self.port_path,
            "devnum": self.devnum,
            "speed_mbps": self.speed_mbps,
            "release": self.release,
        }

    def descriptors(self) -> bytes:
        """The raw descriptors the kernel holds (device + active configuration)."""
        return (self.syspath / "descriptors").read_bytes()


def _read(path: Path) -> str | None:
    try:
        return path.read_text(errors="replace").strip()
    except OSError:
        return None


def read_device(syspath: Path) -> HostDevice | None:
    """The device at `syspath`, or None when it is gone (or not a device)."""
    attributes = {}
    for name in ATTRIBUTES:
        value = _read(syspath / name)
        if value is not None:
            attributes[name] = value
    if "idVendor" not in attributes:
        return None
    return HostDevice(syspath.name, syspath, attributes)


def list_devices(root: Path = SYSFS_DEVICES) -> list[HostDevice]:
    """Every USB device (not root hubs, not interfaces) the host shows, by port path."""
    try:
        entries = sorted(root.iterdir(), key=lambda p: p.name)
    except OSError:
        return []
    found = []
    for entry in entries:
        if _DEVICE_DIR.fullmatch(entry.name):
            device = read_device(entry)
            if device is not None:
                found.append(device)
    return found


def controller_of(device: HostDevice) -> str | None:
    """The PCI address of the host controller above a device ("0000:00:14.0")."""
    try:
        resolved = device.syspath.resolve()
    except OSError:
        return None
    parts = resolved.parts
    for index, part in enumerate(parts):
        if re.fullmatch(r"usb\d+", part) and index > 0:
            return parts[index - 1]
    return None
