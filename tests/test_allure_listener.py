"""Allure results are allure-pytest's own: the same test module run by allure-pytest
alone and as a gate gives the same results, field for field, once the run's own values
(ids, times, thread) and our stamps are set aside; and our stamps are there (epic =
gate, feature = layer, story = domain once per value, severity, the build and each
measured value as excluded parameters)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_usbgate.evidence.signoff import verify

SAMPLE = '''
import allure
import pytest


@pytest.fixture
def thing():
    allure.attach("hello", "setup note", allure.attachment_type.TEXT)
    yield 3
    allure.attach("bye", "teardown note", allure.attachment_type.TEXT)


@pytest.fixture(scope="module")
def shared():
    return 1


@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown broke")


@allure.feature("f1")
@allure.severity(allure.severity_level.CRITICAL)
@allure.link("http://x", name="x")
@allure.issue("ISSUE-1")
@pytest.mark.slow
def test_steps(thing, shared):
    """Doc text."""
    with allure.step("outer"):
        with allure.step("inner"):
            allure.attach(b"\\x00\\x01", "blob", extension="bin")
    allure.dynamic.story("s1")
    allure.dynamic.parameter("p", 5)
    allure.dynamic.parameter("q", "hidden", excluded=True)
    print("out")


@allure.title("title {n}")
@pytest.mark.parametrize("n", [1, 2])
def test_param(n, shared):
    assert n < 2


def test_error():
    allure.global_attach("seen once", name="a note for the whole run")
    allure.global_error("the rig is warm")
    raise RuntimeError("boom")


@pytest.mark.skip(reason="no")
def test_skip():
    pass


@pytest.mark.xfail(reason="known")
def test_xfail():
    assert False


@pytest.mark.xfail(reason="fixed?")
def test_xpass():
    pass


def test_teardown_fails(broken_teardown):
    pass


def test_plain(shared):
    """Plain doc."""


def test_plain_then_described():
    allure.dynamic.description("said while running")


def test_plain_then_titled():
    allure.dynamic.title("titled while running")
    allure.dynamic.tag("late")


def test_plain_then_stepped():
    with allure.step("a step of a plain test"):
        allure.attach("in the step", "step note", allure.attachment_type.TEXT)
    allure.attach("in the test", "test note", allure.attachment_type.TEXT)


def test_plain_fails():
    assert 1 == 2


@pytest.fixture
def owned():
    allure.dynamic.label("owner", "bench")
    with allure.step("set up by the fixture"):
        pass


def test_labelled_by_its_fixture(owned):
    pass


@allure.step("a step function {a}")
def helper(a):
    return a


@allure.description("marked description")
class TestGroup:
    def test_in_class(self):
        allure.dynamic.title("dyn")
        helper(3)
        with allure.step("same"):
            with allure.step("same"):
                pass

    def test_plain_in_class(self):
        pass
'''

RUN_OWN = ("start", "stop", "uuid", "timestamp")


def read_folder(folder: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Results and containers, with ids, times and the thread label taken out, each
    attachment replaced by its content and each child by its test's name."""
    results = [json.loads(p.read_text()) for p in folder.glob("*-result.json")]
    names = {r["uuid"]: r["name"] for r in results}

    def plain(node: Any) -> Any:
        if isinstance(node, list):
            return [plain(v) for v in node]
        if not isinstance(node, dict):
            return node
        out = {k: plain(v) for k, v in node.items() if k not in RUN_OWN}
        if "source" in out:
            out["source"] = (folder / node["source"]).read_bytes()
        if "children" in out:
            out["children"] = sorted(names[c] for c in node["children"])
        if "labels" in out:
            out["labels"] = sorted(
                (label["name"], label["value"])
                for label in node["labels"]
                if label["name"] != "thread"
            )
        return out

    containers = [plain(json.loads(p.read_text())) for p in folder.glob("*-container.json")]
    containers += [plain(json.loads(p.read_text())) for p in folder.glob("*-globals.json")]
    return sorted((plain(r) for r in results), key=lambda r: r["name"]), containers


def without_stamps(result: dict[str, Any]) -> dict[str, Any]:
    """A gate's result less what the gate adds to every test: epic and build."""
    assert ("epic", "design") in result["labels"]
    assert {"name": "build", "value": "'b1'", "excluded": True} in result["parameters"]
    result["labels"].remove(("epic", "design"))
    result["parameters"].remove({"name": "build", "value": "'b1'", "excluded": True})
    if not result["parameters"]:
        del result["parameters"]
    return result


def test_results_are_allure_pytests_own_with_our_stamps(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{"suites/design/test_sample": SAMPLE})
    pytester.makeini("[pytest]\nmarkers =\n    slow: a tag\n")
    theirs_run = pytester.runpytest_subprocess("-p", "no:usbgate", "--alluredir=theirs", "suites")
    ours_run = pytester.runpytest_subprocess("--gate=design", "--build-id=b1", "suites")
    for run in (theirs_run, ours_run):
        run.assert_outcomes(passed=10, failed=3, skipped=1, xfailed=1, xpassed=1, errors=1)
    theirs, theirs_other = read_folder(pytester.path / "theirs")
    ours, ours_other = read_folder(pytester.path / "reports/b1/design/allure-results")
    assert len(ours) == 16
    assert [without_stamps(r) for r in ours] == theirs
    key = repr
    assert sorted(map(key, ours_other)) == sorted(map(key, theirs_other))


JUDGED = """
def test_two_in_one_domain(criteria):
    criteria.check("rig.config_errors", 0)
    criteria.check("rig.threshold_errors", 0)


def test_across_layers(criteria):
    criteria.check("audio.buffer_latency_ms", 8.0)
    criteria.check("rig.config_errors", 0)
"""


def test_layer_domain_severity_and_values_are_stamped_once_each(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(**{"suites/design/test_judged": JUDGED})
    run = pytester.runpytest_subprocess("--gate=design", "--build-id=b1", "suites")
    run.assert_outcomes(passed=2)
    results, _ = read_folder(pytester.path / "reports/b1/design/allure-results")
    by_name = {r["name"]: r for r in results}
    stamps = {
        name: (
            sorted(lb for lb in r["labels"] if lb[0] in ("epic", "feature", "story", "severity")),
            r["parameters"],
        )
        for name, r in by_name.items()
    }
    assert stamps["test_two_in_one_domain"] == (
        [("epic", "design"), ("feature", "host"), ("severity", "critical"), ("story", "rig")],
        [
            {"name": "build", "value": "'b1'", "excluded": True},
            {"name": "rig.config_errors", "value": "'0'", "excluded": True},
            {"name": "rig.threshold_errors", "value": "'0'", "excluded": True},
        ],
    )
    labels, parameters = stamps["test_across_layers"]
    assert labels == [
        ("epic", "design"),
        ("feature", "application"),
        ("feature", "host"),
        ("severity", "critical"),
        ("story", "audio"),
        ("story", "rig"),
    ]
    assert {"name": "audio.buffer_latency_ms", "value": "'8.0 ms'", "excluded": True} in parameters
    (criteria_json,) = [a for a in by_name["test_across_layers"]["attachments"]]
    assert criteria_json["name"] == "criteria"
    assert [c["id"] for c in json.loads(criteria_json["source"])] == [
        "audio.buffer_latency_ms",
        "rig.config_errors",
    ]


def test_a_stopped_run_keeps_and_seals_what_was_written(pytester: pytest.Pytester) -> None:
    """Ctrl-C in a test: the tests before it are in the evidence, the sign-off says
    INCOMPLETE (interrupted) and its manifest covers every file."""
    pytester.makepyfile(
        **{
            "suites/design/test_stop": """
            import allure
            import pytest

            def test_first():
                pass

            def test_stopped():
                allure.attach("partial", name="so far")
                raise KeyboardInterrupt
            """
        }
    )
    run = pytester.runpytest_subprocess("--gate=design", "--build-id=b1", "suites")
    assert run.ret == pytest.ExitCode.INTERRUPTED
    gate_dir = pytester.path / "reports/b1/design"
    assert verify(gate_dir) == []
    results, _ = read_folder(gate_dir / "allure-results")
    assert ("test_first", "passed") in [(r["name"], r["status"]) for r in results]
    signoff = json.loads((gate_dir / "signoff.json").read_text())
    assert signoff["verdict"] == "INCOMPLETE"
    assert signoff["diagnosis"]["summary"].startswith("run interrupted: ")
    assert "fix the rig or the test" not in signoff["diagnosis"]["summary"]
