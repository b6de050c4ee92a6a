"""A real qemu-system-x86_64 for the sim: TCG, no display, no guest OS, paused CPUs,
with the rig's QEMU arguments (emulated USB devices standing in for passed-through
ones) and a QMP unix socket."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from pytest_usbgate.errors import InfrastructureError
from pytest_usbgate.sim.procs import Service

BINARY: Final = "qemu-system-x86_64"
BASE_ARGS: Final = (
    "-machine",
    "q35,accel=tcg",
    "-display",
    "none",
    "-nodefaults",
    "-no-user-config",
    "-m",
    "64",
    "-S",  # no guest OS to run: keep the CPU paused, devices still attach and detach
)


def qemu_argv(binary: str, rig_args: Sequence[str], qmp_socket: Path) -> list[str]:
    return [binary, *BASE_ARGS, "-qmp", f"unix:{qmp_socket},server=on,wait=off", *rig_args]


def start_qemu(rig_args: Sequence[str], workdir: Path) -> tuple[Service, Path]:
    binary = shutil.which(BINARY)
    if binary is None:
        raise InfrastructureError(f"sim: {BINARY} not found: apt-get install qemu-system-x86")
    qmp_socket = workdir / "qmp.sock"
    service = Service("qemu", qemu_argv(binary, rig_args, qmp_socket), workdir / "qemu.log")
    return service, qmp_socket
