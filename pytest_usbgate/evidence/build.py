"""Build identity: the build id and the CI executor, from the environment."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, final

BUILD_ID_PATTERN: Final = r"[A-Za-z0-9][A-Za-z0-9._+-]{0,127}"


@final
@dataclass(frozen=True, slots=True)
class CiSystem:
    name: str
    type: str
    number_var: str
    job_var: str
    url: Callable[[Mapping[str, str]], str | None]


CI_SYSTEMS: Final = (
    CiSystem(
        "GitHub Actions",
        "github",
        "GITHUB_RUN_NUMBER",
        "GITHUB_WORKFLOW",
        lambda e: (
            "{GITHUB_SERVER_URL}/{GITHUB_REPOSITORY}/actions/runs/{GITHUB_RUN_ID}".format_map(e)
            if {"GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"} <= e.keys()
            else None
        ),
    ),
    CiSystem(
        "GitLab CI",
        "gitlab",
        "CI_PIPELINE_IID",
        "CI_PROJECT_NAME",
        lambda e: e.get("CI_PIPELINE_URL"),
    ),
    CiSystem("Jenkins", "jenkins", "BUILD_NUMBER", "JOB_NAME", lambda e: e.get("BUILD_URL")),
    CiSystem(
        "Buildkite",
        "buildkite",
        "BUILDKITE_BUILD_NUMBER",
        "BUILDKITE_PIPELINE_SLUG",
        lambda e: e.get("BUILDKITE_BUILD_URL"),
    ),
    CiSystem(
        "CircleCI",
        "circleci",
        "CIRCLE_BUILD_NUM",
        "CIRCLE_JOB",
        lambda e: e.get("CIRCLE_BUILD_URL"),
    ),
    CiSystem(
        "Azure Pipelines", "azure", "BUILD_BUILDNUMBER", "BUILD_DEFINITIONNAME", lambda e: None
    ),
)


def detect_ci(env: Mapping[str, str]) -> CiSystem | None:
    for system in CI_SYSTEMS:
        if env.get(system.number_var):
            return system
    return None


def sanitize_build_id(text: str) -> str:
    """Make any CI value a safe folder name (letters, digits, . _ + -)."""
    cleaned = re.sub(r"[^A-Za-z0-9._+-]+", "-", text).strip("-.")[:128]
    return cleaned or "build"


def git_describe(cwd: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def default_build_id(env: Mapping[str, str], cwd: Path, now: dt.datetime) -> str:
    """USBGATE_BUILD_ID, else the CI build number, else `git describe` plus UTC time."""
    if env.get("USBGATE_BUILD_ID"):
        return sanitize_build_id(env["USBGATE_BUILD_ID"])
    system = detect_ci(env)
    if system is not None:
        number = env[system.number_var]
        attempt = env.get("GITHUB_RUN_ATTEMPT", "1") if system.type == "github" else "1"
        return sanitize_build_id(number if attempt in ("", "1") else f"{number}.{attempt}")
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return sanitize_build_id(f"{git_describe(cwd) or 'local'}-{stamp}")


def executor(env: Mapping[str, str], build_id: str) -> dict[str, Any]:
    """Allure's executor.json: which CI build produced the results."""
    system = detect_ci(env)
    if system is None:
        return {"name": "local", "type": "local", "buildName": build_id}
    info: dict[str, Any] = {"name": system.name, "type": system.type, "buildName": build_id}
    number = env[system.number_var]
    if number.isdigit():
        info["buildOrder"] = int(number)
    if env.get(system.job_var):
        info["buildName"] = f"{env[system.job_var]} #{number} ({build_id})"
    url = system.url(env)
    if url:
        info["buildUrl"] = url
    return info
