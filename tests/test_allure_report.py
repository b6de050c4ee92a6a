"""The evidence turns into an Allure report, with failures filed under their layer.

Needs the Allure 3 command line (`./dev test` installs it into .tools/); outside CI a
machine without it skips, in CI (CI=true) its absence is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import CHECKOUT, tight_rig


@pytest.fixture(scope="module")
def allure() -> str:
    found = shutil.which("allure") or shutil.which(
        "allure", path=str(CHECKOUT / ".tools" / "node_modules" / ".bin")
    )
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("the allure command line is missing: run ./dev test (it installs it)")
        pytest.skip("allure command line not installed (./dev setup installs it)")
    return found


def _gate(root: Path, rig: Path, build: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "suites",
            "--gate=design",
            f"--build-id={build}",
            f"--rig={rig}",
            "-p",
            "no:cacheprovider",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )


def _generate(allure: str, gate_dir: Path, out: Path) -> None:
    generated = subprocess.run(
        [
            allure,
            "generate",
            str(gate_dir / "allure-results"),
            "--config",
            str(gate_dir / "allurerc.json"),
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert (out / "index.html").is_file()


def test_failing_design_runs_become_reports_with_history(allure: str, tmp_path: Path) -> None:
    """Two builds of a failing design gate: each report files the failure under its layer,
    and the second shows each test's result in the first build (history kept beside the
    build folders, one file per rig and gate)."""
    shutil.copytree(CHECKOUT / "suites", tmp_path / "suites")
    rig = tight_rig(tmp_path)
    for build in ("r1", "r2"):
        run = _gate(tmp_path, rig, build)
        assert run.returncode == 1, run.stdout
        _generate(allure, tmp_path / "reports" / build / "design", tmp_path / f"report-{build}")
    history = tmp_path / "reports" / "allure-history" / "tight" / "design.jsonl"
    config = json.loads((tmp_path / "reports/r2/design/allurerc.json").read_text())
    assert config["historyPath"] == str(history)
    assert len(history.read_text().splitlines()) == 2  # one line per report generated

    suite = {"total": 7, "passed": 5, "failed": 1, "skipped": 1}  # the design suite on sim
    first = json.loads((tmp_path / "report-r1" / "summary.json").read_text())
    assert first["stats"] == {**suite, "new": 7}
    assert first["name"] == "usbgate design gate, rig tight, build r1"
    second = json.loads((tmp_path / "report-r2" / "summary.json").read_text())
    assert second["stats"] == suite  # none new: each is known from build r1
    out = tmp_path / "report-r2"
    categories = json.loads((out / "widgets" / "categories.json").read_text())
    filed = {
        n["name"]: n["statistic"] for n in categories["nodes"].values() if n["type"] == "category"
    }
    assert filed == {"application layer failures": {"total": 1, "failed": 1}}
    environment = json.loads((out / "widgets" / "allure_environment.json").read_text())
    assert {"name": "gate", "values": ["design"]} in environment
    results = [json.loads(f.read_text()) for f in (out / "data" / "test-results").glob("*.json")]
    assert len(results) == 7
    for result in results:  # each test's earlier result, from build r1
        (earlier,) = result["history"]
        assert (earlier["name"], earlier["status"]) == (result["name"], result["status"])
