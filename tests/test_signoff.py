"""`usbgate signoff verify`: any edit, addition or removal under the gate folder shows."""

from pathlib import Path

import pytest

from pytest_usbgate.cli import main

FILES = [
    "signoff.json",
    "signoff.md",
    "criteria.jsonl",
    "allurerc.json",
    "allure-results/categories.json",
    "allure-results/environment.properties",
    "allure-results/executor.json",
]


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished design-gate run of this checkout's suites on the sim rig."""
    import subprocess
    import sys

    from .conftest import CHECKOUT

    root = tmp_path_factory.mktemp("signed")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(CHECKOUT / "suites"),
            "--gate=design",
            "--build-id=b1",
            f"--reports-dir={root}/reports",
            "-p",
            "no:cacheprovider",
        ],
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return root / "reports" / "b1" / "design"


@pytest.fixture
def gate_dir(signed: Path, tmp_path: Path) -> Path:
    import shutil

    copy = tmp_path / "design"
    shutil.copytree(signed, copy)
    return copy


def _verify(folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["signoff", "verify", str(folder)])
    return code, capsys.readouterr().out


def test_intact_folder_verifies(gate_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _verify(gate_dir, capsys) == (0, f"{gate_dir}: intact\n")


def test_manifest_covers_every_evidence_file(gate_dir: Path) -> None:
    import json

    doc = json.loads((gate_dir / "signoff.json").read_text())
    on_disk = {p.relative_to(gate_dir).as_posix() for p in gate_dir.rglob("*") if p.is_file()}
    assert set(doc["manifest"]) == on_disk - {"signoff.json", "signoff.json.sha256"}
    assert sum(1 for f in doc["manifest"] if f.endswith("-result.json")) == 7  # design tests


@pytest.mark.parametrize("name", FILES)
def test_edit_is_named(gate_dir: Path, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with (gate_dir / name).open("a") as fh:
        fh.write(" ")
    assert _verify(gate_dir, capsys) == (1, f"{gate_dir}: changed: {name}\n")


@pytest.mark.parametrize("name", FILES[1:])
def test_removal_is_named(gate_dir: Path, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    (gate_dir / name).unlink()
    assert _verify(gate_dir, capsys) == (1, f"{gate_dir}: removed: {name}\n")


def test_result_file_edit_and_removal(gate_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = sorted((gate_dir / "allure-results").glob("*-result.json"))
    results[0].write_text(results[0].read_text().replace('"passed"', '"failed"'))
    results[1].unlink()
    code, out = _verify(gate_dir, capsys)
    assert code == 1
    assert out.splitlines() == sorted(
        [
            f"{gate_dir}: changed: allure-results/{results[0].name}",
            f"{gate_dir}: removed: allure-results/{results[1].name}",
        ],
        key=lambda line: line.split(": ", 2)[2],
    )


def test_addition_is_named(gate_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (gate_dir / "allure-results" / "extra.txt").write_text("x")
    assert _verify(gate_dir, capsys) == (1, f"{gate_dir}: added: allure-results/extra.txt\n")


def test_missing_hash_file_means_unsealed(
    gate_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (gate_dir / "signoff.json.sha256").unlink()
    code, out = _verify(gate_dir, capsys)
    assert code == 1
    assert "signoff.json.sha256: missing" in out


def test_not_a_folder_is_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["signoff", "verify", str(tmp_path / "nope")]) == 2
    assert (
        capsys.readouterr().err
        == f"{tmp_path / 'nope'}: not a folder (expected reports/<build>/<gate>/)\n"
    )
