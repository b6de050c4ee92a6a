"""USB lines of the kernel log, classified, pure (DOMAIN.md §3: message formats of
drivers/usb/core/hub.c, devio.c and the xHCI driver). Each event: line number, kind,
errno (negative, as printed), device path ("1-1.2", or the controller "0000:00:14.0"),
severity, and the layer/domain it implicates. Lines that are not USB events are not
events; any line prefix (dmesg's "[ 12.3]", journalctl's date and host) is accepted.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Final

ERRNO: Final = {
    -110: "ETIMEDOUT",
    -71: "EPROTO",
    -84: "EILSEQ",
    -62: "ETIME",
    -32: "EPIPE",
    -75: "EOVERFLOW",
    -19: "ENODEV",
    -108: "ESHUTDOWN",
    -113: "EHOSTUNREACH",
    -18: "EXDEV",
    -28: "ENOSPC",
}


@dataclass(frozen=True, slots=True)
class Rule:
    kind: str
    pattern: re.Pattern[str]
    severity: str  # "info" | "warning" | "error"
    layer: str
    domain: str


def _rule(kind: str, pattern: str, severity: str, domain: str = "usb") -> Rule:
    return Rule(kind, re.compile(pattern), severity, "host", domain)


# "<driver> <device>: " as dev_printk writes it: a bus-port path, a root hub, a port of
# one, or a PCI address (the controller)
_DEV = (
    r"(?:usb|hub|xhci_hcd|ehci-pci|cdc_acm|snd-usb-audio) "
    r"(?P<device>usb\d+-port\d+|\d+-[\d.]+(?::[\d.]+)?|usb\d+|"
    r"[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.\d): "
)
_MAYBE_DEV = f"(?:{_DEV})?"
RULES: Final = (
    _rule(
        "enumeration_start",
        _DEV + r"new (?P<speed>\S+)-speed USB device number (?P<devnum>\d+)",
        "info",
    ),
    _rule(
        "enumeration_success",
        _DEV + r"New USB device found, idVendor=(?P<vid>[0-9a-f]{4}), "
        r"idProduct=(?P<pid>[0-9a-f]{4})",
        "info",
    ),
    _rule(
        "descriptor_read_error",
        _DEV + r"device descriptor read/(?:64|8|all), error (?P<errno>-\d+)",
        "error",
    ),
    _rule(
        "address_error",
        _DEV + r"device not accepting address (?P<devnum>\d+), error (?P<errno>-\d+)",
        "error",
    ),
    _rule("enumeration_failed", _DEV + r"unable to enumerate USB device", "error"),
    _rule("port_enable_failed", _DEV + r"Cannot enable\. Maybe the USB cable is bad\?", "error"),
    _rule("disconnect", _DEV + r"USB disconnect, device number (?P<devnum>\d+)", "warning"),
    _rule(
        "reset", _DEV + r"reset (?P<speed>\S+)-speed USB device number (?P<devnum>\d+)", "warning"
    ),
    _rule(
        "insufficient_power",
        _DEV + r"rejected \d+ configurations? due to insufficient available bus power",
        "error",
        "power",
    ),
    _rule("over_current", _DEV + r".*[Oo]ver-current", "error", "power"),
    _rule(
        "wrong_speed",
        _DEV + r"not running at top speed; connect to a high speed hub",
        "warning",
    ),
    _rule(
        "claimed_by_host_driver",
        _MAYBE_DEV + r"usbfs: interface (?P<interface>\d+) claimed by (?P<driver>\S+) "
        r"while '(?P<process>[^']*)' sets config",
        "error",
    ),
    _rule(
        "control_timeout",
        _MAYBE_DEV + r"usbfs: USBDEVFS_CONTROL failed cmd (?P<process>\S+) .*ret (?P<errno>-\d+)",
        "error",
    ),
    _rule(
        "xhci_ring_desync",
        _DEV + r"(?:ERROR Transfer event TRB DMA ptr not part of current TD|"
        r"WARN Event TRB for slot \d+ ep \d+ with no TDs queued)",
        "error",
    ),
    _rule(
        "controller_dead",
        _DEV + r"(?:xHCI host controller not responding, assume dead|HC died; cleaning up)",
        "error",
    ),
)


@dataclass(frozen=True, slots=True)
class KernelEvent:
    line: int  # from 1
    kind: str
    errno: int | None
    errno_name: str | None
    device: str | None
    severity: str
    layer: str
    domain: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def classify_line(text: str, line: int = 1) -> KernelEvent | None:
    for rule in RULES:
        match = rule.pattern.search(text)
        if match is None:
            continue
        groups = match.groupdict()
        errno = int(groups["errno"]) if groups.get("errno") else None
        return KernelEvent(
            line=line,
            kind=rule.kind,
            errno=errno,
            errno_name=ERRNO.get(errno) if errno is not None else None,
            device=groups.get("device"),
            severity=rule.severity,
            layer=rule.layer,
            domain=rule.domain,
            text=text.strip(),
        )
    return None


def classify(text: str) -> list[KernelEvent]:
    """Every USB event in a log, in order."""
    events = []
    for number, line in enumerate(text.splitlines(), 1):
        event = classify_line(line, number)
        if event is not None:
            events.append(event)
    return events


def errors(events: list[KernelEvent], devices: set[str] | None = None) -> list[KernelEvent]:
    """The error events, for the given device paths (None: all). A device's interfaces
    ("1-1:1.0") count as the device; events that name no device count for every one."""
    return [
        e
        for e in events
        if e.severity == "error"
        and (
            devices is None
            or e.device is None
            or e.device in devices
            or e.device.split(":", 1)[0] in devices
        )
    ]


_FIRMWARE: Final = re.compile(
    r"(?:usb|snd-usb-audio) (?P<device>\d+-[\d.]+)(?::[\d.]+)?: Firmware version (?P<version>\d+)"
)


def firmware_versions(lines: list[str]) -> dict[str, str]:
    """Device path -> the firmware version its driver printed (Scarlett2: `Firmware
    version 2128`); the last one printed wins."""
    found = {}
    for line in lines:
        match = _FIRMWARE.search(line)
        if match:
            found[match.group("device")] = match.group("version")
    return found
