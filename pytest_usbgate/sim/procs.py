"""Child processes of the sim: argument lists only, a clean environment, logs to files,
killed with the session (also when pytest itself is killed), and the session's scratch
folders removed with it."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Final, final

from pytest_usbgate.errors import InfrastructureError

_PR_SET_PDEATHSIG: Final = 1
# The test process may run under umockdev's preload; services must see the real system.
_STRIPPED_ENV: Final = ("LD_PRELOAD", "UMOCKDEV_DIR")
STOP_GRACE_S: Final = 3.0


def _die_with_parent() -> None:  # runs in the child between fork and exec
    """SIGTERM, not SIGKILL, when pytest dies: jackd must leave JACK's registry cleanly."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def service_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _STRIPPED_ENV}
    env.update(extra or {})
    return env


@final
class _Reaper:
    """This process's `reaper` watcher: told of every service group and scratch folder
    while it runs, it stops the groups and removes the folders left over when this
    process ends without releasing them."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def watch(self, what: int | Path) -> None:
        """A process group id, or a folder."""
        self._send(f"+{_line(what)}")

    def release(self, what: int | Path) -> None:
        self._send(f"-{_line(what)}")

    def _send(self, line: str) -> None:
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._proc = subprocess.Popen(
                    [sys.executable, "-m", "pytest_usbgate.sim.reaper", str(STOP_GRACE_S)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    env=service_env(),
                    start_new_session=True,  # a signal to our group must not reach it
                    text=True,
                )
            assert self._proc.stdin is not None
            self._proc.stdin.write(line + "\n")
            self._proc.stdin.flush()

    def close(self) -> None:
        with self._lock:
            if self._proc is not None and self._proc.stdin is not None:
                self._proc.stdin.close()
                self._proc.wait(timeout=STOP_GRACE_S + 2)
            self._proc = None


def _line(what: int | Path) -> str:
    """A group id as it is; a folder as its absolute path (the reaper tells them apart by
    the leading "/")."""
    if isinstance(what, int):
        return str(what)
    path = str(what.absolute())
    if "\n" in path:
        raise InfrastructureError(f"sim: a folder name with a line break: {path!r}")
    return path


_REAPER: Final = _Reaper()
atexit.register(_REAPER.close)


def remove_if_killed(folder: Path) -> None:
    """`folder` (a session's scratch folder) is removed by the reaper should this process
    end before `removed(folder)` says it is gone."""
    _REAPER.watch(folder)


def removed(folder: Path) -> None:
    """`folder` is gone (or kept on purpose): the reaper forgets it."""
    _REAPER.release(folder)


@final
class Service:
    """One running child: its name (for messages), process and log file."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log: Path,
        env: Mapping[str, str] | None = None,
        stdout_pipe: bool = False,
    ) -> None:
        self.name = name
        self._held: list[IO[bytes]] = []
        self.argv = list(argv)
        self.log = log
        self._log_fh = log.open("wb")
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if stdout_pipe else self._log_fh,
                stderr=self._log_fh,
                env=service_env(env),
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        except OSError as exc:
            self._log_fh.close()
            raise InfrastructureError(f"sim: cannot start {name} ({self.argv[0]}): {exc}") from exc
        _REAPER.watch(self.proc.pid)  # a new session: its group id is its pid

    def hold(self, resource: IO[bytes]) -> None:
        """Keep `resource` (a lock file) open until this service stops."""
        self._held.append(resource)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def running(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 3) -> str:
        try:
            text = self.log.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " | ".join(text[-lines:])

    def check_alive(self) -> None:
        if not self.running():
            raise InfrastructureError(
                f"sim: {self.name} exited with status {self.proc.returncode}: "
                f"{self.log_tail() or 'no output'} (log {self.log})"
            )

    def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """SIGTERM the process group, SIGKILL what is left after `grace_s`."""
        if self.running():
            self._signal(signal.SIGTERM)
            deadline = time.monotonic() + grace_s
            while self.running() and time.monotonic() < deadline:
                time.sleep(0.01)
        self._signal(signal.SIGKILL)  # also reaps helpers left in the group
        self.proc.wait()
        _REAPER.release(self.proc.pid)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log_fh.close()
        for resource in self._held:
            resource.close()
        self._held.clear()

    def _signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signum)


def wait_until(
    what: str, ready: Callable[[], bool], services: Sequence[Service], timeout_s: float
) -> None:
    """Poll `ready` until true; an exited service or the timeout is an InfrastructureError."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        for service in services:
            service.check_alive()
        if time.monotonic() > deadline:
            raise InfrastructureError(f"sim: {what} not ready after {timeout_s:.0f} s")
        time.sleep(0.005)
