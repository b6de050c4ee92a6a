"""Evidence files written by a helper process, so that a file system's cost per new file
(a few tenths of a millisecond each on a VM's ext4) is not paid on the test's thread.

The parent hands each file over a pipe as one frame; the helper makes it (a new file,
one write: spool_writer.write_new) in arrival order, on a CPU nothing else wants
(SCHED_IDLE): the files never take a CPU from the tests. `flush()` returns once every file
handed over so far is written, with any write errors; `sha256` then holds the hash of
every file written, so a manifest need not read them back. `end()` does the same and lets
the helper go (it exits while the run goes on: `close()` reaps it); any later file is
written in the parent. A helper that has gone away is replaced by writing in the parent:
no file is ever dropped. Frames already in the pipe survive the parent being killed: the
helper writes them before it sees end of file.

Files built from a template (`put_built`: a plain test's Allure result) are held back and
handed over together: one frame for many tests, not one each (bench/RESULTS.md, session
22). They go when BATCH_MAX are held; when the caller says that a new test starts
(`keep_fresh`) and the first of them was put BATCH_S before; when it says that no test is
left (`hurry`); and at a flush, the end or the close. A process killed outright (SIGKILL,
a crash) so loses at most the plain results of the tests that ended in the BATCH_S before
the test it was killed in started; a stopped run (Ctrl-C, SIGTERM) loses nothing.

This is the parent's side; the helper is spool_writer.py.
"""

from __future__ import annotations

import collections
import contextlib
import io
import json
import marshal
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, cast

from pytest_usbgate.evidence import spool_writer
from pytest_usbgate.evidence.spool_writer import (
    BUILT,
    FILE,
    FLUSH_FRAME,
    JSON_DOC,
    PIPE_BYTES,
    TEMPLATE,
    Files,
    frame,
    json_text,
    write_all,
)

F_SETPIPE_SZ: Final = 1031  # Linux fcntl
BATCH_MAX: Final = 32  # built files held back at most (a flush waits for the last ones)
BATCH_S: Final = 0.2  # how long the first of them may wait for a test to start


class Spool:
    """Files for one folder, written by a helper process (see the module text)."""

    def __init__(self, folder: Path, build: Callable[..., object] | None = None) -> None:
        """`build`, for put_built: a function in a module that imports nothing but the
        standard library (the helper loads that file by itself)."""
        self.folder = folder
        # should the helper go, this process writes the files: as the helper would
        self._here = Files(folder, build)
        self.errors: list[str] = self._here.errors
        self.sha256: dict[str, str] = self._here.written  # every file written, as of the last flush
        self._lock = threading.Lock()  # one frame at a time, whichever thread attaches
        # put_built's documents not handed over yet, and since when (time.monotonic())
        self._held: collections.deque[tuple[str, str, tuple[Any, ...]]] = collections.deque()
        self._held_since = 0.0
        self._proc: subprocess.Popen[bytes] | None = None
        self._exiting: subprocess.Popen[bytes] | None = None  # ended, not yet reaped
        # the helper pauses between reads; a byte here, or closing it, ends its pause
        wake, self._wake = os.pipe()
        helper = [sys.executable, "-I", "-S", spool_writer.__file__, str(folder), str(wake)]
        if build is not None:
            helper += [str(sys.modules[build.__module__].__file__), build.__name__]
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        try:
            self._proc = subprocess.Popen(
                helper,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                bufsize=0,  # each file goes into the pipe at once: nothing waits here
                env=env,
                pass_fds=(wake,),
                start_new_session=True,  # Ctrl-C and a job's SIGTERM reach the parent only
            )
        except OSError:
            os.close(self._wake)
            return  # no helper: files are written here, as they come
        finally:
            os.close(wake)
        os.set_blocking(self._wake, False)  # a full wake pipe wakes it as well as one more byte
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._pipe = self._proc.stdin
        # An answer (one line: a raw pipe's readline would read it byte by byte) holds the
        # hash of each file since the last one, ~120 KB per 1000 files. Read in one go
        # from a pipe that holds it whole, it is not passed over 64 KB or 8 KB at a time,
        # each a wake-up of the helper waiting to write the rest (~0.4 ms a flush here).
        self._replies = io.BufferedReader(cast(io.RawIOBase, self._proc.stdout), PIPE_BYTES)
        with contextlib.suppress(OSError):
            import fcntl

            for pipe in (self._pipe, self._proc.stdout):
                fcntl.fcntl(pipe.fileno(), F_SETPIPE_SZ, PIPE_BYTES)

    def put(self, name: str, body: bytes) -> None:
        """Hand one file to the helper (or write it here if the helper is gone)."""
        self._send(FILE, name, body)

    def put_json(self, name: str, doc: Any) -> None:
        """Hand one JSON document to the helper, which encodes it: marshal costs this
        process a fraction of what JSON text would. A document marshal cannot carry (an
        object of another type inside) is encoded here."""
        try:
            packed = marshal.dumps(doc)
        except ValueError:
            self.put(name, json_text(doc))
        else:
            self._send(JSON_DOC, name, packed)

    def template(self, name: str, value: Any) -> None:
        """A template for the documents put_built names it in (plain values only)."""
        self._here.templates[name] = value  # kept, should this process build
        self._send(TEMPLATE, name, marshal.dumps(value))

    def put_built(self, name: str, template: str, *args: Any) -> None:
        """A JSON document for the helper to build, `build(template's value, *args)`: it
        costs this process the arguments only (plain values). Held back with others (see
        the module text)."""
        if self._here.build is None:
            raise TypeError("put_built: this spool has no builder")
        held = self._held
        if not held:
            self._held_since = time.monotonic()
        held.append((name, template, args))
        if len(held) >= BATCH_MAX or self._proc is None:  # no helper: no reason to wait
            self._hand_over_held()

    def keep_fresh(self) -> None:
        """A new test starts: what was held back for BATCH_S goes now."""
        if self._held and time.monotonic() - self._held_since >= BATCH_S:
            self._hand_over_held()

    def hurry(self) -> None:
        """Hand over what is held, and the helper writes it at once (no pause first): the
        caller is about to wait for it (the last test has ended)."""
        self._hand_over_held()
        with self._lock:
            if self._proc is not None:
                self._wake_helper()

    def _wake_helper(self) -> None:
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake, b"!")

    def _hand_over_held(self) -> None:
        """What put_built holds, as one frame (any thread: each document is taken once)."""
        docs = []
        with contextlib.suppress(IndexError):
            while True:
                docs.append(self._held.popleft())
        if docs:
            self._send(BUILT, "", marshal.dumps(docs))

    def _send(self, kind: int, name: str, body: bytes) -> None:
        packet = frame(name, body, kind)
        with self._lock:
            if self._proc is not None:
                try:
                    write_all(self._pipe.write, packet)
                    return
                except (OSError, ValueError):
                    self._lost_helper()
            self._here.take(kind, name, body)

    def flush(self) -> list[str]:
        """Wait until every file handed over is written; the write errors so far."""
        self._hand_over_held()
        with self._lock:
            if self._proc is not None:
                try:
                    write_all(self._pipe.write, FLUSH_FRAME)
                    self._wake_helper()
                    self._take(self._replies.readline())
                except (OSError, ValueError):
                    self._lost_helper()
            return list(self.errors)

    def _take(self, answer: bytes) -> None:
        reply = json.loads(answer)  # ValueError when the helper died before answering
        self.sha256.update(reply["sha256"])
        self.errors.extend(reply["errors"])

    def end(self) -> list[str]:
        """Hand over what is left and wait until the helper has written it all: all write
        errors. The helper then exits, while this process goes on (close() reaps it);
        files put after this are written here."""
        self._hand_over_held()
        with self._lock:
            if self._proc is not None:
                self._exiting, self._proc = self._proc, None
                self._end_input()
                with contextlib.suppress(OSError, ValueError):
                    self._take(self._replies.readline())
                self._replies.close()
            return list(self.errors)

    def close(self) -> list[str]:
        """end(), and the helper's exit waited for: all write errors."""
        errors = self.end()
        if self._exiting is not None:
            self._exiting.wait()
            self._exiting = None
        return errors

    def _end_input(self) -> None:
        """No more frames, and no more pauses: the helper sees end of file."""
        with contextlib.suppress(OSError, ValueError):
            self._pipe.close()
        os.close(self._wake)

    def _lost_helper(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            self._end_input()
            proc.kill()
            proc.wait()
            with contextlib.suppress(OSError, ValueError):
                self._replies.close()
            self.errors.append(
                f"evidence writer (pid {proc.pid}) exited with {proc.returncode}; "
                "files it had not written yet are lost"
            )
