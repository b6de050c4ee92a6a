import datetime as dt
import subprocess
from pathlib import Path

from pytest_usbgate.evidence.build import default_build_id, executor, sanitize_build_id

NOW = dt.datetime(2026, 11, 21, 12, 30, 5, tzinfo=dt.UTC)


def test_explicit_environment_wins(tmp_path: Path) -> None:
    env = {"USBGATE_BUILD_ID": "rc-2", "GITHUB_RUN_NUMBER": "42"}
    assert default_build_id(env, tmp_path, NOW) == "rc-2"


def test_ci_build_numbers(tmp_path: Path) -> None:
    assert default_build_id({"GITHUB_RUN_NUMBER": "42"}, tmp_path, NOW) == "42"
    assert (
        default_build_id({"GITHUB_RUN_NUMBER": "42", "GITHUB_RUN_ATTEMPT": "3"}, tmp_path, NOW)
        == "42.3"
    )
    assert default_build_id({"CI_PIPELINE_IID": "7"}, tmp_path, NOW) == "7"
    assert default_build_id({"BUILD_NUMBER": "118"}, tmp_path, NOW) == "118"


def test_outside_ci_and_git_it_is_local_plus_time(tmp_path: Path) -> None:
    assert default_build_id({}, tmp_path, NOW) == "local-20261121T123005Z"


def test_git_describe_plus_time(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    git("init", "-q")
    (tmp_path / "f").write_text("x")
    git("add", "f")
    git("commit", "-qm", "x")
    git("tag", "v1.2")
    assert default_build_id({}, tmp_path, NOW) == "v1.2-20261121T123005Z"
    (tmp_path / "f").write_text("y")
    assert default_build_id({}, tmp_path, NOW) == "v1.2-dirty-20261121T123005Z"


def test_sanitize() -> None:
    assert sanitize_build_id("feature/usb: #12") == "feature-usb-12"
    assert sanitize_build_id("../..") == "build"


def test_executor_local_and_jenkins() -> None:
    assert executor({}, "b1") == {"name": "local", "type": "local", "buildName": "b1"}
    assert executor(
        {"BUILD_NUMBER": "9", "JOB_NAME": "rig-nightly", "BUILD_URL": "https://ci.example/job/9/"},
        "9",
    ) == {
        "name": "Jenkins",
        "type": "jenkins",
        "buildName": "rig-nightly #9 (9)",
        "buildOrder": 9,
        "buildUrl": "https://ci.example/job/9/",
    }
