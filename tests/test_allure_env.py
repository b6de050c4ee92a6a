"""What environment.properties says about the host and the libraries."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

import pytest

from pytest_usbgate.evidence import allure_env
from pytest_usbgate.evidence.allure_env import LIBRARIES, library_versions


def test_versions_are_what_the_package_metadata_says() -> None:
    versions = library_versions()
    assert versions["pytest"] == metadata.version("pytest")
    assert versions == {name: allure_env._metadata_version(name) for name in LIBRARIES}


def test_the_first_folder_on_the_path_wins_and_a_missing_library_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    (first / "Python_RTMidi-9.9.9.dist-info").mkdir(parents=True)
    (second / "python_rtmidi-1.0.0.dist-info").mkdir(parents=True)
    (second / "mido-0.1.dist-info").mkdir()
    monkeypatch.setattr(sys, "path", [str(tmp_path / "absent"), str(first), str(second)])
    monkeypatch.setattr(allure_env, "LIBRARIES", ("python-rtmidi", "mido", "no-such-lib"))
    assert library_versions() == {
        "python-rtmidi": "9.9.9",
        "mido": "0.1",
        "no-such-lib": "not installed",
    }


def test_host_os_names_the_distribution_and_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        allure_env.platform, "freedesktop_os_release", lambda: {"PRETTY_NAME": "Debian 12"}
    )
    assert allure_env.host_os() == f"Debian 12 ({allure_env.os.uname().machine})"

    def missing() -> dict[str, str]:
        raise OSError("no os-release")

    monkeypatch.setattr(allure_env.platform, "freedesktop_os_release", missing)
    uname = allure_env.os.uname()
    assert allure_env.host_os() == f"{uname.sysname} ({uname.machine})"
