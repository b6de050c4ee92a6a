"""Allure on top of allure-pytest: the stamps it lacks on each test (epic = gate,
feature = layer, story = domain, severity, the build and each measured value as excluded
parameters) and the files the controller writes once (environment.properties,
executor.json, categories.json in the results; allurerc.json for Allure 3, with a
history file per rig and gate kept beside the build folders)."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any, Final

import allure
from allure_commons.types import Severity

from pytest_usbgate.evidence.files import write_atomic, write_json
from pytest_usbgate.gate.criteria import Record, format_value
from pytest_usbgate.gate.names import LAYERS

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
HISTORY_DIR: Final = "allure-history"  # in the reports folder, beside the build folders


class TestStamps:
    """What one test has said to Allure so far: each layer, domain and the severity go
    on once, however many criteria it judges."""

    __slots__ = ("labels", "severity_set")

    def __init__(self) -> None:
        self.labels: set[tuple[str, str]] = set()
        self.severity_set = False

    def record(self, record: Record, severity: str) -> None:
        """feature = layer, story = domain (once per distinct value), severity from the
        first criterion, the measured value as an excluded parameter."""
        if not self.severity_set:
            allure.dynamic.severity(Severity(severity))  # type: ignore[no-untyped-call]
            self.severity_set = True
        for kind, value in (("feature", record.layer), ("story", record.domain)):
            if (kind, value) not in self.labels:
                self.labels.add((kind, value))
                allure.dynamic.label(kind, value)  # type: ignore[no-untyped-call]
        allure.dynamic.parameter(
            record.label, format_value(record.value, record.unit), excluded=True
        )


def stamp_build(build_id: str) -> None:
    """The build as an excluded parameter of the running test: shown, not in its history id."""
    allure.dynamic.parameter("build", build_id, excluded=True)


def gate_label(gate: str) -> Any:
    """A marker putting a test under epic `gate`."""
    return allure.epic(gate)  # type: ignore[no-untyped-call]


def attach_bytes(name: str, body: bytes, extension: str) -> None:
    allure.attach(body, name=name, extension=extension)


def attach_jsonl(name: str, rows: list[Any]) -> None:
    allure.attach(
        "\n".join(json.dumps(row) for row in rows),
        name=name,
        attachment_type=allure.attachment_type.JSON,
    )


def attach_json(name: str, data: Any) -> None:
    allure.attach(
        json.dumps(data, indent=2), name=name, attachment_type=allure.attachment_type.JSON
    )


def history_file(reports_dir: Path, rig: str, gate: str) -> Path:
    """Allure 3's history of one rig's gate across builds (JSON lines)."""
    return reports_dir / HISTORY_DIR / rig / f"{gate}.jsonl"


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries a gate run relies on (nothing imported)."""
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


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
    history: Path,
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
        {
            "name": report_name,
            "categories": {"rules": rules},
            "historyPath": str(history.absolute()),
        },
        fsync=False,
    )
