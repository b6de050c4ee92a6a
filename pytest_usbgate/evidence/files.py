"""File writing that survives interruption: atomic replace, appended journals."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from pytest_usbgate.evidence.spool_writer import write_file


def write_atomic(path: Path, text: str, *, fsync: bool = True) -> None:
    """Write `text` so that readers see the old file or the new one, never half of one,
    and (`fsync`) it is on disk, should the machine stop next: a few milliseconds on a
    VM's disk, for what a release relies on (the sealed sign-off), not for every file."""
    write_file(path.parent, path.name, text.encode("utf-8"), fsync=fsync)


def write_json(path: Path, data: Any, *, fsync: bool = True) -> None:
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n", fsync=fsync)


def append_line(path: Path, line: str) -> None:
    """Append one line and flush it to disk before returning."""
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
