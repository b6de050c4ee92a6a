"""File writing that survives interruption: atomic replace, appended journals."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any


def write_atomic(path: Path, text: str, *, fsync: bool = True) -> None:
    """Write `text` so that readers see the old file or the new one, never half of one
    (a temporary name, then a rename), and (`fsync`) it is on disk should the machine
    stop next: for what a release relies on (the sealed sign-off), not for every file."""
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        if fsync:
            fh.flush()
            os.fsync(fh.fileno())
    os.replace(tmp, path)


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
