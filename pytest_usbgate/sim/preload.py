"""Run pytest under libumockdev's preload library, so that libusb and sysfs reads in the
test process see the sim's testbed. A preload must be there when the process starts:
the plugin re-executes the same command line once, with LD_PRELOAD added."""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import sys
from collections.abc import Iterator
from typing import Final, NoReturn

GUARD: Final = "USBGATE_UMOCKDEV_PRELOADED"  # set once: never loop
PRELOAD: Final = "libumockdev-preload.so"
Command = tuple[list[str], dict[str, str]]


def preload_active() -> bool:
    """Whether umockdev's preload library is mapped into this process."""
    try:
        with open("/proc/self/maps") as maps:
            return any(PRELOAD in line for line in maps)
    except OSError:
        return False


def preload_library() -> str | None:
    import ctypes.util  # here: only a sim run asks (ctypes takes ~2 ms to load)

    found = ctypes.util.find_library("umockdev-preload")
    return found if found else None


def reexec_argv_env(library: str) -> Command:
    env = dict(os.environ)
    env["LD_PRELOAD"] = " ".join(p for p in (library, env.get("LD_PRELOAD", "")) if p)
    env[GUARD] = "1"
    return list(sys.orig_argv), env


def reexec_command() -> Command | None:
    """This process's command line under the preload; None when it already runs under
    it, tried before, or the library is missing (then the testbed says so)."""
    if preload_active() or os.environ.get(GUARD):
        return None
    library = preload_library()
    if library is None or PRELOAD not in library:
        return None
    return reexec_argv_env(library)


def forget_inherited_testbed() -> None:
    """A testbed inherited from the process that started this one (a pytest run inside
    a test that has a sim) is not this session's: it goes, or PortAudio's ALSA probe
    would abort inside it."""
    os.environ.pop("UMOCKDEV_DIR", None)


def reexec(command: Command) -> NoReturn:
    argv, env = command
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, env)


def ensure_preloaded() -> None:
    """Replace this process by the same command under the preload, if need be."""
    forget_inherited_testbed()
    command = reexec_command()
    if command is not None:
        reexec(command)


def _open_fds() -> set[int]:
    return {int(fd) for fd in os.listdir("/proc/self/fd")}


def _unconnected_unix_socket(fd: int) -> bool:
    try:
        sock = socket.socket(fileno=os.dup(fd))
    except OSError:
        return False  # not a socket
    try:
        if sock.family != socket.AF_UNIX:
            return False
        sock.getpeername()
        return False
    except OSError as exc:
        return exc.errno == errno.ENOTCONN
    finally:
        sock.close()


@contextlib.contextmanager
def closing_preload_leaks() -> Iterator[None]:
    """libumockdev-preload 0.17 leaks one unconnected unix socket per open() of a /dev
    path while no testbed exists (its ioctl emulation fails to connect and keeps the fd).
    PortAudio's ALSA probe opens hundreds: close what leaked around the block, or a few
    sessions push fds past select()'s 1024 (pyserial uses select)."""
    before = _open_fds()
    yield
    if not preload_active():
        return
    for fd in sorted(_open_fds() - before):
        if _unconnected_unix_socket(fd):
            os.close(fd)
