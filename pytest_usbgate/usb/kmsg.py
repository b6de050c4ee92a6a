"""Following the kernel log while tests run: `/dev/kmsg` where it can be read, else
`journalctl -k -f`; on the sim rig, the file its replayed (recorded) log goes to.
Lines are read when asked for (`poll`), never by a background thread: the kernel's ring
buffer and the journal's pipe hold them meanwhile."""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final, Protocol, final

from pytest_usbgate.errors import InfrastructureError
from pytest_usbgate.usb.kernel_log import KernelEvent, classify_line, errors

KMSG: Final = Path("/dev/kmsg")
READ_BYTES: Final = 65536


class LineSource(Protocol):
    name: str

    def read_new(self) -> list[str]: ...

    def close(self) -> None: ...


def kmsg_record(record: str) -> str | None:
    """'6,1234,512104211,-;usb 1-1: …' -> '[  512.104211] usb 1-1: …' (None for
    continuation lines and records that are not `prefix;text`)."""
    head, sep, text = record.partition(";")
    fields = head.split(",")
    if not sep or len(fields) < 3 or not fields[2].isdigit():
        return None
    micros = int(fields[2])
    return f"[{micros // 1_000_000:5d}.{micros % 1_000_000:06d}] {text.rstrip()}"


@final
class KmsgSource:
    """/dev/kmsg from now on (each read() returns one record)."""

    name = str(KMSG)

    def __init__(self, path: Path = KMSG) -> None:
        self._fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        os.lseek(self._fd, 0, os.SEEK_END)

    def read_new(self) -> list[str]:
        lines: list[str] = []
        while True:
            try:
                record = os.read(self._fd, READ_BYTES)
            except BlockingIOError:
                return lines
            except OSError as exc:
                if exc.errno == errno.EPIPE:  # overwritten while we were away: go on
                    continue
                raise
            if not record:
                return lines
            line = kmsg_record(record.decode(errors="replace"))
            if line is not None:
                lines.append(line)

    def close(self) -> None:
        os.close(self._fd)


@final
class JournalSource:
    """`journalctl -k -f` from now on, read without blocking."""

    name = "journalctl -k"

    def __init__(self, journalctl: str) -> None:
        self._proc = subprocess.Popen(
            [journalctl, "-k", "-f", "-n", "0", "-o", "short-monotonic", "--no-pager"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self._proc.stdout is not None
        self._out = self._proc.stdout
        flags = fcntl.fcntl(self._out, fcntl.F_GETFL)
        fcntl.fcntl(self._out, fcntl.F_SETFL, flags | os.O_NONBLOCK)
        self._partial = b""

    def read_new(self) -> list[str]:
        chunk = self._out.read() or b""
        data = self._partial + chunk
        *lines, self._partial = data.split(b"\n")
        return [line.decode(errors="replace") for line in lines if line]

    def close(self) -> None:
        self._proc.terminate()
        try:
            self._proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


@final
class FileSource:
    """A growing file of log lines (the sim's replayed kernel log), from `offset`."""

    def __init__(self, path: Path, offset: int = 0) -> None:
        self.name = str(path)
        self._path = path
        self._offset = offset
        self._partial = ""

    def read_new(self) -> list[str]:
        with self._path.open("rb") as handle:
            handle.seek(self._offset)
            data = handle.read()
        self._offset += len(data)
        text = self._partial + data.decode(errors="replace")
        *lines, self._partial = text.split("\n")
        return [line for line in lines if line]

    def close(self) -> None:
        pass


def host_source() -> LineSource:
    """The host's kernel log: /dev/kmsg if this process may read it, else the journal."""
    try:
        return KmsgSource()
    except OSError as kmsg_error:
        journalctl = shutil.which("journalctl")
        if journalctl is None:
            raise InfrastructureError(
                f"kernel log: cannot read {KMSG} ({kmsg_error.strerror}) and there is no "
                "journalctl: run as root or in group adm/systemd-journal"
            ) from None
        return JournalSource(journalctl)


@final
class KernelLog:
    """Every line of the followed log since the follower started, classified."""

    def __init__(self, source: LineSource, settle: Callable[[], None] = lambda: None) -> None:
        self.source = source
        self._settle = settle
        self.lines: list[str] = []
        self.events: list[KernelEvent] = []

    def poll(self) -> list[KernelEvent]:
        """Read what is new; the new USB events."""
        self._settle()
        new = []
        for text in self.source.read_new():
            self.lines.append(text)
            event = classify_line(text, len(self.lines))
            if event is not None:
                new.append(event)
        self.events += new
        return new

    def mark(self) -> int:
        """A point to count from: the number of lines read so far."""
        self.poll()
        return len(self.lines)

    def since(self, mark: int = 0) -> list[KernelEvent]:
        self.poll()
        return [e for e in self.events if e.line > mark]

    def errors_since(self, mark: int, devices: Iterable[str]) -> list[KernelEvent]:
        """Error events after `mark` for these device paths ("1-1") or their interfaces
        and controllers; events that name no device count for every device."""
        return errors(self.since(mark), set(devices))

    def close(self) -> None:
        self.source.close()
