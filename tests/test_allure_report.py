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


def test_failing_design_run_becomes_a_report(allure: str, tmp_path: Path) -> None:
    shutil.copytree(CHECKOUT / "suites", tmp_path / "suites")
    rig = tight_rig(tmp_path)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "suites",
            "--gate=design",
            "--build-id=r1",
            f"--rig={rig}",
            "-p",
            "no:cacheprovider",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1, run.stdout
    gate_dir = tmp_path / "reports" / "r1" / "design"
    out = tmp_path / "report"
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
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stats"] == {"total": 6, "passed": 5, "failed": 1}  # the design suite
    assert summary["name"] == "usbgate design gate, rig tight, build r1"
    categories = json.loads((out / "widgets" / "categories.json").read_text())
    filed = {
        n["name"]: n["statistic"] for n in categories["nodes"].values() if n["type"] == "category"
    }
    assert filed == {"application layer failures": {"total": 1, "failed": 1}}
    environment = json.loads((out / "widgets" / "allure_environment.json").read_text())
    assert {"name": "gate", "values": ["design"]} in environment
