"""Helpers for the project's own tests."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import pytest_usbgate
from pytest_usbgate.config.rig import Rig, load_rig

PACKAGE = Path(pytest_usbgate.__file__).parent
SIM_RIG = PACKAGE / "config" / "rigs" / "sim.toml"
CHECKOUT = PACKAGE.parent
_SIM_LOOP = load_rig(SIM_RIG).audio_loopback
assert _SIM_LOOP is not None
SIM_RATE, SIM_PERIOD = _SIM_LOOP.samplerate, _SIM_LOOP.blocksize  # the sim JACK server's
SIM_PERIOD_MS = SIM_PERIOD / SIM_RATE * 1000


def one_period(median_ms: float) -> bool:
    """Whether a MIDI ping-pong's median on the sim is one JACK period (JACK sends at the
    next cycle), less the sender's wake-up after the previous message came back: 0.08 ms
    on a quiet host, 0.13 ms beside a parallel run. Half a period still tells one period
    from none or two."""
    return SIM_PERIOD_MS / 2 < median_ms <= SIM_PERIOD_MS + 0.1


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


def tight_rig(folder: Path) -> Path:
    """Rig "tight": the sim rig with a design latency budget (5 ms) it cannot meet."""
    rig = write_rig(folder, "tight")
    sim_limit = '"audio.buffer_latency_ms" = { max = 20.0, marginal = 2.0 }'
    assert sim_limit in rig.read_text()
    rig.write_text(rig.read_text().replace(sim_limit, '"audio.buffer_latency_ms" = { max = 5.0 }'))
    return rig


def read_signoff(root: Path, build: str = "b1", gate: str = "design") -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (root / "reports" / build / gate / "signoff.json").read_text()
    )
    return data


def run_gate(root: Path, suite: Path, gate: str, *args: str) -> tuple[int, str, dict[str, Any]]:
    """A gate on the sim rig as its own pytest process (its own sim): exit status, output
    and the sign-off."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(suite),
            f"--gate={gate}",
            f"--reports-dir={root / 'reports'}",
            "--build-id=b1",
            "-p",
            "no:cacheprovider",
            *args,
        ],
        cwd=CHECKOUT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return proc.returncode, proc.stdout + proc.stderr, read_signoff(root, gate=gate)


def verdicts(signoff: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["verdict"] for c in signoff["criteria"]}


def assert_only_domain_fails(
    domain: str, run: tuple[int, str, dict[str, Any]], failing: str, message: str
) -> None:
    """A faulted gate run: non-zero exit, `failing` FAILs, nothing outside `domain` does,
    the diagnosis says application / `domain`, and `message` is in the output."""
    code, output, signoff = run
    assert code != 0
    found = verdicts(signoff)
    assert found[failing] == "FAIL", found
    failed = [c for c in signoff["criteria"] if c["verdict"] == "FAIL"]
    assert all(c["domain"] == domain for c in failed), found
    assert signoff["verdict"] == "FAIL"
    diagnosis = signoff["diagnosis"]
    assert (diagnosis["layer"], diagnosis["domain"]) == ("application", domain), diagnosis
    assert f"diagnosis: application / {domain}" in output
    assert message in output, output[-3000:]


def allure_results(root: Path, build: str = "b1", gate: str = "design") -> list[dict[str, Any]]:
    folder = root / "reports" / build / gate / "allure-results"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*-result.json"))]


def attachments(root: Path, gate: str, test: str) -> dict[str, tuple[str, Path]]:
    """A test's Allure attachments: name -> (type, file)."""
    folder = root / "reports" / "b1" / gate / "allure-results"
    (result,) = [r for r in allure_results(root, gate=gate) if r["name"] == test]
    return {a["name"]: (a["type"], folder / a["source"]) for a in result["attachments"]}


def detail_of(signoff: dict[str, Any], criterion_id: str) -> str:
    return str(next(c["detail"] for c in signoff["criteria"] if c["id"] == criterion_id))


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
