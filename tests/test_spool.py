"""The evidence spool: files written by a helper process, flushed on demand, never lost."""

from __future__ import annotations

import enum
import hashlib
import io
import json
import marshal
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_usbgate.evidence import allure_shape as shape
from pytest_usbgate.evidence import spool as spool_module
from pytest_usbgate.evidence import spool_writer
from pytest_usbgate.evidence.spool import Spool
from pytest_usbgate.evidence.spool_writer import (
    BUILT,
    FLUSH_FRAME,
    JSON_DOC,
    TEMPLATE,
    frame,
    json_text,
    serve,
    write_all,
    write_file,
    write_new,
)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_serve_writes_each_frame_and_answers_each_flush(tmp_path: Path) -> None:
    frames = io.BytesIO(
        frame("a-result.json", b'{"name": "a"}')
        + frame("b.txt", "é".encode())
        + FLUSH_FRAME
        + frame("../escape", b"x")
        + FLUSH_FRAME
        + frame("c.bin", b"")
    )
    replies = io.BytesIO()
    serve(tmp_path, frames, replies)
    assert files(tmp_path) == {
        "a-result.json": b'{"name": "a"}',
        "b.txt": "é".encode(),
        "c.bin": b"",
    }
    first, second, last = (json.loads(line) for line in replies.getvalue().splitlines())
    assert first == {
        "sha256": {"a-result.json": sha256(b'{"name": "a"}'), "b.txt": sha256("é".encode())},
        "errors": [],
    }
    assert second == {
        "sha256": {},
        "errors": [f"{tmp_path / '../escape'}: not a plain file name: '../escape'"],
    }
    assert last == {"sha256": {"c.bin": sha256(b"")}, "errors": []}


def test_serve_encodes_a_marshalled_document_as_json(tmp_path: Path) -> None:
    doc = {"name": "é", "titlePath": ("a", "b"), "n": 3, "ok": True, "none": None}
    frames = io.BytesIO(
        frame("a-result.json", marshal.dumps(doc), JSON_DOC)
        + frame("b-result.json", b"not marshal", JSON_DOC)
    )
    replies = io.BytesIO()
    serve(tmp_path, frames, replies)
    text = '{"name": "é", "titlePath": ["a", "b"], "n": 3, "ok": true, "none": null}'
    assert files(tmp_path) == {"a-result.json": text.encode()}
    (answer,) = (json.loads(line) for line in replies.getvalue().splitlines())
    assert answer["sha256"] == {"a-result.json": sha256(text.encode())}
    assert answer["errors"] == [
        f"{tmp_path / 'b-result.json'}: bad marshal data (unknown type code)"
    ]


def test_a_document_marshal_cannot_carry_is_encoded_here(tmp_path: Path) -> None:
    class Level(enum.StrEnum):
        HIGH = "high"

    spool = Spool(tmp_path)
    try:
        spool.put_json("a-result.json", {"severity": Level.HIGH, "n": 1})
        spool.put_json("b-result.json", {"severity": "high", "n": 1})
        assert spool.flush() == []
    finally:
        assert spool.close() == []
    assert files(tmp_path) == dict.fromkeys(
        ("a-result.json", "b-result.json"), b'{"severity": "high", "n": 1}'
    )


def test_serve_reports_a_truncated_frame(tmp_path: Path) -> None:
    replies = io.BytesIO()
    serve(tmp_path, io.BytesIO(frame("a.txt", b"12345")[:-2]), replies)
    assert json.loads(replies.getvalue()) == {
        "sha256": {},
        "errors": ["truncated frame at end of input"],
    }
    assert files(tmp_path) == {}


def test_spool_flush_means_on_disk(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    try:
        for i in range(200):
            spool.put(f"{i:03d}-result.json", f'{{"i": {i}}}'.encode())
        assert spool.flush() == []
        written = files(tmp_path)
        assert len(written) == 200 and written["199-result.json"] == b'{"i": 199}'
        assert spool.sha256 == {name: sha256(body) for name, body in written.items()}
    finally:
        assert spool.close() == []


def test_write_errors_name_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "results"
    folder.mkdir()
    spool = Spool(folder)
    try:
        folder.rmdir()
        spool.put("a.json", b"{}")
        (error,) = spool.flush()
        assert error == f"{folder / 'a.json'}: No such file or directory"
    finally:
        spool.close()


def test_a_killed_helper_is_replaced_by_writing_here(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.put("before.json", b"1")
    assert spool.flush() == []
    assert spool._proc is not None
    os.kill(spool._proc.pid, signal.SIGKILL)
    spool._proc.wait()
    spool.put("after.json", b"2")
    spool.put("later.json", b"3")
    errors = spool.close()
    assert files(tmp_path) == {"after.json": b"2", "before.json": b"1", "later.json": b"3"}
    assert spool.sha256 == {n: sha256(b) for n, b in files(tmp_path).items()}
    assert len(errors) == 1 and "exited with -9" in errors[0]


PARENT = """
import os, sys
from pathlib import Path

import pytest
from pytest_usbgate.evidence.spool import Spool
spool = Spool(Path(sys.argv[1]))
for i in range(300):
    spool.put(f"{i:03d}.json", b"x" * 2000)
print(spool._proc.pid, flush=True)
os.kill(os.getpid(), 9)
"""


def running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"  # a zombie has finished


def test_files_handed_over_survive_the_parent_being_killed(tmp_path: Path) -> None:
    """SIGKILL of the test process: everything it handed to the helper is written."""
    parent = subprocess.run(
        [sys.executable, "-c", PARENT, str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert parent.returncode == -9
    helper = int(parent.stdout.split()[0])
    deadline = time.monotonic() + 10
    while running(helper) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not running(helper)
    written = files(tmp_path)
    assert len(written) == 300 and set(written.values()) == {b"x" * 2000}


def test_end_waits_for_every_file_then_lets_the_helper_go(tmp_path: Path) -> None:
    """end(): all written and hashed; the helper exits by itself while this process goes
    on; later files are written here; close() reaps the helper."""
    spool = Spool(tmp_path)
    helper = spool._proc
    assert helper is not None
    for i in range(50):
        spool.put(f"{i:02d}.json", b"x")
    assert spool.end() == []
    assert len(files(tmp_path)) == 50 and len(spool.sha256) == 50
    assert wait_for(lambda: helper.poll() is not None)
    spool.put("late.json", b"y")
    assert (tmp_path / "late.json").read_bytes() == b"y"  # at once: written here
    assert spool.sha256["late.json"] == sha256(b"y")
    assert spool.close() == [] and helper.returncode == 0


def test_write_file_is_atomic_and_plain(tmp_path: Path) -> None:
    write_file(tmp_path, "a.json", b"1")
    write_file(tmp_path, "a.json", b"22")
    assert files(tmp_path) == {"a.json": b"22"}
    for bad in ("", ".hidden", "x/y"):
        with pytest.raises(OSError, match="not a plain file name"):
            write_file(tmp_path, bad, b"")
    assert files(tmp_path) == {"a.json": b"22"}


def test_the_spool_never_writes_over_a_file(tmp_path: Path) -> None:
    """Its files have names of their own: one already there is an error, and kept."""
    write_new(tmp_path, "a.json", b"1")
    with pytest.raises(FileExistsError):
        write_new(tmp_path, "a.json", b"2")
    for bad in ("", ".hidden", "x/y"):
        with pytest.raises(OSError, match="not a plain file name"):
            write_new(tmp_path, bad, b"")
    spool = Spool(tmp_path)
    try:
        spool.put("a.json", b"3")
        spool.put("b.json", b"4")
        assert spool.flush() == [f"{tmp_path / 'a.json'}: File exists"]
    finally:
        spool.close()
    assert files(tmp_path) == {"a.json": b"1", "b.json": b"4"}


def test_a_folder_moved_away_is_an_error_not_followed(tmp_path: Path) -> None:
    folder, moved = tmp_path / "results", tmp_path / "moved"
    folder.mkdir()
    spool = Spool(folder)
    try:
        spool.put("a.json", b"1")
        assert spool.flush() == []
        folder.rename(moved)
        spool.put("b.json", b"2")
        assert spool.flush() == [f"{folder / 'b.json'}: No such file or directory"]
    finally:
        spool.close()
    assert files(moved) == {"a.json": b"1"}


def test_serve_says_why_when_its_folder_is_gone(tmp_path: Path) -> None:
    replies = io.BytesIO()
    serve(tmp_path / "gone", io.BytesIO(frame("a.txt", b"1")), replies)
    assert json.loads(replies.getvalue()) == {
        "sha256": {},
        "errors": [f"{tmp_path / 'gone' / 'a.txt'}: No such file or directory"],
    }


def test_threads_attaching_at_once_never_mix_their_files(tmp_path: Path) -> None:
    """Frames larger than a pipe's atomic write, from four threads at once."""
    spool = Spool(tmp_path)

    def attach(thread: int) -> None:
        for i in range(50):
            spool.put(f"t{thread}-{i:02d}.bin", bytes([thread]) * 20_000 + bytes([i]))

    workers = [threading.Thread(target=attach, args=(t,)) for t in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert spool.close() == []
    written = files(tmp_path)
    assert len(written) == 200
    for name, body in written.items():
        thread, i = int(name[1]), int(name[3:5])
        assert body == bytes([thread]) * 20_000 + bytes([i]), name


def test_the_helper_starts_on_few_modules(tmp_path: Path) -> None:
    """A gate run waits on the helper's start-up: it imports no typing, pathlib or
    subprocess (each costs it milliseconds), and answers end of input at once."""
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-X", "importtime", spool_writer.__file__, str(tmp_path)],
        input=frame("a.txt", b"1"),
        capture_output=True,
        check=True,
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.decode().splitlines()}
    assert imported.isdisjoint({"typing", "pathlib", "subprocess", "threading"}), imported
    assert json.loads(done.stdout) == {"sha256": {"a.txt": sha256(b"1")}, "errors": []}
    assert files(tmp_path) == {"a.txt": b"1"}


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux scheduling classes")
def test_the_helper_runs_only_on_an_idle_cpu(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    try:
        assert spool._proc is not None
        spool.flush()  # the helper is up and has set its class
        assert os.sched_getscheduler(spool._proc.pid) == os.SCHED_IDLE
        assert os.sched_getscheduler(0) != os.SCHED_IDLE  # the tests' process is not
    finally:
        spool.close()


def greeting(template: dict[str, str], name: str, n: int) -> dict[str, object]:
    """A builder: the module it lives in is loaded by the helper on its own."""
    return {"text": template["hello"] + name, "n": n}


def test_serve_builds_documents_from_a_template_sent_once(tmp_path: Path) -> None:
    """One BUILT frame carries many documents, each its file name, its template's name and
    the builder's arguments; each is made (or fails) on its own."""
    frames = io.BytesIO(
        frame("t", marshal.dumps({"hello": "hi "}), TEMPLATE)
        + frame(
            "",
            marshal.dumps(
                [("a.json", "t", ("ann", 1)), ("c.json", "nope", ("cy", 3)), ("b.json", "t", ())]
            ),
            BUILT,
        )
        + frame("", marshal.dumps([("d.json", "t", ("dee", 4))]), BUILT)
        + frame("", b"not marshal", BUILT)
    )
    replies = io.BytesIO()
    serve(tmp_path, frames, replies, build=greeting)
    assert files(tmp_path) == {
        "a.json": b'{"text": "hi ann", "n": 1}',
        "d.json": b'{"text": "hi dee", "n": 4}',
    }
    (answer,) = (json.loads(line) for line in replies.getvalue().splitlines())
    assert sorted(answer["sha256"]) == ["a.json", "d.json"]  # a template is not a file
    assert answer["errors"] == [
        f"{tmp_path / 'c.json'}: no template 'nope' sent before it",
        f"{tmp_path / 'b.json'}: greeting() missing 2 required positional arguments: "
        "'name' and 'n'",
        f"{tmp_path}: bad marshal data (unknown type code)",
    ]
    replies = io.BytesIO()
    serve(tmp_path, io.BytesIO(frame("", marshal.dumps([("e.json", "t", ())]), BUILT)), replies)
    assert json.loads(replies.getvalue())["errors"] == [
        f"{tmp_path / 'e.json'}: no builder to build it with"
    ]


def test_built_documents_are_the_same_from_the_helper_or_from_here(tmp_path: Path) -> None:
    """The helper loads the builder's file by itself (allure_shape.py: standard library
    only); once the helper is gone, this process builds with the templates it kept."""
    shared = shape.template(
        "m.test_a#", ["m", "test_a.py"], [{"name": "epic", "value": "x"}], [], "marked", None
    )
    expected = json_text(shape.plain_result(shared, "u1", "test_b", "test_b", 5, 6, None))
    assert json.loads(expected) == {
        "uuid": "u1",
        "name": "test_b",
        "status": "passed",
        "start": 5,
        "stop": 6,
        "labels": [{"name": "epic", "value": "x"}],
        "fullName": "m.test_a#test_b",
        "titlePath": ["m", "test_a.py"],
        "testCaseId": shape.md5("m.test_a#test_b"),
        "description": "marked",
        "historyId": shape.md5("m.test_a#test_b"),
    }
    for helped in (True, False):
        folder = tmp_path / str(helped)
        folder.mkdir()
        spool = Spool(folder, shape.plain_result)
        assert spool._proc is not None
        if not helped:
            os.kill(spool._proc.pid, signal.SIGKILL)
            spool._proc.wait()
        spool.template("t", shared)
        spool.put_built("a-result.json", "t", "u1", "test_b", "test_b", 5, 6, None)
        errors = spool.close()
        assert len(errors) == (0 if helped else 1), errors
        assert files(folder) == {"a-result.json": expected}
        assert spool.sha256 == {"a-result.json": sha256(expected)}


def wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_built_documents_are_held_back_until_a_test_starts_late_enough(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain results wait in this process, to go over together: until a test starts
    BATCH_S or more after the first of them, or BATCH_MAX are held, or a flush."""
    monkeypatch.setattr(spool_module, "BATCH_S", 0.3)
    spool = Spool(tmp_path, shape.plain_result)
    spool.template("t", shape.template("m#", [], [], [], None, None))

    def put(name: str) -> None:
        spool.put_built(f"{name}-result.json", "t", name, name, name, 1, 2, None)

    started = time.monotonic()
    put("a")
    put("b")
    spool.keep_fresh()  # too soon: still held
    time.sleep(0.1)
    assert files(tmp_path) == {}
    time.sleep(max(0.0, started + 0.3 - time.monotonic()))
    spool.keep_fresh()  # the first waited BATCH_S: both go, and the helper writes them
    assert wait_for(lambda: len(files(tmp_path)) == 2)
    for i in range(spool_module.BATCH_MAX - 1):
        put(f"{i:02d}")
    time.sleep(0.1)
    assert len(files(tmp_path)) == 2
    put("last")  # the BATCH_MAX-th: all go at once
    assert wait_for(lambda: len(files(tmp_path)) == 2 + spool_module.BATCH_MAX)
    put("z")
    assert spool.flush() == []
    assert json.loads((tmp_path / "z-result.json").read_bytes())["fullName"] == "m#z"
    assert spool.close() == []
    assert len(spool.sha256) == 3 + spool_module.BATCH_MAX


def test_hurry_hands_over_what_is_held(tmp_path: Path) -> None:
    """After the last test: what is held goes to the helper, which writes it at once."""
    spool = Spool(tmp_path, shape.plain_result)
    spool.template("t", shape.template("m#", [], [], [], None, None))
    spool.put_built("a-result.json", "t", "a", "a", "a", 1, 2, None)
    time.sleep(0.1)
    assert files(tmp_path) == {}
    spool.hurry()
    assert wait_for(lambda: list(files(tmp_path)) == ["a-result.json"])
    assert spool.close() == []


KILLED_WHILE_HOLDING = """
import os, sys, time
from pathlib import Path

from pytest_usbgate.evidence import allure_shape as shape
from pytest_usbgate.evidence import spool as spool_module
from pytest_usbgate.evidence.spool import Spool
spool = Spool(Path(sys.argv[1]), shape.plain_result)
spool.template("t", shape.template("m#", [], [], [], None, None))
spool.put_built("old-result.json", "t", "u1", "test_old", "test_old", 1, 2, None)
time.sleep(spool_module.BATCH_S)
spool.keep_fresh()  # the next test starts: the old result goes to the helper
spool.put_built("new-result.json", "t", "u2", "test_new", "test_new", 3, 4, None)
print(spool._proc.pid, flush=True)
os.kill(os.getpid(), 9)
"""


def test_a_killed_process_loses_only_the_results_held_since_the_last_test_start(
    tmp_path: Path,
) -> None:
    parent = subprocess.run(
        [sys.executable, "-c", KILLED_WHILE_HOLDING, str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert parent.returncode == -9, parent.stderr
    assert wait_for(lambda: not running(int(parent.stdout.split()[0])))
    assert sorted(files(tmp_path)) == ["old-result.json"]


def test_write_all_goes_on_after_a_short_write() -> None:
    taken: list[bytes] = []

    def three_at_a_time(data: bytes | memoryview) -> int:
        taken.append(bytes(data[:3]))
        return len(taken[-1])

    write_all(three_at_a_time, b"abcdefgh")
    assert taken == [b"abc", b"def", b"gh"]
    write_all(three_at_a_time, b"")
    assert taken[-1] == b""


def test_a_flush_or_the_end_of_input_cuts_the_helpers_pause_short(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between reads the helper pauses (GATHER_S, here 30 s) unless the parent writes to
    or closes the wake pipe, as Spool does on a flush and at its close."""
    monkeypatch.setattr(spool_writer, "GATHER_S", 30.0)
    frames_r, frames_w = os.pipe()
    replies_r, replies_w = os.pipe()
    wake_r, wake_w = os.pipe()
    with (
        open(frames_r, "rb", buffering=0) as frames,
        open(replies_w, "wb") as replies,
        open(replies_r, "rb") as answers,
    ):
        helper = threading.Thread(
            target=serve, args=(tmp_path, frames, replies, spool_writer.gather(wake_r))
        )
        helper.start()
        started = time.monotonic()
        os.write(frames_w, frame("a.txt", b"1"))
        time.sleep(0.2)  # the helper has read it and pauses
        os.write(frames_w, FLUSH_FRAME)
        os.write(wake_w, b"!")
        assert json.loads(answers.readline()) == {"sha256": {"a.txt": sha256(b"1")}, "errors": []}
        os.write(frames_w, frame("b.txt", b"2"))
        time.sleep(0.2)
        os.close(frames_w)
        os.close(wake_w)
        assert json.loads(answers.readline())["sha256"] == {"b.txt": sha256(b"2")}
        helper.join()
        assert time.monotonic() - started < 10
    os.close(wake_r)
