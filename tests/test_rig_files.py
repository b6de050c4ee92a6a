"""Malformed rig files: one clear line naming file, key and expectation, everywhere."""

from pathlib import Path

import pytest

from pytest_usbgate.cli import main
from pytest_usbgate.config.rig import load_rig, resolve_rig
from pytest_usbgate.errors import ConfigError

from .conftest import CHECKOUT, PACKAGE

BAD = sorted((Path(__file__).parent / "rigs" / "bad").glob("*.toml"))


def _expected(path: Path) -> str:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect: ")
    return f"{path}: {first.removeprefix('# expect: ')}"


def test_there_are_at_least_ten_malformed_rigs() -> None:
    assert len(BAD) >= 10


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_loader_names_file_key_and_expectation(path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_rig(path)
    assert str(info.value) == _expected(path)


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_rig_validate_exits_2_with_one_line(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rig", "validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err == _expected(path) + "\n"


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_pytest_usage_error_without_traceback(path: Path, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x="def test_x(): pass")
    result = pytester.runpytest("--gate=design", f"--rig={path}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.errlines if line] == [f"ERROR: {_expected(path)}"]
    assert "Traceback" not in result.stdout.str()


@pytest.mark.parametrize(
    "path", [CHECKOUT / "rigs" / "sim.toml", CHECKOUT / "rigs" / "studio-passthrough.toml"]
)
def test_shipped_rigs_are_valid(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rig", "validate", str(path)]) == 0
    assert capsys.readouterr().out.endswith(": OK\n")


def test_rig_names_resolve_in_rigs_folder_then_package(tmp_path: Path) -> None:
    assert resolve_rig("sim", tmp_path) == PACKAGE / "config" / "rigs" / "sim.toml"
    (tmp_path / "rigs").mkdir()
    (tmp_path / "rigs" / "sim.toml").write_text("")
    assert resolve_rig("sim", tmp_path) == tmp_path / "rigs" / "sim.toml"
    with pytest.raises(ConfigError, match=r"^--rig: no rig named 'nope' \(looked in "):
        resolve_rig("nope", tmp_path)
    with pytest.raises(ConfigError, match=r"^missing/x.toml: rig file not found$"):
        resolve_rig("missing/x.toml", tmp_path)
