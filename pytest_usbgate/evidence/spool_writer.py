"""The spool's helper process (see spool.py): reads framed files on its standard input,
writes each one atomically, answers each flush with what it wrote.

A file is sent as its bytes, or as a document to write as JSON; many files that share
most of their content are sent together, each as the arguments of a builder function that
makes its document from a template sent once before (they cost the sender a few values
each).

Kept to the few standard modules it needs, since a gate run waits on its start-up:
`python -I -S spool_writer.py FOLDER [WAKE_FD [BUILDER_FILE FUNCTION]]`; the builder's
file is loaded by itself, so it must import nothing but the standard library. WAKE_FD is
the read end of a pipe on which the parent wakes the helper from its pause between reads
(see GATHER_S) when it waits for an answer, or is done.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import struct
import sys
import time

TYPE_CHECKING = False  # typing costs the helper's start-up more than all the rest
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, BinaryIO, Final

    Builder = Callable[..., object]

HEADER: Final = struct.Struct(">BII")  # kind, name length, body length
# kinds: answer now; bytes as they are; marshal -> JSON text; a template to keep, not a
# file; marshal of [(file name, template name, arguments), …] -> for each file,
# builder(template, *arguments) -> JSON text
FLUSH, FILE, JSON_DOC, TEMPLATE, BUILT = range(5)
FLUSH_FRAME: Final = HEADER.pack(FLUSH, 0, 0)
PIPE_BYTES: Final = 1 << 20
ERRORS: Final = (OSError, ValueError, EOFError, TypeError, KeyError)  # a frame's, not ours
# After a read that emptied the pipe, the helper waits this long before reading again,
# so that the files of several tests arrive together: one wake-up for them, not one each.
# A frame waiting in the pipe survives the parent. A byte (or end of file) on the wake
# pipe ends the wait at once: a flush or the end of input is not answered this much later.
GATHER_S: Final = 0.005


def write_file(
    folder: str | os.PathLike[str], name: str, body: bytes, *, fsync: bool = False
) -> None:
    """Write `folder/name` so that readers see all of it or nothing: a temporary name,
    then a rename (`fsync`: on disk before the rename). By path, every time: a folder
    moved away is an error, never a place the evidence follows."""
    _check_name(name)
    tmp = os.path.join(folder, f".{name}.tmp")
    _write(tmp, os.O_TRUNC, body, fsync)
    os.replace(tmp, os.path.join(folder, name))


def write_new(folder: str | os.PathLike[str], name: str, body: bytes) -> None:
    """Make `folder/name`, a file that must not exist yet, with `body`. The spool's files
    each have a name of their own (a uuid): made in place, never over another file (a
    name already there is an error), they cost the file system a third less than
    write_file's temporary name and rename. Until the write is done a reader may see the
    file empty; the helper writes it at once, and a flush returns only after."""
    _check_name(name)
    _write(os.path.join(folder, name), os.O_EXCL, body, False)


def _write(path: str, flag: int, body: bytes, fsync: bool) -> None:
    """Create `path` (`flag`: O_TRUNC or O_EXCL) and write all of `body` to it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | flag, 0o644)
    try:
        write_all(lambda view: os.write(fd, view), body)
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)


def _check_name(name: str) -> None:
    if not name or "/" in name or name.startswith("."):
        raise OSError(f"not a plain file name: {name!r}")


def write_all(write: Callable[[bytes | memoryview], int | None], data: bytes) -> None:
    """All of `data` through `write`, which may take part of it at a time (it seldom
    does: the rest is sliced only then)."""
    done = write(data) or 0
    if done < len(data):
        view = memoryview(data)[done:]
        while view:
            view = view[write(view) or 0 :]


def failure(folder: str | os.PathLike[str], name: str, exc: Exception) -> str:
    """One line: the file (the folder, for a frame of many files) and what went wrong."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return f"{os.path.join(folder, name) if name else os.fspath(folder)}: {reason}"


def frame(name: str, body: bytes, kind: int = FILE) -> bytes:
    raw = name.encode("utf-8")
    return HEADER.pack(kind, len(raw), len(body)) + raw + body


def json_text(doc: object) -> bytes:
    """A JSON document's text, as Allure's writers give it (UTF-8, not ASCII-escaped)."""
    return json.dumps(doc, ensure_ascii=False, default=str).encode("utf-8")


def built(build: Builder | None, templates: dict[str, Any], template: str, args: Any) -> bytes:
    """The JSON text of one of a BUILT frame's documents."""
    if build is None:
        raise ValueError("no builder to build it with")
    if template not in templates:
        raise ValueError(f"no template {template!r} sent before it")
    return json_text(build(templates[template], *args))


class Files:
    """What makes a frame's file and keeps the score: the helper's, and the parent's
    when it writes files itself (its helper gone)."""

    def __init__(self, folder: str | os.PathLike[str], build: Builder | None = None) -> None:
        self.folder = folder
        self.build = build
        self.templates: dict[str, Any] = {}
        self.written: dict[str, str] = {}  # name -> sha256 of its bytes
        self.errors: list[str] = []

    def take(self, kind: int, name: str, body: bytes) -> None:
        """Write the files a frame stands for (a template is kept: it is no file)."""
        try:
            if kind == TEMPLATE:
                self.templates[name] = marshal.loads(body)
            elif kind == BUILT:
                for file_name, template, args in marshal.loads(body):
                    self._new(file_name, None, template, args)
            else:
                self._new(name, json_text(marshal.loads(body)) if kind == JSON_DOC else body)
        except ERRORS as exc:
            self.errors.append(failure(self.folder, name, exc))

    def _new(self, name: str, body: bytes | None, template: str = "", args: Any = ()) -> None:
        """Make file `name`: `body`, or (None) the document built from `template`."""
        try:
            if body is None:
                body = built(self.build, self.templates, template, args)
            write_new(self.folder, name, body)
        except ERRORS as exc:
            self.errors.append(failure(self.folder, name, exc))
        else:
            self.written[name] = hashlib.sha256(body).hexdigest()


def serve(
    folder: str | os.PathLike[str],
    frames: BinaryIO,
    replies: BinaryIO,
    pause: Callable[[], object] | None = None,
    build: Builder | None = None,
) -> None:
    """Write each file framed on `frames`; answer each flush, and the end of input, on
    `replies` with one JSON line: the files written since the last answer (name ->
    sha256 of their bytes) and the errors. Each read takes all that has arrived; `pause`
    is called after a read that emptied the pipe."""
    files = Files(folder, build)

    def answer() -> None:
        reply = {"sha256": files.written, "errors": files.errors}
        replies.write(json.dumps(reply).encode() + b"\n")
        replies.flush()
        files.written.clear()
        files.errors.clear()

    read = getattr(frames, "read1", frames.read)  # read1: blocks only while nothing came
    pending = bytearray()
    while chunk := read(PIPE_BYTES):
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
                files.take(kind, name, bytes(pending[start + name_len : end]))
            done = end
        del pending[:done]
        if pause is not None and len(chunk) < PIPE_BYTES:
            pause()
    if pending:
        files.errors.append("truncated frame at end of input")
    try:  # noqa: SIM105 - contextlib would add to the helper's start-up
        answer()
    except OSError:
        pass  # nobody is left to read it


def load_builder(path: str, function: str) -> Builder:
    import importlib.util  # already loaded by the interpreter's start-up

    spec = importlib.util.spec_from_file_location("spool_builder", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    build: Builder = getattr(module, function)
    return build


def gather(wake_fd: int | None) -> Callable[[], object]:
    """The pause between reads: GATHER_S, or until the parent writes to (or closes) the
    wake pipe."""
    if wake_fd is None:
        return lambda: time.sleep(GATHER_S)
    import select  # built in: costs the start-up nothing

    def pause() -> None:
        if select.select([wake_fd], [], [], GATHER_S)[0]:
            os.read(wake_fd, 4096)  # b"" once the parent has closed it: no more pauses

    return pause


def yield_to_the_tests() -> None:
    """Run only on a CPU nothing else wants (Linux SCHED_IDLE): the writer never takes a
    CPU from the tests, whose timing may be what they measure. It falls behind instead,
    which costs nothing until a flush, when the parent waits and so leaves it a CPU. On a
    machine whose every CPU is busy with other work it gets only a sliver of one (weight 3
    against a normal task's 1024), and a flush waits that much longer. Where the system
    has no such class, the writer runs as it is."""
    try:  # noqa: SIM105 - contextlib would add to the helper's start-up
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        pass


def main() -> None:
    yield_to_the_tests()
    folder, *rest = sys.argv[1:]
    wake_fd = int(rest[0]) if rest else None
    build = load_builder(*rest[1:3]) if len(rest) > 1 else None
    serve(folder, sys.stdin.buffer, sys.stdout.buffer, gather(wake_fd), build)
    os._exit(0)  # all written and answered: nothing for the interpreter's tear-down to do


if __name__ == "__main__":
    main()
