"""Evidence files written by a helper process, so that a file system's cost per new file
(a few tenths of a millisecond each on a VM's ext4) is not paid on the test's thread.

The parent hands each file over a pipe as one frame; the helper writes it atomically
(temporary name, then rename) in arrival order. `flush()` returns once every file handed
over so far is on disk, with any write errors; `sha256` then holds the hash of every
file written, so a manifest need not read them back. A helper that has gone away is replaced by
writing in the parent: no file is ever dropped. Frames already in the pipe survive the
parent being killed: the helper writes them before it sees end of file.

Standard library only: the helper runs this file with `python -I -S`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import marshal
import os
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Final, cast

HEADER: Final = struct.Struct(">BII")  # kind, name length, body length
FLUSH, FILE, JSON_DOC = 0, 1, 2  # kinds: answer now; bytes as they are; marshal -> JSON text
FLUSH_FRAME: Final = HEADER.pack(FLUSH, 0, 0)
PIPE_BYTES: Final = 1 << 20
F_SETPIPE_SZ: Final = 1031  # Linux fcntl


def write_file(folder: Path, name: str, body: bytes) -> None:
    """Write `folder/name` so that readers see all of it or nothing: a temporary name,
    then a rename. By path, every time: a folder moved away is an error, never a place
    the evidence follows."""
    if not name or "/" in name or name.startswith("."):
        raise OSError(f"not a plain file name: {name!r}")
    tmp = os.path.join(folder, f".{name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        _write_all(functools.partial(os.write, fd), body)
    finally:
        os.close(fd)
    os.replace(tmp, os.path.join(folder, name))


def failure(folder: Path, name: str, exc: Exception) -> str:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return f"{folder / name}: {reason}"


def frame(name: str, body: bytes, kind: int = FILE) -> bytes:
    raw = name.encode("utf-8")
    return HEADER.pack(kind, len(raw), len(body)) + raw + body


def json_text(doc: object) -> bytes:
    """A JSON document's text, as Allure's writers give it (UTF-8, not ASCII-escaped)."""
    return json.dumps(doc, ensure_ascii=False, default=str).encode("utf-8")


def serve(folder: Path, frames: io.BufferedIOBase, replies: IO[bytes]) -> None:
    """The helper: write each file framed on `frames`; answer each flush, and the end of
    input, on `replies` with one JSON line: the files written since the last answer
    (name -> sha256 of their bytes) and the errors. Each read takes all that has
    arrived, however many frames that is."""
    written: dict[str, str] = {}
    errors: list[str] = []

    def answer() -> None:
        replies.write(json.dumps({"sha256": written, "errors": errors}).encode() + b"\n")
        replies.flush()
        written.clear()
        errors.clear()

    def handle(kind: int, name: str, body: bytes) -> None:
        try:
            if kind == JSON_DOC:
                body = json_text(marshal.loads(body))
            write_file(folder, name, body)
        except (OSError, ValueError, EOFError, TypeError) as exc:
            errors.append(failure(folder, name, exc))
        else:
            written[name] = hashlib.sha256(body).hexdigest()

    pending = bytearray()
    while chunk := frames.read1(PIPE_BYTES):  # blocks only while nothing has arrived
        pending += chunk
        done = 0
        while len(pending) - done >= HEADER.size:
            kind, name_len, body_len = HEADER.unpack_from(pending, done)
            start, end = done + HEADER.size, done + HEADER.size + name_len + body_len
            if end > len(pending):
                break  # the rest of this frame is still on its way
            if kind == FLUSH:
                answer()
            else:
                name = pending[start : start + name_len].decode("utf-8", "replace")
                handle(kind, name, bytes(pending[start + name_len : end]))
            done = end
        del pending[:done]
    if pending:
        errors.append("truncated frame at end of input")
    with contextlib.suppress(OSError):
        answer()


def _write_all(write: Callable[[memoryview], int | None], data: bytes) -> None:
    """All of `data` through `write`, which may take part of it at a time."""
    view = memoryview(data)
    while view:
        view = view[write(view) or 0 :]


class Spool:
    """Files for one folder, written by a helper process (see the module text)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.errors: list[str] = []
        self.sha256: dict[str, str] = {}  # every file written, as of the last flush
        self._lock = threading.Lock()  # one frame at a time, whichever thread attaches
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        self._proc: subprocess.Popen[bytes] | None = None
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-S", __file__, str(folder)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                bufsize=0,  # each file goes into the pipe at once: nothing waits here
                env=env,
                start_new_session=True,  # Ctrl-C and a job's SIGTERM reach the parent only
            )
        except OSError:
            return  # no helper: files are written here, as they come
        assert self._proc.stdin is not None
        # buffered: a raw pipe's readline reads the answer (a line per file) byte by byte
        self._replies = io.BufferedReader(cast(io.RawIOBase, self._proc.stdout))
        with contextlib.suppress(OSError):
            import fcntl

            fcntl.fcntl(self._proc.stdin.fileno(), F_SETPIPE_SZ, PIPE_BYTES)

    def put(self, name: str, body: bytes) -> None:
        """Hand one file to the helper (or write it here if the helper is gone)."""
        self._send(name, body, FILE, lambda: body)

    def put_json(self, name: str, doc: Any) -> None:
        """Hand one JSON document to the helper, which encodes it: marshal costs this
        process a fraction of what JSON text would. A document marshal cannot carry (an
        object of another type inside) is encoded here."""
        try:
            packed = marshal.dumps(doc)
        except ValueError:
            self.put(name, json_text(doc))
        else:
            self._send(name, packed, JSON_DOC, lambda: json_text(doc))

    def _send(self, name: str, body: bytes, kind: int, text: Callable[[], bytes]) -> None:
        with self._lock:
            if self._proc is not None:
                assert self._proc.stdin is not None
                try:
                    _write_all(self._proc.stdin.write, frame(name, body, kind))
                    return
                except (OSError, ValueError):
                    self._lost_helper()
            self._write_here(name, text())

    def _write_here(self, name: str, body: bytes) -> None:
        try:
            write_file(self.folder, name, body)
        except OSError as exc:
            self.errors.append(failure(self.folder, name, exc))
        else:
            self.sha256[name] = hashlib.sha256(body).hexdigest()

    def flush(self) -> list[str]:
        """Wait until every file handed over is written; the write errors so far."""
        with self._lock:
            if self._proc is not None:
                assert self._proc.stdin is not None
                try:
                    _write_all(self._proc.stdin.write, FLUSH_FRAME)
                    self._take(self._replies.readline())
                except (OSError, ValueError):
                    self._lost_helper()
            return list(self.errors)

    def _take(self, answer: bytes) -> None:
        reply = json.loads(answer)  # ValueError when the helper died before answering
        self.sha256.update(reply["sha256"])
        self.errors += reply["errors"]

    def close(self) -> list[str]:
        """Write what is left, stop the helper; all write errors."""
        with self._lock:
            if self._proc is not None:
                proc, self._proc = self._proc, None
                assert proc.stdin is not None
                with contextlib.suppress(OSError, ValueError):
                    proc.stdin.close()
                with contextlib.suppress(OSError, ValueError):
                    self._take(self._replies.readline())
                self._replies.close()
                proc.wait()
            return list(self.errors)

    def _lost_helper(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(OSError, ValueError):
                assert proc.stdin is not None
                proc.stdin.close()
            proc.kill()
            proc.wait()
            with contextlib.suppress(OSError, ValueError):
                self._replies.close()
            self.errors.append(
                f"evidence writer (pid {proc.pid}) exited with {proc.returncode}; "
                "files it had not written yet are lost"
            )


if __name__ == "__main__":
    serve(Path(sys.argv[1]), cast(io.BufferedIOBase, sys.stdin.buffer), sys.stdout.buffer)
