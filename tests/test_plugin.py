"""Plugin behaviour through pytester: selection, verdicts, exit status, evidence."""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from typing import Any

import pytest

from pytest_usbgate.evidence.signoff import verify

from .conftest import CHECKOUT, allure_results, read_signoff, tight_rig, write_rig

GATE_TESTS = """
import pytest

@pytest.mark.gate("design")
def test_budget(criteria):
    criteria.check("audio.buffer_latency_ms", {budget})

@pytest.mark.gate("design")
def test_rig(criteria):
    criteria.check_all({{"rig.config_errors": 0, "rig.threshold_errors": 0}})
    criteria.check_all({{"usb.present": 1, "usb.periodic_bandwidth_pct": 10.0,
                        "power.autosuspend_off": 1, "power.port_budget_pct": 50.0}})

@pytest.mark.gate("bringup")
def test_other_gate():
    pass

def test_no_gate():
    pass
"""


MEASURES_ALL = """
import os, signal, pytest
from pytest_usbgate import InfrastructureError
pytestmark = pytest.mark.gate("design")

def test_1_rig(criteria):
    criteria.check_all({"rig.config_errors": 0, "rig.threshold_errors": 0,
                        "audio.buffer_latency_ms": 1.0})
    criteria.check_all({"usb.present": 1, "usb.periodic_bandwidth_pct": 10.0,
                        "power.autosuspend_off": 1, "power.port_budget_pct": 50.0})
"""


def gate_tests_then(pytester: pytest.Pytester, more: str) -> None:
    """A design test that measures every required criterion, then the tests in `more`."""
    pytester.makepyfile(MEASURES_ALL + textwrap.dedent(more))


def gate_tests(pytester: pytest.Pytester, budget: float = 4.0) -> None:
    pytester.makepyfile(test_gate=GATE_TESTS.format(budget=budget))


def usage_error(result: pytest.RunResult) -> list[str]:
    """The non-empty stderr lines of a run that must have ended in a usage error."""
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    return [line for line in result.errlines if line]


def labels(result: dict[str, Any], name: str) -> list[str]:
    return [label["value"] for label in result["labels"] if label["name"] == name]


def test_passing_gate_exits_0_with_signoff(pytester: pytest.Pytester) -> None:
    gate_tests(pytester)
    result = pytester.runpytest("--gate=design", "--build-id=b1")
    assert result.ret == 0
    result.assert_outcomes(passed=2, deselected=2)
    doc = read_signoff(pytester.path)
    assert (doc["schema"], doc["gate"], doc["rig"], doc["build"]) == (
        "usbgate.signoff/1",
        "design",
        "sim",
        "b1",
    )
    assert (doc["verdict"], doc["diagnosis"]) == ("PASS", None)
    assert [(c["id"], c["value"], c["verdict"], c["limit_source"]) for c in doc["criteria"]] == [
        ("audio.buffer_latency_ms", 4.0, "PASS", "rig"),
        ("rig.config_errors", 0.0, "PASS", "default"),
        ("rig.threshold_errors", 0.0, "PASS", "default"),
        ("usb.present", 1.0, "PASS", "default"),
        ("usb.periodic_bandwidth_pct", 10.0, "PASS", "default"),
        ("power.autosuspend_off", 1.0, "PASS", "default"),
        ("power.port_budget_pct", 50.0, "PASS", "default"),
    ]
    assert doc["criteria"][0]["test"] == "test_gate.py::test_budget"
    assert doc["tests"] == {"passed": 2, "failed": 0, "broken": 0, "skipped": 0}
    assert [d["id"] for d in doc["devices"]] == ["interface", "controller"]
    assert doc["devices"][0] | {"serial": None} == {
        "id": "interface",
        "profile": "focusrite-scarlett-4i4-gen4",
        "name": "Focusrite Scarlett 4i4 4th Gen",
        "vid": "1235",
        "pid": "821a",
        "serial": None,
        "firmware": None,
    }
    result.stdout.fnmatch_lines(
        [
            "usbgate: gate design, rig sim (*sim.toml), build b1",
            "usbgate devices: interface=Focusrite Scarlett 4i4 4th Gen 1235:821a, "
            "controller=Arturia KeyLab mkII 88 1c75:02cb",
            "criterion*measured*limit*verdict*limit from*layer / domain",
            "audio.buffer_latency_ms*4.0 ms*≤ 20.0 ms*PASS*rig*application / audio",
            "gate design on rig sim: PASS (7 PASS)",
            "sign-off: *reports/b1/design/signoff.json",
        ]
    )


def test_gate_membership_by_marker_or_suites_folder(pytester: pytest.Pytester) -> None:
    for gate in ("design", "bringup"):
        folder = pytester.mkdir("suites") if gate == "design" else pytester.path / "suites"
        folder.joinpath(gate).mkdir()
        folder.joinpath(gate, f"test_{gate}_folder.py").write_text(
            "import pytest\n"
            "def test_in_folder():\n    pass\n"
            "@pytest.mark.gate('design')\n"  # the closest word wins: mark over folder
            "def test_marked_design():\n    pass\n"
        )
    pytester.makepyfile(
        test_marked="""
        import pytest
        @pytest.mark.gate("bringup")
        def test_marked(): pass
        def test_plain(): pass
        @pytest.mark.gate("bringup")
        class TestClass:
            def test_method(self): pass
            @pytest.mark.gate("production")
            def test_own_mark(self): pass
    """,
        test_module_mark="""
        import pytest
        pytestmark = pytest.mark.gate("bringup")
        def test_a(): pass
        def test_b(): pass
    """,
    )
    result = pytester.runpytest("--gate=bringup", "--build-id=b1", "-v")
    result.assert_outcomes(passed=5, deselected=5)  # deselected, never skipped
    passed = sorted(re.findall(r"^(\S+) PASSED", result.stdout.str(), re.M))
    assert passed == [
        "suites/bringup/test_bringup_folder.py::test_in_folder",
        "test_marked.py::TestClass::test_method",
        "test_marked.py::test_marked",
        "test_module_mark.py::test_a",
        "test_module_mark.py::test_b",
    ]
    # nothing measured: a gate with no criterion never passes
    assert result.ret == 1
    assert read_signoff(pytester.path, gate="bringup")["verdict"] == "INCOMPLETE"


def test_without_gate_the_plugin_stays_out_of_the_way(pytester: pytest.Pytester) -> None:
    gate_tests(pytester)
    result = pytester.runpytest()
    assert result.ret == 0
    result.assert_outcomes(passed=4)
    assert not (pytester.path / "reports").exists()
    assert "usbgate:" not in result.stdout.str()


def test_failing_criterion_fails_test_gate_and_exit_status(pytester: pytest.Pytester) -> None:
    gate_tests(pytester, budget=25.0)
    result = pytester.runpytest("--gate=design", "--build-id=b1")
    assert result.ret == 1
    result.assert_outcomes(passed=1, failed=1, deselected=2)
    result.stdout.fnmatch_lines(
        [
            "E*audio.buffer_latency_ms = 25.0 ms > 20.0 ms (rig sim, design)",
            "E*layer application / domain audio: lower audio.loopback.blocksize or periods*",
            "audio.buffer_latency_ms*25.0 ms*≤ 20.0 ms*FAIL*rig*application / audio",
            "gate design on rig sim: FAIL (6 PASS, 1 FAIL)",
            "diagnosis: application / audio: audio.buffer_latency_ms = 25.0 ms (limit ≤ 20.0 ms); "
            "lower audio.loopback.blocksize or periods, or raise the latency limit",
        ]
    )
    doc = read_signoff(pytester.path)
    assert doc["verdict"] == "FAIL"
    assert doc["diagnosis"]["layer"] == "application"
    assert doc["diagnosis"]["domain"] == "audio"
    assert doc["tests"]["failed"] == 1
    failed = [r for r in allure_results(pytester.path) if r["status"] != "passed"]
    assert [r["status"] for r in failed] == ["failed"]
    categories = json.loads(
        (pytester.path / "reports/b1/design/allure-results/categories.json").read_text()
    )
    # Allure 2 matches the whole message (Java String.matches): fullmatch here does the same.
    matching = [
        c["name"]
        for c in categories
        if "messageRegex" in c
        and re.fullmatch(c["messageRegex"], failed[0]["statusDetails"]["message"])
    ]
    assert matching == ["application layer failures"]


def test_marginal_passes_and_is_flagged(pytester: pytest.Pytester) -> None:
    gate_tests(pytester, budget=19.0)
    result = pytester.runpytest("--gate=design", "--build-id=b1")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["gate design on rig sim: PASS (6 PASS, 1 MARGINAL)"])
    doc = read_signoff(pytester.path)
    assert doc["criteria"][0]["verdict"] == "MARGINAL"
    assert (
        "**Marginal (pass, look closer):** audio.buffer_latency_ms"
        in (pytester.path / "reports/b1/design/signoff.md").read_text()
    )


def test_required_criterion_never_measured_is_incomplete(pytester: pytest.Pytester) -> None:
    gate_tests(pytester)
    result = pytester.runpytest("--gate=design", "--build-id=b1", "-k", "test_rig")
    assert result.ret == 1
    doc = read_signoff(pytester.path)
    assert doc["verdict"] == "INCOMPLETE"
    missing = [c for c in doc["criteria"] if c["verdict"] == "NOT_MEASURED"]
    assert [(c["id"], c["value"], c["test"]) for c in missing] == [
        ("audio.buffer_latency_ms", None, None)
    ]
    assert doc["incomplete_reasons"] == ["not measured: audio.buffer_latency_ms"]
    result.stdout.fnmatch_lines(
        [
            "audio.buffer_latency_ms*—*≤ 20.0 ms*NOT_MEASURED*",
            "gate design on rig sim: INCOMPLETE (6 PASS, 1 NOT_MEASURED)",
        ]
    )


def test_infrastructure_fault_is_broken_not_failed(pytester: pytest.Pytester) -> None:
    gate_tests_then(
        pytester,
        """
        def test_service(criteria):
            raise InfrastructureError("jackd did not start: no such file")
        def test_unknown_criterion(criteria):
            criteria.check("midi.nonsense", 1)
    """,
    )
    result = pytester.runpytest("--gate=design", "--build-id=b1")
    assert result.ret == 1
    statuses = sorted(r["status"] for r in allure_results(pytester.path))
    assert statuses == ["broken", "broken", "passed"]
    doc = read_signoff(pytester.path)
    assert doc["verdict"] == "INCOMPLETE"
    assert doc["tests"]["broken"] == 2
    assert any("jackd did not start" in reason for reason in doc["incomplete_reasons"])
    assert any("unknown criterion 'midi.nonsense'" in r for r in doc["incomplete_reasons"])
    assert doc["diagnosis"]["domain"] == "rig"


def test_real_design_suite_fails_on_a_threshold_the_sim_cannot_meet(
    pytester: pytest.Pytester,
) -> None:
    shutil.copytree(CHECKOUT / "suites", pytester.path / "suites")
    rig = tight_rig(pytester.path)
    result = pytester.runpytest("suites", "--gate=design", "--build-id=b1", f"--rig={rig}")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "E*audio.buffer_latency_ms = 16.0 ms > 5.0 ms (rig tight, design)",
            "audio.buffer_latency_ms*16.0 ms*≤ 5.0 ms*FAIL*rig*application / audio",
            "gate design on rig tight: FAIL*",
        ]
    )
    doc = read_signoff(pytester.path)
    assert doc["verdict"] == "FAIL"
    failed = [c for c in doc["criteria"] if c["verdict"] == "FAIL"]
    assert [(c["id"], c["limit"], c["limit_source"]) for c in failed] == [
        ("audio.buffer_latency_ms", {"max": 5.0}, "rig")
    ]


def test_allure_labels_parameters_and_attachment(pytester: pytest.Pytester) -> None:
    gate_tests(pytester)
    assert pytester.runpytest("--gate=design", "--build-id=b1").ret == 0
    results = {r["name"]: r for r in allure_results(pytester.path)}
    budget = results["test_budget"]
    assert labels(budget, "epic") == ["design"]
    assert labels(budget, "feature") == ["application"]
    assert labels(budget, "story") == ["audio"]
    assert labels(budget, "severity") == ["critical"]
    params = {p["name"]: p for p in budget["parameters"]}
    assert params["build"]["excluded"] is True
    assert params["audio.buffer_latency_ms"] == {
        "name": "audio.buffer_latency_ms",
        "value": "'4.0 ms'",
        "excluded": True,
    }
    (attachment,) = budget["attachments"]
    assert attachment["name"] == "criteria"
    data = json.loads(
        (pytester.path / "reports/b1/design/allure-results" / attachment["source"]).read_text()
    )
    assert [d["id"] for d in data] == ["audio.buffer_latency_ms"]
    folder = pytester.path / "reports/b1/design/allure-results"
    env = (folder / "environment.properties").read_text()
    assert "gate=design\nrig=sim\n" in env and "build=b1\n" in env
    assert "device.interface=Focusrite Scarlett 4i4 4th Gen 1235:821a\n" in env
    assert re.search(r"^lib\.allure-pytest=\d", env, re.M)
    assert re.search(r"^host\.kernel=\S", env, re.M)


def test_build_id_from_environment_and_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_usbgate.evidence.build import CI_SYSTEMS

    for system in CI_SYSTEMS:
        monkeypatch.delenv(system.number_var, raising=False)
    gate_tests(pytester)
    monkeypatch.setenv("USBGATE_BUILD_ID", "nightly 7")
    pytester.runpytest("--gate=design")
    assert read_signoff(pytester.path, build="nightly-7")["build"] == "nightly-7"
    monkeypatch.delenv("USBGATE_BUILD_ID")
    monkeypatch.setenv("GITHUB_RUN_NUMBER", "42")
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.example")
    monkeypatch.setenv("GITHUB_REPOSITORY", "lab/rig")
    monkeypatch.setenv("GITHUB_RUN_ID", "999")
    pytester.runpytest("--gate=design")
    executor = json.loads(
        (pytester.path / "reports/42/design/allure-results/executor.json").read_text()
    )
    assert executor == {
        "name": "GitHub Actions",
        "type": "github",
        "buildName": "42",
        "buildOrder": 42,
        "buildUrl": "https://github.example/lab/rig/actions/runs/999",
    }


def test_bad_build_id_is_a_usage_error(pytester: pytest.Pytester) -> None:
    gate_tests(pytester)
    result = pytester.runpytest("--gate=design", "--build-id=../escape")
    assert usage_error(result) == [
        "ERROR: --build-id '../escape': expected up to 128 letters, digits, '.', '_', '+' or "
        "'-', starting with a letter or digit"
    ]


def test_rerun_of_same_build_keeps_the_earlier_evidence(pytester: pytest.Pytester) -> None:
    from pytest_usbgate.evidence.signoff import verify

    gate_tests(pytester)
    assert pytester.runpytest("--gate=design", "--build-id=b1").ret == 0
    gate_tests(pytester, budget=50)
    assert pytester.runpytest("--gate=design", "--build-id=b1").ret == 1
    (earlier,) = (pytester.path / "reports/b1").glob("design.superseded-*")
    assert verify(earlier) == []
    assert json.loads((earlier / "signoff.json").read_text())["verdict"] == "PASS"
    assert read_signoff(pytester.path)["verdict"] == "FAIL"


def test_ini_options(pytester: pytest.Pytester) -> None:
    rig = write_rig(pytester.path, "inirig")
    pytester.makeini(
        f"[pytest]\nusbgate_gate = design\nusbgate_rig = {rig}\nusbgate_reports_dir = out\n"
    )
    gate_tests(pytester)
    result = pytester.runpytest("--build-id=b1")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["usbgate: gate design, rig inirig (*inirig.toml), build b1"])
    assert json.loads((pytester.path / "out/b1/design/signoff.json").read_text())["rig"] == "inirig"


def test_bad_gate_marker_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest
        @pytest.mark.gate("release")
        def test_x(): pass
    """)
    result = pytester.runpytest("--gate=design", "--build-id=b1")
    assert usage_error(result) == [
        "ERROR: test_bad_gate_marker_is_a_usage_error.py::test_x: @pytest.mark.gate('release',):"
        " expected one gate name of: design, bringup, production"
    ]


def test_criteria_outside_any_gate_explains(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(criteria): criteria.check('rig.config_errors', 0)")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*test_x belongs to no gate: mark it @pytest.mark.gate(...)*"])


def test_keyboard_interrupt_ends_incomplete_and_keeps_evidence(pytester: pytest.Pytester) -> None:
    gate_tests_then(
        pytester,
        """
        def test_2_interrupt():
            raise KeyboardInterrupt
        def test_3_never():
            pass
    """,
    )
    result = pytester.runpytest_subprocess("--gate=design", "--build-id=b1")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    doc = read_signoff(pytester.path)
    assert doc["verdict"] == "INCOMPLETE"
    assert doc["incomplete_reasons"] == ["run interrupted: KeyboardInterrupt"]
    assert doc["finished"] is not None
    journal = (pytester.path / "reports/b1/design/criteria.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in journal] == [
        "rig.config_errors",
        "rig.threshold_errors",
        "audio.buffer_latency_ms",
        "usb.present",
        "usb.periodic_bandwidth_pct",
        "power.autosuspend_off",
        "power.port_budget_pct",
    ]
    statuses = {r["name"]: r["status"] for r in allure_results(pytester.path)}
    assert statuses["test_1_rig"] == "passed"
    assert "test_3_never" not in statuses


def test_sigterm_ends_incomplete(pytester: pytest.Pytester) -> None:
    gate_tests_then(
        pytester,
        """
        def test_2_cancelled():
            os.kill(os.getpid(), signal.SIGTERM)
    """,
    )
    result = pytester.runpytest_subprocess("--gate=design", "--build-id=b1")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    doc = read_signoff(pytester.path)
    assert (doc["verdict"], doc["incomplete_reasons"]) == (
        "INCOMPLETE",
        ["run interrupted: SIGTERM"],
    )
    assert doc["diagnosis"]["summary"] == (
        "run interrupted: SIGTERM; the evidence so far is kept: re-run the gate"
    )


def test_a_killed_run_keeps_every_finished_test_and_never_verifies(
    pytester: pytest.Pytester,
) -> None:
    """SIGKILL mid-run: the sign-off stays the unsealed INCOMPLETE one written at the
    start, and every test that finished before the kill has its result on disk."""
    gate_tests_then(
        pytester,
        """
        def test_2_plain():
            pass
        def test_3_slow():
            import time
            time.sleep(0.1)
        def test_4_killed():
            os.kill(os.getpid(), signal.SIGKILL)
    """,
    )
    result = pytester.runpytest_subprocess("--gate=design", "--build-id=b1")
    assert result.ret == -9
    doc = read_signoff(pytester.path)
    assert (doc["verdict"], doc["finished"], doc["manifest"]) == ("INCOMPLETE", None, {})
    assert {r["name"] for r in allure_results(pytester.path)} == {
        "test_1_rig",
        "test_2_plain",
        "test_3_slow",
    }
    problems = verify(pytester.path / "reports/b1/design")
    assert problems[0].startswith("signoff.json.sha256: missing"), problems


XDIST_TESTS = """
import os, signal, pytest
pytestmark = pytest.mark.gate("design")

@pytest.mark.parametrize("n", range(6))
def test_budget(criteria, n):
    criteria.check("audio.buffer_latency_ms", {budget})

def test_rig(criteria):
    criteria.check_all({{"rig.config_errors": 0, "rig.threshold_errors": 0}})
    criteria.check_all({{"usb.present": 1, "usb.periodic_bandwidth_pct": 10.0,
                        "power.autosuspend_off": 1, "power.port_budget_pct": 50.0}})

def test_pid():
    print(os.getpid())
"""


@pytest.mark.parametrize(("budget", "ret", "verdict"), [(4.0, 0, "PASS"), (25.0, 1, "FAIL")])
def test_xdist_workers_report_to_one_verdict(
    pytester: pytest.Pytester, budget: float, ret: int, verdict: str
) -> None:
    pytester.makepyfile(test_x=XDIST_TESTS.format(budget=budget))
    result = pytester.runpytest_subprocess("-n", "2", "--gate=design", "--build-id=b1")
    assert result.ret == ret
    doc = read_signoff(pytester.path)
    assert doc["verdict"] == verdict
    assert len(doc["criteria"]) == 12  # 6 budgets + 2 rig and 4 host checks, each once
    journal = (pytester.path / "reports/b1/design/criteria.jsonl").read_text().splitlines()
    assert len(journal) == 12
    passed = 8 if verdict == "PASS" else 2  # the six budgets fail against 25 ms
    assert doc["tests"] == {"passed": passed, "failed": 8 - passed, "broken": 0, "skipped": 0}
    results = allure_results(pytester.path)
    assert len(results) == 8
    assert len({labels(r, "thread")[0].split("-")[0] for r in results}) == 2  # both workers
    assert sorted(p.name for p in (pytester.path / "reports/b1/design").iterdir()) == [
        "allure-results",
        "allurerc.json",
        "criteria.jsonl",
        "signoff.json",
        "signoff.json.sha256",
        "signoff.md",
    ]
    result.stdout.fnmatch_lines([f"gate design on rig sim: {verdict}*"])


PER_TEST_HOOKS = """
import json, pytest

@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    hook = session.config.pluginmanager.hook
    names = {
        name: sorted(
            i.plugin_name for i in getattr(hook, name).get_hookimpls()
            if i.plugin_name.startswith("usbgate")
        )
        for name in ("pytest_runtest_setup", "pytest_runtest_makereport",
                     "pytest_runtest_logreport")
    }
    with open("hooks.json", "w") as out:
        json.dump(names, out)
"""


@pytest.mark.parametrize(
    ("args", "ours"),
    [
        ((), [[], [], []]),  # no gate: nothing of ours runs per test
        (("--gate=design",), [["usbgate-phases"], ["usbgate-phases"], ["usbgate-controller"]]),
    ],
)
def test_per_test_hooks_only_in_gate_runs_and_one_per_phase(
    pytester: pytest.Pytester, args: tuple[str, ...], ours: list[list[str]]
) -> None:
    """A gate run stamps each test at its set-up, puts records on each phase's report and
    tallies the reports on the controller; a run without a gate has none of these."""
    gate_tests(pytester)
    pytester.makeconftest(PER_TEST_HOOKS)
    pytester.runpytest(*args, "--build-id=b1")
    hooks = json.loads((pytester.path / "hooks.json").read_text())
    assert list(hooks.values()) == ours


def test_killed_worker_ends_incomplete(pytester: pytest.Pytester) -> None:
    gate_tests_then(
        pytester,
        """
        def test_killed():
            os.kill(os.getpid(), signal.SIGKILL)
    """,
    )
    result = pytester.runpytest_subprocess("-n", "2", "--gate=design", "--build-id=b1")
    assert result.ret != 0
    doc = read_signoff(pytester.path)
    assert doc["verdict"] == "INCOMPLETE"
    assert any("test_killed" in reason for reason in doc["incomplete_reasons"]), doc


def test_evidence_that_cannot_be_written_makes_the_gate_incomplete(
    pytester: pytest.Pytester,
) -> None:
    """allure-pytest cannot write a result: pytest stops (internal error, exit 3), and the
    sign-off says why, never PASS."""
    gate_tests_then(
        pytester,
        """
        def test_2_results_folder_goes():
            os.rename("reports/b1/design/allure-results", "moved-away")
    """,
    )
    result = pytester.runpytest("--gate=design", "--build-id=b1")
    assert result.ret == pytest.ExitCode.INTERNAL_ERROR
    doc = read_signoff(pytester.path)
    assert doc["verdict"] == "INCOMPLETE"
    reason = doc["incomplete_reasons"][0]
    assert re.fullmatch(
        r"run interrupted: pytest internal error: FileNotFoundError: .*"
        r"/reports/b1/design/allure-results/[0-9a-f-]{36}-result\.json\.tmp'",
        reason,
    ), reason


USES_SIM = """
import os, pytest
from pytest_usbgate.sim.preload import preload_active
pytestmark = pytest.mark.gate("design")

def test_{name}({fixture}):
    with open("{name}.txt", "w") as fh:
        fh.write(f"{{os.getpid()}} {{preload_active()}}")
"""


def test_the_sim_starts_only_when_a_selected_test_uses_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run whose tests never touch the sim neither starts it nor re-executes pytest
    under umockdev's preload; one that does re-executes once, leaving no trace of the
    first attempt."""
    from pytest_usbgate.sim.preload import GUARD

    for name in ("LD_PRELOAD", GUARD, "UMOCKDEV_DIR"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(
        test_plain=USES_SIM.format(name="plain", fixture="criteria"),
        test_sim=USES_SIM.format(name="sim", fixture="rig_sim"),
    )
    plain = pytester.runpytest_subprocess("--gate=design", "--build-id=b1", "test_plain.py")
    assert "again under it" not in plain.stdout.str()
    assert not any(line.startswith("sim: ") for line in plain.outlines)
    assert (pytester.path / "plain.txt").read_text().endswith(" False")

    both = pytester.runpytest_subprocess("--gate=design", "--build-id=b2")
    assert both.stdout.str().count("running this session again under it") == 1
    both.stdout.fnmatch_lines(["sim: jackd *"])
    assert (pytester.path / "sim.txt").read_text().endswith(" True")
    assert sorted(p.name for p in (pytester.path / "reports").iterdir()) == ["b1", "b2"]
    assert [p.name for p in (pytester.path / "reports/b2").iterdir()] == ["design"]
    assert read_signoff(pytester.path, "b2")["tests"]["passed"] == 2


def test_an_explicit_alluredir_gets_the_gate_results(pytester: pytest.Pytester) -> None:
    gate_tests(pytester)
    stale = pytester.path / "elsewhere" / "stale-result.json"
    stale.parent.mkdir()
    stale.write_text("{}")
    args = ("--gate=design", "--build-id=b1", "--alluredir=elsewhere")
    assert pytester.runpytest(*args, "--clean-alluredir").ret == 0
    assert not stale.exists()
    folder = pytester.path / "elsewhere"
    results = {
        r["name"]: r for r in (json.loads(p.read_text()) for p in folder.glob("*-result.json"))
    }
    assert sorted(results) == ["test_budget", "test_rig"]
    assert labels(results["test_rig"], "epic") == ["design"]
    assert "gate=design\n" in (folder / "environment.properties").read_text()
    assert (folder / "categories.json").exists() and (folder / "executor.json").exists()
    assert not any((pytester.path / "reports/b1/design/allure-results").iterdir())
