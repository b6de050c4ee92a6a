"""Injectors that unplug and replug a USB device on a real host (DOMAIN.md §3), all
driven by the device's port path, never by text from a rig reaching a shell:

- `authorized`: write 0, then 1, to sysfs `authorized` (a soft replug: the kernel
  drops the device's interfaces, then enumerates it again);
- `uhubctl`: cut, then restore, the port's VBUS (`uhubctl -l HUB -p PORT -a off|on`;
  only hubs with per-port power switching);
- `reset`: USBDEVFS_RESET on the device's usbfs node (the device keeps its number).

The sim rig's injector (`pytest_usbgate.sim.usb.injector`) removes and re-adds the
device in umockdev's testbed.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path
from typing import Final, Protocol, final

from pytest_usbgate.errors import InfrastructureError
from pytest_usbgate.usb.host import SYSFS_DEVICES, HostDevice

USBDEVFS_RESET: Final = 0x5514  # _IO('U', 20)


class Injector(Protocol):
    name: str
    renumbers: bool  # whether the device comes back with a new device number

    def disconnect(self) -> None: ...

    def reconnect(self) -> None: ...


def _write(path: Path, value: str) -> None:
    try:
        path.write_text(value)
    except OSError as exc:
        raise InfrastructureError(
            f"injector: cannot write {value!r} to {path}: {exc.strerror} (needs root)"
        ) from None


@final
class AuthorizedToggle:
    name = "authorized"
    renumbers = True

    def __init__(self, port_path: str, root: Path = SYSFS_DEVICES) -> None:
        self._attribute = root / port_path / "authorized"

    def disconnect(self) -> None:
        _write(self._attribute, "0")

    def reconnect(self) -> None:
        _write(self._attribute, "1")


def hub_and_port(port_path: str) -> tuple[str, str]:
    """'1-4.2' -> ('1-4', '2'); '1-4' -> ('1', '4') (the root hub of bus 1)."""
    bus, _, chain = port_path.partition("-")
    if not bus.isdigit() or not chain:
        raise ValueError(f"{port_path!r}: expected a port path such as 1-4.2")
    head, _, port = chain.rpartition(".")
    return (f"{bus}-{head}" if head else bus), port


@final
class UhubctlCycle:
    name = "uhubctl"
    renumbers = True

    def __init__(self, port_path: str) -> None:
        program = shutil.which("uhubctl")
        if program is None:
            raise InfrastructureError("injector uhubctl: not installed (apt-get install uhubctl)")
        self._program = program
        self._hub, self._port = hub_and_port(port_path)

    def _run(self, action: str) -> None:
        command = [self._program, "-l", self._hub, "-p", self._port, "-a", action]
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
        if done.returncode != 0:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise InfrastructureError(f"injector uhubctl: {' '.join(command)}: {last[0]}")

    def disconnect(self) -> None:
        self._run("off")

    def reconnect(self) -> None:
        self._run("on")


@final
class UsbReset:
    name = "reset"
    renumbers = False

    def __init__(self, device: HostDevice) -> None:
        if device.busnum is None or device.devnum is None:
            raise InfrastructureError(f"injector reset: {device.describe()} has no usbfs node")
        self._node = Path(f"/dev/bus/usb/{device.busnum:03d}/{device.devnum:03d}")

    def disconnect(self) -> None:
        try:
            fd = os.open(self._node, os.O_WRONLY)
        except OSError as exc:
            raise InfrastructureError(f"injector reset: {self._node}: {exc.strerror}") from None
        try:
            fcntl.ioctl(fd, USBDEVFS_RESET, 0)
        except OSError as exc:
            raise InfrastructureError(
                f"injector reset: USBDEVFS_RESET on {self._node}: {exc.strerror}"
            ) from None
        finally:
            os.close(fd)

    def reconnect(self) -> None:
        """The reset re-enumerates by itself."""


def host_injector(kind: str, device: HostDevice) -> Injector:
    if kind == "authorized":
        return AuthorizedToggle(device.port_path)
    if kind == "uhubctl":
        return UhubctlCycle(device.port_path)
    if kind == "reset":
        return UsbReset(device)
    raise InfrastructureError(f"unknown injector {kind!r}")
