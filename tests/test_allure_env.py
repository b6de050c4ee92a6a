"""What environment.properties says about the host and the libraries."""

from __future__ import annotations

import os
import platform
from importlib import metadata

import pytest

from pytest_usbgate.evidence import allure as allure_files
from pytest_usbgate.evidence.allure import library_versions


def test_versions_are_what_the_package_metadata_says(monkeypatch: pytest.MonkeyPatch) -> None:
    assert library_versions()["pytest"] == metadata.version("pytest")
    monkeypatch.setattr(allure_files, "LIBRARIES", ("pytest", "no-such-lib"))
    assert library_versions() == {
        "pytest": metadata.version("pytest"),
        "no-such-lib": "not installed",
    }


def test_host_os_names_the_distribution_and_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platform, "freedesktop_os_release", lambda: {"PRETTY_NAME": "Debian 12"})
    assert allure_files.host_os() == f"Debian 12 ({os.uname().machine})"

    def missing() -> dict[str, str]:
        raise OSError("no os-release")

    monkeypatch.setattr(platform, "freedesktop_os_release", missing)
    uname = os.uname()
    assert allure_files.host_os() == f"{uname.sysname} ({uname.machine})"
