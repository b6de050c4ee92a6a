"""The cache of parsed TOML files: an unchanged file is not parsed again, an edited one
always is, and a cache that cannot be used only costs time."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import pytest

from pytest_usbgate.config_reader import load_toml
from pytest_usbgate.errors import ConfigError
from pytest_usbgate.toml_cache import KEEP_UNUSED_S, cache_dir, load_cached


class CountingParse:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, text: bytes) -> dict[str, Any]:
        self.calls += 1
        return tomllib.loads(text.decode())


def test_an_unchanged_file_is_parsed_once(tmp_path: Path) -> None:
    rig = tmp_path / "rig.toml"
    rig.write_text('name = "a"\n[limits]\nrtt_ms = 6.0\n')
    parse, folder = CountingParse(), tmp_path / "cache"
    first = load_cached(rig, parse, folder)
    second = load_cached(rig, parse, folder)
    assert first == second == {"name": "a", "limits": {"rtt_ms": 6.0}}
    assert parse.calls == 1
    assert len(list(folder.iterdir())) == 1


def test_an_edited_file_is_parsed_again_even_with_its_old_times(tmp_path: Path) -> None:
    rig = tmp_path / "rig.toml"
    rig.write_text("rtt_ms = 6.0\n")
    parse, folder = CountingParse(), tmp_path / "cache"
    assert load_cached(rig, parse, folder) == {"rtt_ms": 6.0}
    before = rig.stat()
    rig.write_text("rtt_ms = 9.0\n")  # same size
    os.utime(rig, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert load_cached(rig, parse, folder) == {"rtt_ms": 9.0}
    assert parse.calls == 2


def test_without_a_folder_every_load_parses(tmp_path: Path) -> None:
    rig = tmp_path / "rig.toml"
    rig.write_text("a = 1\n")
    parse = CountingParse()
    load_cached(rig, parse, None)
    load_cached(rig, parse, None)
    assert parse.calls == 2


def test_a_cache_that_cannot_be_used_only_costs_time(tmp_path: Path) -> None:
    rig = tmp_path / "rig.toml"
    rig.write_text("a = 1\n")
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    parse = CountingParse()
    assert load_cached(rig, parse, blocked) == {"a": 1}
    folder = tmp_path / "cache"
    load_cached(rig, parse, folder)
    (entry,) = folder.iterdir()
    entry.write_bytes(b"\x00broken")
    assert load_cached(rig, parse, folder) == {"a": 1}
    assert parse.calls == 3
    assert load_cached(rig, parse, folder) == {"a": 1}  # the entry was written again
    assert parse.calls == 3


def test_entries_unused_for_30_days_go_when_one_is_written(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    stale, recent = folder / "stale", folder / "recent"
    for old, age_s in ((stale, KEEP_UNUSED_S + 60), (recent, KEEP_UNUSED_S - 3600)):
        old.write_bytes(b"")
        when = old.stat().st_mtime - age_s
        os.utime(old, (when, when))
    rig = tmp_path / "rig.toml"
    rig.write_text("a = 1\n")
    load_cached(rig, CountingParse(), folder)
    assert stale.exists() is False and recent.exists()


def test_where_the_cache_goes() -> None:
    assert cache_dir({"USBGATE_CACHE_DIR": "/c"}) == Path("/c/toml")
    assert cache_dir({"USBGATE_CACHE_DIR": ""}) is None
    assert cache_dir({"XDG_CACHE_HOME": "/x"}) == Path("/x/pytest-usbgate/toml")
    assert cache_dir({}) == Path.home() / ".cache" / "pytest-usbgate" / "toml"


def test_load_toml_errors_are_never_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USBGATE_CACHE_DIR", str(tmp_path / "cache"))
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    for _ in range(2):
        with pytest.raises(ConfigError, match=r"bad\.toml.*not valid TOML"):
            load_toml(bad)
    bad.write_bytes(b"name = '\xff'\n")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_toml(bad)
    with pytest.raises(ConfigError, match="file not found"):
        load_toml(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="is a directory"):
        load_toml(tmp_path)
    assert not (tmp_path / "cache").exists()
    bad.write_text('name = "fixed"\n')
    assert load_toml(bad) == {"name": "fixed"}
    assert load_toml(bad) == {"name": "fixed"}
    assert len(list((tmp_path / "cache" / "toml").iterdir())) == 1
