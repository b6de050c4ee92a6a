"""Host USB layer: the rig's devices on the host bus (sysfs, libusb), their descriptors,
power policy, periodic bandwidth, the kernel log, and plug-cycle recovery.

Pure: `descriptors`, `bandwidth`, `power`, `profile_match`, `kernel_log`, `recovery`,
`match`, `udev`. I/O: `host` (sysfs, libusb), `kmsg` (the kernel log), `inject` and
`plug_cycles` (unplug and replug). `checks` (values -> criteria), `fixtures`, `cli`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_usbgate._lazy import exports

if TYPE_CHECKING:
    from pytest_usbgate.usb.checks import (
        check_descriptors as check_descriptors,
    )
    from pytest_usbgate.usb.checks import (
        check_kernel_errors as check_kernel_errors,
    )
    from pytest_usbgate.usb.checks import (
        check_periodic_bandwidth as check_periodic_bandwidth,
    )
    from pytest_usbgate.usb.checks import (
        check_plug_cycles as check_plug_cycles,
    )
    from pytest_usbgate.usb.checks import (
        check_power as check_power,
    )
    from pytest_usbgate.usb.checks import (
        check_present as check_present,
    )
    from pytest_usbgate.usb.checks import (
        check_speed as check_speed,
    )
    from pytest_usbgate.usb.host import (
        HostDevice as HostDevice,
    )
    from pytest_usbgate.usb.inject import (
        Injector as Injector,
    )
    from pytest_usbgate.usb.kmsg import (
        KernelLog as KernelLog,
    )
    from pytest_usbgate.usb.match import (
        Match as Match,
    )

_MODULES = {
    "checks": (
        "check_descriptors",
        "check_kernel_errors",
        "check_periodic_bandwidth",
        "check_plug_cycles",
        "check_power",
        "check_present",
        "check_speed",
    ),
    "host": ("HostDevice",),
    "inject": ("Injector",),
    "kmsg": ("KernelLog",),
    "match": ("Match",),
}
__all__ = sorted(name for names in _MODULES.values() for name in names)
__getattr__ = exports(__name__, _MODULES)
