"""The files the controller writes once into allure-results: environment, executor,
categories."""

from __future__ import annotations

import os
import platform
import re
import sys
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any, Final

from pytest_usbgate.criteria import LAYERS
from pytest_usbgate.evidence.files import write_atomic, write_json

LIBRARIES: Final = (
    "pytest-usbgate",
    "pytest",
    "pytest-xdist",
    "allure-pytest",
    "pyusb",
    "pyserial",
    "mido",
    "python-rtmidi",
    "sounddevice",
)
BROKEN_CATEGORY: Final = "rig/infrastructure broken"
ALLURE3_CONFIG: Final = "allurerc.json"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def library_versions() -> dict[str, str]:
    """Installed versions, nothing imported: from the `<name>-<version>.dist-info` folders
    on sys.path, one listing per folder, the first of a name winning as on import (asking
    the metadata library once per name reads every folder nine times: ~8 ms), then from
    the package metadata for a name no such folder gave."""
    wanted = {_canonical(name) for name in LIBRARIES}
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            folders = os.listdir(entry or ".")
        except OSError:
            continue
        for folder in folders:
            if folder.endswith(".dist-info"):
                name, _, version = folder.removesuffix(".dist-info").partition("-")
                key = _canonical(name)
                if key in wanted and key not in found:
                    found[key] = version
    return {name: found.get(_canonical(name)) or _metadata_version(name) for name in LIBRARIES}


def _metadata_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def host_os() -> str:
    """The distribution's name (os-release), else the kernel's, and the machine."""
    uname = os.uname()
    try:
        name = platform.freedesktop_os_release().get("PRETTY_NAME", uname.sysname)
    except OSError:
        name = uname.sysname
    return f"{name} ({uname.machine})"


def environment(base: Mapping[str, str]) -> dict[str, str]:
    """`base` (rig, gate, build, devices…) plus host, Python and library versions."""
    env = dict(base)
    env["host.kernel"] = platform.release()
    env["host.os"] = host_os()
    env["python"] = platform.python_version()
    env.update({f"lib.{name}": version for name, version in library_versions().items()})
    return env


def _escape(text: str, key: bool) -> str:
    text = text.replace("\\", "\\\\").replace("\n", "\\n")
    if key:
        for char in " =:":
            text = text.replace(char, "\\" + char)
    return text


def write_environment(results_dir: Path, env: Mapping[str, str]) -> None:
    lines = [f"{_escape(k, True)}={_escape(v, False)}" for k, v in env.items()]
    write_atomic(results_dir / "environment.properties", "\n".join(lines) + "\n", fsync=False)


def categories() -> list[dict[str, Any]]:
    """One category per layer, matched on the `layer <name> / domain` line every criterion
    failure carries, then broken tests. `[\\s\\S]*` instead of `.*` so the same regex
    matches multi-line messages in Allure 2 (Java, whole-string match) and 3 (JavaScript)."""
    out: list[dict[str, Any]] = [
        {
            "name": f"{layer} layer failures",
            "matchedStatuses": ["failed"],
            "messageRegex": rf"[\s\S]*layer {layer} / domain[\s\S]*",
        }
        for layer in LAYERS
    ]
    out.append({"name": BROKEN_CATEGORY, "matchedStatuses": ["broken"]})
    return out


def write_allure_metadata(
    results_dir: Path,
    gate_dir: Path,
    env: Mapping[str, str],
    executor: Mapping[str, Any],
    report_name: str,
) -> None:
    """environment.properties, executor.json and categories.json in the results folder
    (read by Allure 2 and by Allure 3's readers), plus allurerc.json in the gate folder:
    Allure 3's default report takes its categories from its config, not categories.json.
    Not forced to disk, as the results beside them are not."""
    rules = categories()
    write_environment(results_dir, env)
    write_json(results_dir / "executor.json", dict(executor), fsync=False)
    write_json(results_dir / "categories.json", rules, fsync=False)
    write_json(
        gate_dir / ALLURE3_CONFIG,
        {"name": report_name, "categories": {"rules": rules}},
        fsync=False,
    )
