"""udev rules that keep audio and MIDI devices awake: `power/control` = `on` when the
device is added, so the kernel never autosuspends it (DOMAIN.md §3).

IDs are checked (4 hex digits each) before any rule is produced; nothing from the
caller reaches a rule unchecked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

RULES_FILE: Final = "/etc/udev/rules.d/90-usbgate-power.rules"
_USB_ID: Final = re.compile(r"([0-9a-fA-F]{4}):([0-9a-fA-F]{4})")


def parse_usb_id(text: str) -> tuple[str, str]:
    """'1235:821A' -> ('1235', '821a'); ValueError names what was expected."""
    match = _USB_ID.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r}: expected VID:PID, 4 hex digits each (e.g. 1235:821a)")
    return match.group(1).lower(), match.group(2).lower()


def power_rules(devices: Iterable[tuple[str, str]]) -> str:
    """One rule per (VID:PID, name), in order, duplicates dropped."""
    lines = [
        "# pytest-usbgate: keep audio/MIDI devices out of USB autosuspend.",
        f"# Install as {RULES_FILE}, then: udevadm control --reload && udevadm trigger",
    ]
    seen = set()
    for usb_id, name in devices:
        vendor, product = parse_usb_id(usb_id)
        if (vendor, product) in seen:
            continue
        seen.add((vendor, product))
        label = re.sub(r"[^\w .():-]", "", name)[:60]
        lines.append(f"# {label or 'device'}")
        lines.append(
            'ACTION=="add", SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", '
            f'ATTR{{idVendor}}=="{vendor}", ATTR{{idProduct}}=="{product}", '
            'TEST=="power/control", ATTR{power/control}="on"'
        )
    if not seen:
        raise ValueError("no device: name at least one VID:PID or a rig with devices")
    return "\n".join(lines) + "\n"
