"""A gate run's machinery, loaded only when a gate runs: where its evidence goes, the
build id, SIGTERM as an interruption, the hooks on each test (`PhaseHooks`, in the
process that runs the tests) and on the controller (`GateController`: records and
outcomes in, verdict, sign-off, exit status and summary out)."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import signal
from collections.abc import Generator
from pathlib import Path
from types import FrameType
from typing import Any, Final, cast

import pytest

from pytest_usbgate.errors import ConfigError
from pytest_usbgate.evidence import allure, build
from pytest_usbgate.evidence.signoff import SIGNOFF
from pytest_usbgate.gate.criteria import Record
from pytest_usbgate.gate.summary import summary_lines
from pytest_usbgate.session.run import GateRun, prepare_gate_dir
from pytest_usbgate.session.state import ITEM_RECORDS, SessionState, session_state, setting

PROP_RECORDS: Final = "usbgate.criteria"
PROP_OUTCOME: Final = "usbgate.outcome"
_NON_FAILURES: Final = (AssertionError, pytest.fail.Exception)


def configure(config: pytest.Config, state: SessionState) -> None:
    """A run with a gate (or sim faults): the rig loaded and checked; on an xdist worker
    its per-test hooks, on the controller the run begun (metadata, unsealed sign-off)."""
    gate_name = state.gate
    try:
        loaded = state.load_rig()
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    if state.faults and loaded.kind != "sim":
        raise pytest.UsageError(
            f"--usbgate-fault is for the sim rig only; rig {loaded.name} ({loaded.path}) "
            f"is kind = {loaded.kind!r}"
        )
    if gate_name is None:
        return  # faults without a gate: checked, nothing to run

    worker_input: dict[str, Any] | None = getattr(config, "workerinput", None)
    if worker_input is not None:  # xdist worker: the controller decided where evidence goes
        shared = worker_input["usbgate"]
        state.build_id = shared["build_id"]
        _route_allure(config, state, Path(shared["allure_dir"]), clean=False)
        config.pluginmanager.register(PhaseHooks(state.build_id), "usbgate-phases")
        return

    state.build_id = _build_id(config)
    if config.option.collectonly:
        return
    reports_dir = Path(setting(config, "reports_dir"))
    if not reports_dir.is_absolute():
        reports_dir = config.invocation_params.dir / reports_dir
    gate_dir = prepare_gate_dir(reports_dir, state.build_id, gate_name)
    given = getattr(config.option, "allure_report_dir", None)
    clean = bool(given) and bool(getattr(config.option, "clean_alluredir", False))
    _route_allure(config, state, Path(given) if given else gate_dir / "allure-results", clean)
    state.run = GateRun(
        gate=gate_name,
        rig=loaded,
        build_id=state.build_id,
        gate_dir=gate_dir,
        allure_dir=state.allure_dir,
        executor=build.executor(os.environ, state.build_id),
    )
    state.run.begin()
    config.pluginmanager.register(GateController(state.run, state.build_id), "usbgate-controller")
    _interrupt_on_sigterm(config)


def _route_allure(config: pytest.Config, state: SessionState, folder: Path, clean: bool) -> None:
    """allure-pytest writes this run's results to `folder` (the gate folder's
    allure-results, or an explicit --alluredir). Cleaning it is done here, before the
    controller writes its metadata files there, never by allure-pytest after them."""
    folder = folder.absolute()
    if clean:
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    config.option.allure_report_dir = str(folder)
    config.option.clean_alluredir = False
    state.allure_dir = folder


def _build_id(config: pytest.Config) -> str:
    given = config.getoption("build_id")
    if given is None:
        return build.default_build_id(os.environ, config.rootpath, dt.datetime.now(dt.UTC))
    if not re.fullmatch(build.BUILD_ID_PATTERN, given):
        raise pytest.UsageError(
            f"--build-id {given!r}: expected up to 128 letters, digits, "
            "'.', '_', '+' or '-', starting with a letter or digit"
        )
    return str(given)


def _interrupt_on_sigterm(config: pytest.Config) -> None:
    """A CI job cancelled with SIGTERM ends like Ctrl-C: INCOMPLETE, evidence written."""

    def on_term(signum: int, frame: FrameType | None) -> None:
        run = session_state(config).run
        if run is not None:
            run.interrupted = run.interrupted or "SIGTERM"
        raise KeyboardInterrupt("SIGTERM")

    try:
        previous = signal.signal(signal.SIGTERM, on_term)
    except ValueError:  # not the main thread
        return

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    config.add_cleanup(restore)


def stamp_epic(items: list[pytest.Item], gate: str) -> None:
    """Each selected test under its gate's epic."""
    epic = allure.gate_label(gate)
    for item in items:
        item.add_marker(epic)


class PhaseHooks:
    """A gate run's hooks on each test, in the process that runs the tests (the only one,
    or an xdist worker); registered for gate runs only, so that other runs pay nothing.

    Each test gets the build as an excluded Allure parameter. Each phase's records, and
    whether a failure was a failure or a breakage, go on its report: reports travel from
    xdist workers to the controller. After the call, the test's records go to Allure as
    one attachment."""

    def __init__(self, build_id: str) -> None:
        self.build_id = build_id

    @pytest.hookimpl(wrapper=True, trylast=True)  # inside allure-pytest's: its test is open
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        allure.stamp_build(self.build_id)  # before any set-up, which may skip the test
        return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        kept = item.stash.get(ITEM_RECORDS, None)
        if kept is not None and kept.records:
            new = kept.take_new()
            if new:
                report.user_properties.append((PROP_RECORDS, [r.to_dict() for r in new]))
            if call.when == "call":
                allure.attach_json("criteria", [r.to_dict() for r in kept.records])
        if call.excinfo is not None and report.failed:
            failed = report.when == "call" and isinstance(call.excinfo.value, _NON_FAILURES)
            message = call.excinfo.exconly().splitlines()[0][:300]
            report.user_properties.append(
                (PROP_OUTCOME, {"kind": "failed" if failed else "broken", "message": message})
            )
        return report


class GateController:
    """Registered on the controller of a gate run only: gathers what the workers (or this
    process) report, ends the run, sets the exit status, prints the summary."""

    def __init__(self, run: GateRun, build_id: str) -> None:
        self.run = run
        self.build_id = build_id

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """The tests run here unless xdist's workers run them (its session is registered)."""
        if not session.config.pluginmanager.has_plugin("dsession"):
            session.config.pluginmanager.register(PhaseHooks(self.build_id), "usbgate-phases")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """One phase's report (from this process or a worker): its records and the test's
        outcome; a set-up or tear-down that passed and kept nothing says nothing."""
        if report.when == "call" or report.outcome != "passed" or report.user_properties:
            self.tally(report)

    def tally(self, report: pytest.TestReport) -> None:
        """One phase's report: its records and the test's outcome."""
        outcome: dict[str, str] | None = None
        for name, value in report.user_properties:
            if name == PROP_RECORDS:
                self.run.add(Record.from_dict(d) for d in cast(list[dict[str, Any]], value))
            elif name == PROP_OUTCOME:
                outcome = cast(dict[str, str], value)
        kind = report.outcome  # one attribute, not the failed/skipped properties, per phase
        if kind == "passed":
            if report.when == "call":
                self.run.outcome("passed")
        elif kind == "skipped":
            self.run.outcome("skipped")
        else:
            if outcome is None:  # no word from our hook: e.g. an xdist worker crashed here
                last = report.longreprtext.strip().splitlines()[-1:] or [""]
                outcome = {"kind": "broken", "message": last[0][:300]}
            self.run.outcome(outcome["kind"], report.nodeid, outcome["message"])

    def pytest_internalerror(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        """pytest itself stopped (allure-pytest could not write a result, say)."""
        self.run.interrupted = self.run.interrupted or (
            f"pytest internal error: {excinfo.exconly().splitlines()[-1][:300]}"
        )

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        self.run.interrupted = self.run.interrupted or "KeyboardInterrupt"

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        if error:
            self.run.interrupted = (
                self.run.interrupted or f"xdist worker {node.gateway.id} went down: {error}"
            )

    @pytest.hookimpl(trylast=True)  # after pytest's tear-down of what a stopped run left set up
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if exitstatus == pytest.ExitCode.INTERRUPTED:
            self.run.interrupted = self.run.interrupted or "pytest stopped the session"
        result = self.run.finish()
        if result.verdict != "PASS" and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.run.result is None:
            return
        terminalreporter.section(f"usbgate: {self.run.gate} gate, build {self.run.build_id}")
        sim_line = session_state(terminalreporter.config).sim_line
        if sim_line:
            terminalreporter.write_line(sim_line)
        for line in summary_lines(self.run.result, self.run.rig.name, self.run.gate_dir / SIGNOFF):
            terminalreporter.write_line(line)
