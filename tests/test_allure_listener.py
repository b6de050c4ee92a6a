"""Our Allure listener writes what allure-pytest writes: the same test module run once
with allure-pytest's own listener and once as a gate gives the same test results, field
for field, once the run's own values (ids, times, thread) and our stamp are set aside."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from allure_commons import utils as allure_utils

from pytest_usbgate.evidence import allure_model as model
from pytest_usbgate.evidence import allure_shape as shape
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


@pytest.fixture
def both(pytester: pytest.Pytester) -> tuple[Path, Path]:
    """The sample run by allure-pytest alone and by a gate: their result folders."""
    pytester.makepyfile(**{"suites/design/test_sample": SAMPLE})
    pytester.makeini("[pytest]\nmarkers =\n    slow: a tag\n")
    theirs = pytester.runpytest_subprocess("-p", "no:usbgate", "--alluredir=theirs", "suites")
    ours = pytester.runpytest_subprocess("--gate=design", "--build-id=b1", "suites")
    for run in (theirs, ours):
        run.assert_outcomes(passed=10, failed=3, skipped=1, xfailed=1, xpassed=1, errors=1)
    return pytester.path / "theirs", pytester.path / "reports/b1/design/allure-results"


def test_results_match_allure_pytest_and_fixtures_are_kept(both: tuple[Path, Path]) -> None:
    (theirs, theirs_other), (ours, ours_other) = read_folder(both[0]), read_folder(both[1])
    assert len(ours) == 16
    for result in ours:  # our stamp: the gate as epic, the build as an excluded parameter
        assert ("epic", "design") in result["labels"]
        assert {"name": "build", "value": "'b1'", "excluded": True} in result["parameters"]
        result["labels"].remove(("epic", "design"))
        result["parameters"].remove({"name": "build", "value": "'b1'", "excluded": True})
        if not result["parameters"]:
            del result["parameters"]
    assert ours == theirs
    (dyn,) = [r for r in ours if r["name"] == "dyn"]
    assert [s["name"] for s in dyn["steps"]] == ["a step function 3", "same"]
    assert [s["name"] for s in dyn["steps"][1]["steps"]] == ["same"]
    by_name = {r["name"]: r for r in ours}  # and the sample says what it should
    assert {n: r["status"] for n, r in by_name.items()} == {
        "test_steps": "passed",
        "title 1": "passed",
        "title 2": "failed",
        "test_error": "broken",
        "test_skip": "skipped",
        "test_xfail": "skipped",
        "test_xpass": "passed",
        "test_teardown_fails": "broken",
        "dyn": "passed",
        "test_plain": "passed",
        "test_plain_in_class": "passed",
        "test_plain_then_described": "passed",
        "titled while running": "passed",
        "test_plain_then_stepped": "passed",
        "test_plain_fails": "failed",
        "test_labelled_by_its_fixture": "passed",
    }
    # plain tests: results the helper built from a template, or described at their end
    assert by_name["test_plain"]["description"] == "Plain doc."
    assert by_name["test_plain_in_class"]["description"] == "marked description"
    assert by_name["test_plain_then_described"]["description"] == "said while running"
    assert ("tag", "late") in by_name["titled while running"]["labels"]
    stepped = by_name["test_plain_then_stepped"]  # no longer plain once it made a step
    (step,) = stepped["steps"]
    assert step["name"] == "a step of a plain test"
    assert [a["source"] for a in step["attachments"]] == [b"in the step"]
    assert [a["source"] for a in stepped["attachments"]] == [b"in the test"]
    assert ("owner", "bench") in by_name["test_labelled_by_its_fixture"]["labels"]
    globals_ = sorted((c for c in ours_other if "befores" not in c), key=lambda c: list(c))
    theirs_globals = [c for c in theirs_other if "befores" not in c]
    assert globals_ == sorted(theirs_globals, key=lambda c: list(c))
    assert globals_ == [
        {"attachments": [{"name": "a note for the whole run", "source": b"seen once"}]},
        {"errors": [{"message": "the rig is warm"}]},
    ]
    # fixtures, as set-up and tear-down (allure-pytest names a tear-down "thing::1" and
    # adds an empty "thing::<lambda>": ours is one "thing", see the listener's text)
    by_fixture = {c["befores"][0]["name"]: c for c in ours_other if "befores" in c}
    assert by_fixture["thing"] == {
        "children": ["test_steps"],
        "befores": [
            {
                "name": "thing",
                "status": "passed",
                "attachments": [{"name": "setup note", "source": b"hello", "type": "text/plain"}],
            }
        ],
        "afters": [
            {
                "name": "thing",
                "status": "passed",
                "attachments": [{"name": "teardown note", "source": b"bye", "type": "text/plain"}],
            }
        ],
    }
    assert by_fixture["shared"]["children"] == ["test_plain", "test_steps", "title 1", "title 2"]
    (owned_setup,) = by_fixture["owned"]["befores"]  # a label from here went to the test
    assert [s["name"] for s in owned_setup["steps"]] == ["set up by the fixture"]
    assert by_fixture["owned"]["children"] == ["test_labelled_by_its_fixture"]
    (after,) = by_fixture["broken_teardown"]["afters"]
    assert after["status"] == "broken"
    assert after["statusDetails"]["message"] == "RuntimeError: teardown broke"


def test_a_stopped_run_seals_what_it_wrote(pytester: pytest.Pytester) -> None:
    """Ctrl-C in a test: that test is written broken; the module fixture pytest tears down
    at the end of the session is in the evidence, as is an attachment made after the last
    test (a global one); the sign-off's manifest covers every file."""
    pytester.makeconftest(
        """
        import allure

        def pytest_sessionfinish(session):
            allure.attach("after the tests", name="late")
        """
    )
    pytester.makepyfile(
        **{
            "suites/design/test_stop": """
            import allure
            import pytest

            @pytest.fixture(scope="module")
            def bench_power():
                yield
                allure.attach("off", name="power")

            def test_first(bench_power):
                pass

            def test_stopped(bench_power):
                allure.attach("partial", name="so far")
                raise KeyboardInterrupt
            """
        }
    )
    run = pytester.runpytest_subprocess("--gate=design", "--build-id=b1", "suites")
    assert run.ret == pytest.ExitCode.INTERRUPTED
    gate_dir = pytester.path / "reports/b1/design"
    assert verify(gate_dir) == []
    results, other = read_folder(gate_dir / "allure-results")
    assert [(r["name"], r["status"]) for r in results] == [
        ("test_first", "passed"),
        ("test_stopped", "broken"),
    ]
    assert results[1]["statusDetails"] == {"message": "the run stopped during this test"}
    assert results[1]["attachments"] == [{"name": "so far", "source": b"partial"}]
    late = {"attachments": [{"name": "late", "source": b"after the tests"}]}
    (container,) = [c for c in other if c != late]
    assert late in other and container["children"] == ["test_first", "test_stopped"]
    assert container["afters"] == [
        {
            "name": "bench_power",
            "status": "passed",
            "attachments": [{"name": "power", "source": b"off"}],
        }
    ]


def test_place_reads_the_node_id() -> None:
    where = model.place("suites/design/test_x.py::TestA::TestB::test_y[1-a]")
    assert where == model.Place(
        parent_package="suites.design",
        module="test_x",
        class_names=("TestA", "TestB"),
        title_path=("suites", "design", "test_x.py", "TestA", "TestB"),
    )
    assert where.package == "suites.design.test_x"
    assert where.full_name("test_y") == "suites.design.test_x.TestA.TestB#test_y"
    top = model.place("test_top.py::test_z")
    assert (top.package, top.title_path, top.full_name("test_z")) == (
        "test_top",
        ("test_top.py",),
        "test_top#test_z",
    )


def test_marks_closest_first() -> None:
    marks = model.read_marks(
        [
            ("allure_label", ("critical",), {"label_type": "severity"}),
            ("allure_label", ("f1", "f2"), {"label_type": "feature"}),
            ("slow", (), {}),
            ("allure_label", ("minor",), {"label_type": "severity"}),  # further away
            ("allure_label", ("f1",), {"label_type": "feature"}),
            ("allure_description", ("near",), {}),
            ("allure_description", ("far",), {}),
            ("skip", (), {}),
            ("allure_link", ("http://i/1",), {"link_type": "issue", "name": "1"}),
        ]
    )
    assert marks == model.Marks(
        labels=(("feature", "f1"), ("feature", "f2"), ("severity", "critical")),
        links=({"type": "issue", "url": "http://i/1", "name": "1"},),
        tags=("slow",),
        description="near",
        description_html=None,
    )
    where = model.place("a/b/test_c.py::TestD::test_e")
    assert list(model.suite_labels(where, ["suite"])) == [
        ("parentSuite", "a.b"),
        ("subSuite", "TestD"),
    ]


def test_history_id_and_the_rest() -> None:
    params: list[dict[str, Any]] = [
        {"name": "n", "value": "1"},
        {"name": "build", "value": "'b1'", "excluded": True},
        {"name": "a", "value": "'x'"},
    ]
    assert model.history_id("m#t", params, {"n": 1}) == model.md5("m#t", "'x'", 1)
    assert model.history_id("m#t", params[1:2], {}) == ""  # then it is md5("m#t")
    assert model.md5("m#t", "'x'", 1) == allure_utils.md5("m#t", "'x'", 1)  # type: ignore[no-untyped-call]
    assert shape.compact(
        {"a": None, "b": "", "c": [], "d": False, "e": 0, "f": [{"x": None, "y": 1}], "g": "v"}
    ) == {"d": False, "f": [{"y": 1}], "g": "v"}
    assert model.attachment_name("u", "audio/wav", "wav") == ("u-attachment.wav", "audio/wav")
    assert model.attachment_name("u", None, None) == ("u-attachment.attach", None)
    ids = model.Ids()
    first, second = ids(), ids()
    assert first != second and first[:24] == second[:24] and len(first) == 36
    assert first[14] == "4"  # a version 4 uuid's form


def test_every_hook_of_the_listener_is_registered() -> None:
    """The listener shows plugin managers its hooks only (AllureListener.__dir__, for a
    cheaper registration): each method marked as allure_commons' hook, and each pytest
    hook, is still found."""
    import pluggy
    from allure_commons._hooks import AllureDeveloperHooks, AllureUserHooks

    from pytest_usbgate.evidence.allure_results import AllureListener

    listener = AllureListener.__new__(AllureListener)  # registering reads its class only
    allure_hooks = pluggy.PluginManager("allure")
    allure_hooks.add_hookspecs(AllureUserHooks)
    allure_hooks.add_hookspecs(AllureDeveloperHooks)
    allure_hooks.register(listener)
    marked = {n for n, v in vars(AllureListener).items() if hasattr(v, "allure_impl")}
    assert {"start_step", "attach_file", "add_link", "add_description_html"} <= marked
    found = {c.name for c in allure_hooks.get_hookcallers(listener) or []}
    assert found == marked

    pytest_hooks = pytest.PytestPluginManager()  # with pytest's hooks, named or marked
    pytest_hooks.register(listener)
    named = {n for n in vars(AllureListener) if n.startswith("pytest_")}
    assert {"pytest_runtest_setup", "pytest_fixture_setup"} <= named
    assert {c.name for c in pytest_hooks.get_hookcallers(listener) or []} == named
