"""libumockdev through ctypes: a testbed in which libusb and sysfs in this process see the
modelled devices, with hotplug (uevents) so unplug and replug can be injected.

libumockdev only redirects /sys and /dev for a process that runs with its preload
library (see `pytest_usbgate.sim.preload`); `Testbed()` refuses to start without it.
Initialise PortAudio before creating a testbed: with libumockdev 0.17 its ALSA probe
aborts the process once a testbed exists (even a disabled one).
"""

from __future__ import annotations

import ctypes
import threading
from pathlib import Path
from typing import Final, final

from pytest_usbgate.errors import InfrastructureError
from pytest_usbgate.sim.preload import preload_active
from pytest_usbgate.sim.procs import remove_if_killed, removed
from pytest_usbgate.sim.usb.description import (
    MODELS,
    ROOT_HUB,
    fixture_path,
    renumber,
    set_attribute,
    strip_comments,
)

LIBRARY: Final = "libumockdev.so.0"


class _GError(ctypes.Structure):
    _fields_ = (("domain", ctypes.c_uint32), ("code", ctypes.c_int), ("message", ctypes.c_char_p))


def _load() -> ctypes.CDLL:
    try:
        lib = ctypes.CDLL(LIBRARY)
    except OSError as exc:
        raise InfrastructureError(
            f"sim: cannot load {LIBRARY} ({exc}): apt-get install libumockdev0 umockdev"
        ) from None
    vp, cp = ctypes.c_void_p, ctypes.c_char_p
    for name, restype, argtypes in (
        ("umockdev_testbed_new", vp, []),
        ("umockdev_testbed_get_root_dir", cp, [vp]),
        ("umockdev_testbed_add_from_string", ctypes.c_int, [vp, cp, ctypes.POINTER(vp)]),
        ("umockdev_testbed_remove_device", None, [vp, cp]),
        ("umockdev_testbed_uevent", None, [vp, cp, cp]),
        ("g_object_unref", None, [vp]),
    ):
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    return lib


@final
class Testbed:
    """The emulated host bus. `plug`/`unplug` behave like the kernel: a plugged device gets
    the next free device number and an 'add' uevent; unplugging sends 'remove' first.
    A replug runs in another thread: one lock keeps a device being added or removed and
    the testbed's removal apart (libumockdev aborts the process when a device's files go
    from under it, or a directory fills while it is being removed)."""

    def __init__(self) -> None:
        self._lib = _load()
        if not preload_active():
            raise InfrastructureError(
                "sim: this process does not run under libumockdev-preload.so.0, so libusb "
                "would see the real bus; run a gate (--gate) on the sim rig, or set the ini "
                "option usbgate_sim_usb = true, and pytest-usbgate loads it"
            )
        self._lock = threading.Lock()
        self._tb = self._lib.umockdev_testbed_new()
        self.root = self._lib.umockdev_testbed_get_root_dir(self._tb).decode()
        remove_if_killed(Path(self.root))  # libumockdev removes it only when closed
        self._next_devnum = 2
        self.plugged: dict[str, int] = {}  # model name -> devnum
        self.attributes: dict[str, dict[str, str]] = {}  # what each model was plugged with
        self._add(strip_comments(fixture_path("host").read_text()))

    def _add(self, text: str) -> None:
        error = ctypes.c_void_p()
        with self._lock:
            if self._tb is None:
                raise InfrastructureError("sim: a device was added after the testbed was removed")
            added = self._lib.umockdev_testbed_add_from_string(self._tb, text.encode(), error)
        if not added:
            message = ctypes.cast(error, ctypes.POINTER(_GError)).contents.message.decode()
            raise InfrastructureError(f"sim: umockdev rejected a device description: {message}")

    @property
    def next_devnum(self) -> int:
        return self._next_devnum

    def syspath(self, name: str) -> str:
        return f"/sys{ROOT_HUB}/{MODELS[name].port}"

    def plug(self, name: str, attributes: dict[str, str] | None = None) -> int:
        """Connect a modelled device; returns its new device number. Without
        `attributes`, a replug keeps what the device was first plugged with."""
        if name in self.plugged:
            raise InfrastructureError(f"sim: {name} is already plugged in")
        if attributes is not None:
            self.attributes[name] = dict(attributes)
        text = strip_comments(fixture_path(name).read_text())
        for attribute, value in self.attributes.get(name, {}).items():
            text = set_attribute(text, attribute, value)
        devnum = self._next_devnum
        self._next_devnum += 1
        self._add(renumber(text, devnum))
        self.plugged[name] = devnum
        return devnum

    def unplug(self, name: str) -> None:
        if self.plugged.pop(name, None) is None:
            raise InfrastructureError(f"sim: {name} is not plugged in")
        device = self.syspath(name)
        children = sorted(p.name for p in Path(self.root, device.lstrip("/")).glob("*:*"))
        with self._lock:
            if self._tb is None:
                raise InfrastructureError(f"sim: {name} unplugged after the testbed was removed")
            for path in [f"{device}/{child}" for child in children] + [device]:  # as the kernel
                self._lib.umockdev_testbed_uevent(self._tb, path.encode(), b"remove")
                self._lib.umockdev_testbed_remove_device(self._tb, path.encode())

    def close(self) -> None:
        """Drop the testbed: its directory goes, /sys and /dev are real again."""
        with self._lock:
            if self._tb:
                self._lib.g_object_unref(self._tb)
                self._tb = None
                removed(Path(self.root))
