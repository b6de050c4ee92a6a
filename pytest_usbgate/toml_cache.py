"""Parsed TOML files kept between runs.

The rig, its device profiles and the criteria catalog are read at every start, and
parsing them cost more than any other part of the plugin's start-up. An entry is named
by a hash of the file's bytes, so an edited file is never answered from the cache, however
quickly it was edited; reading and hashing a file costs a hundredth of parsing it.

The cache only saves time. A folder that cannot be written, or an entry that cannot be
read, means the file is parsed. Entries not used for 30 days are removed when a new one
is written. `USBGATE_CACHE_DIR` says where the cache goes (default
`$XDG_CACHE_HOME/pytest-usbgate`, else `~/.cache/pytest-usbgate`); set to an empty
string, it turns the cache off.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from pytest_usbgate.evidence.spool_writer import write_file

CACHE_ENV: Final = "USBGATE_CACHE_DIR"
KEEP_UNUSED_S: Final = 30 * 24 * 3600
ENTRY_ERRORS: Final = (OSError, EOFError, ValueError, TypeError)


def cache_dir(env: Mapping[str, str]) -> Path | None:
    given = env.get(CACHE_ENV)
    if given is not None:
        return Path(given) / "toml" if given else None
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pytest-usbgate" / "toml"


def load_cached(
    path: Path, parse: Callable[[bytes], dict[str, Any]], folder: Path | None
) -> dict[str, Any]:
    """`parse` of the file's bytes, from the cache in `folder` when these bytes were
    parsed before; errors reading the file itself are the caller's."""
    text = path.read_bytes()
    if folder is None:
        return parse(text)
    entry = folder / hashlib.blake2b(text, digest_size=16).hexdigest()
    with contextlib.suppress(*ENTRY_ERRORS), open(entry, "rb") as fh:
        data = marshal.load(fh)
        if isinstance(data, dict):
            os.utime(fh.fileno())  # used now: kept another 30 days
            return data
    data = parse(text)
    with contextlib.suppress(*ENTRY_ERRORS):
        _store(entry, marshal.dumps(data))
    return data


def _store(entry: Path, packed: bytes) -> None:
    """Write `entry` whole (readers see all of it or nothing); remove the entries not
    used for 30 days."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    write_file(entry.parent, entry.name, packed)
    too_old = time.time() - KEEP_UNUSED_S
    for old in entry.parent.iterdir():
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < too_old:
                old.unlink()
