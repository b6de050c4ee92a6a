"""Helpers for the project's own tests."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

import pytest_usbgate
from pytest_usbgate.rig import Rig, load_rig

PACKAGE = Path(pytest_usbgate.__file__).parent
SIM_RIG = PACKAGE / "rigs" / "sim.toml"
CHECKOUT = PACKAGE.parent


@pytest.fixture
def sim_rig() -> Rig:
    return load_rig(SIM_RIG)


def write_rig(folder: Path, name: str = "bench", extra: str = "", head: str | None = None) -> Path:
    """The sim rig's text under another name, with `extra` TOML appended."""
    text = SIM_RIG.read_text()
    text = text.replace('name = "sim"', f'name = "{name}"') if head is None else head
    path = folder / f"{name}.toml"
    path.write_text(text + "\n" + extra)
    return path


def read_signoff(root: Path, build: str = "b1", gate: str = "design") -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (root / "reports" / build / gate / "signoff.json").read_text()
    )
    return data


def survivors(pids: list[int], within_s: float) -> list[str]:
    """Those of `pids` still running after up to `within_s` (a zombie counts as gone),
    each with its command line for the failure message."""
    deadline = time.monotonic() + within_s
    while True:
        alive = [pid for pid in pids if running(pid)]
        if not alive or time.monotonic() > deadline:
            return [f"{pid} {_cmdline(pid)}" for pid in alive]
        time.sleep(0.05)


def running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.split(") ", 1)[1][0] not in "ZX"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
    except OSError:
        return "?"
