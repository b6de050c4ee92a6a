"""QEMU command-line arguments as dockurr/windows passes them (`ARGUMENTS`, split on
spaces: no quoting) and as QEMU parses them: `-device driver,key=value,...` with `,,`
for a literal comma. Pure. Integers as QEMU reads them: base 0 (`0x` hex, a leading 0
octal, else decimal)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

USB_PASSTHROUGH: Final = frozenset({"usb-host", "usb-redir"})
XHCI: Final = frozenset({"qemu-xhci", "nec-usb-xhci"})
USB_CONTROLLERS: Final = XHCI | {
    "usb-ehci",
    "ich9-usb-ehci1",
    "ich9-usb-ehci2",
    "piix3-usb-uhci",
    "piix4-usb-uhci",
    "ich9-usb-uhci1",
    "pci-ohci",
}


@dataclass(frozen=True, slots=True)
class QemuDevice:
    driver: str
    props: Mapping[str, str]
    text: str  # as written

    def number(self, key: str) -> int | None:
        """An integer property as QEMU reads it; None when absent or not a number."""
        return qemu_int(self.props[key]) if key in self.props else None


def qemu_int(text: str) -> int | None:
    try:
        return int(text, 0)
    except ValueError:
        try:  # int(…, 0) refuses "0123"; QEMU reads it as octal
            return int(text, 8) if text.startswith("0") and len(text) > 1 else None
        except ValueError:
            return None


def split_options(text: str) -> list[str]:
    """QEMU's comma-separated options, `,,` standing for a comma."""
    parts, current, i = [], [], 0
    while i < len(text):
        if text[i] == ",":
            if text[i + 1 : i + 2] == ",":
                current.append(",")
                i += 2
                continue
            parts.append("".join(current))
            current = []
        else:
            current.append(text[i])
        i += 1
    parts.append("".join(current))
    return parts


def parse_device(text: str) -> QemuDevice:
    """`usb-host,vendorid=0x1235,productid=0x821a` (or `driver=usb-host,…`)."""
    options = split_options(text)
    props: dict[str, str] = {}
    driver = ""
    for index, option in enumerate(options):
        key, sep, value = option.partition("=")
        if index == 0 and not sep:
            driver = key
        elif key == "driver":
            driver = value
        elif key:
            props[key] = value if sep else "on"
    return QemuDevice(driver, props, text)


def qemu_devices(arguments: str) -> list[QemuDevice]:
    """Every `-device` (or `--device`) in `arguments`, split on spaces as the image does."""
    tokens = arguments.split()
    return [
        parse_device(tokens[i + 1])
        for i, token in enumerate(tokens[:-1])
        if token in ("-device", "--device")
    ]
