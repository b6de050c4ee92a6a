"""Allure results for a gate run: our own listener in place of allure-pytest's.

It writes the files allure-pytest writes (a result per test, a container per fixture
execution, attachments, globals), with the same names, labels, suites, history ids,
statuses, steps and fixtures, and it serves allure's API (`allure.attach`, `allure.step`,
`allure.dynamic.*`, `allure.global_*`) through allure_commons' hooks; allure-pytest's
decorators (`@allure.title`, `@allure.feature`, …) still turn into its marks, which are
read here. A test's result is a plain dict, made when something needs it (a fixture, a
step, an attachment, allure.dynamic, a failure, captured output, marks or parameters of
its own) and handed to a `Spool`, whose helper process encodes and writes it. A plain test
(allure_shape.py) that passes never needs one: its few values go to the helper, which
builds its result from its parent's template.

What differs from allure-pytest:
- each test result is stamped with the gate (epic) and the build (an excluded parameter,
  so Allure's history stays continuous across builds);
- a fixture's tear-down is one "after" named like the fixture, with the status of the
  tear-down phase it ran in (pytest runs a fixture's finalizers without saying which one
  raised); allure-pytest names one per finalizer ("thing::1", "thing::<lambda>");
- a test the run stopped in (Ctrl-C, SIGTERM) is written, broken; an attachment made
  outside any test becomes a global one.
"""

from __future__ import annotations

import doctest
import os
import socket
import sys
import threading
import time
from collections.abc import Generator
from enum import Enum
from pathlib import Path
from typing import Any, Final

import allure_commons
import pytest
from allure_commons import utils as allure_utils
from allure_commons.utils import SafeFormatter

from pytest_usbgate.evidence import allure_model as model
from pytest_usbgate.evidence import allure_shape as shape
from pytest_usbgate.evidence.allure_model import Dict
from pytest_usbgate.evidence.spool import Spool

ALLURE_PLUGIN = "allure_pytest"
FAILURES: tuple[type[BaseException], ...] = (AssertionError, pytest.fail.Exception)
TEST_FAILURES = (*FAILURES, doctest.DocTestFailure)  # anything else breaks a test
# a plain test's parent's template, its function's name and its docstring (allure_shape)
Plain = tuple[str, str, str | None]


def represent(value: Any) -> str:
    """A parameter's value as allure shows it (repr, strings quoted)."""
    return str(allure_utils.represent(value))  # type: ignore[no-untyped-call]


def _now_ms() -> int:
    return round(time.time() * 1000)


def status_of(exc: BaseException | None) -> str:
    """allure-pytest's status of a fixture or step that raised `exc`."""
    if exc is None:
        return "passed"
    if isinstance(exc, FAILURES):
        return "failed"
    return "skipped" if isinstance(exc, pytest.skip.Exception) else "broken"


def _stop(item: Dict, exc: BaseException | None) -> None:
    item["stop"] = _now_ms()
    item["status"] = status_of(exc)
    if exc is not None:
        item["statusDetails"] = {
            "message": allure_utils.format_exception(type(exc), exc),  # type: ignore[no-untyped-call]
            "trace": allure_utils.format_traceback(exc.__traceback__),  # type: ignore[no-untyped-call]
        }


def _executable(name: str) -> Dict:
    return {"name": name, "start": _now_ms(), "steps": [], "attachments": [], "parameters": []}


class AllureListener:
    """A pytest plugin and an allure_commons plugin: one per session (or xdist worker)."""

    def __init__(self, config: pytest.Config, spool: Spool, *, gate: str, build_id: str) -> None:
        self.spool = spool
        self.parents: dict[object, tuple[model.Place, list[Any], model.Marks]] = {}
        # by parent: the labels of its tests that have no marks of their own
        self.labels_by_parent: dict[object, list[Dict]] = {}
        self.ids = model.Ids()
        self.link_patterns = dict(getattr(config.option, "allure_link_pattern", None) or ())
        self.attach_capture = getattr(config.option, "attach_capture", True)
        self.fixed_labels = [
            {"name": "host", "value": socket.gethostname()},
            {"name": "thread", "value": f"{os.getpid()}-{threading.current_thread().name}"},
            {"name": "framework", "value": "pytest"},
            {"name": "language", "value": f"{sys.implementation.name}{sys.version_info[0]}"},
        ]
        self.epic = {"name": "epic", "value": gate}
        self.build = {"name": "build", "value": represent(build_id), "excluded": True}
        self.item: pytest.Item | None = None  # the test that runs
        # its result, made when something needs it (a plain test that passes never does)
        self.test: Dict | None = None
        self.status: str | None = None  # its status so far, and what Allure says of it
        self.details: Dict | None = None
        self.start_ms = self.stop_ms = 0
        self.plain: Plain | None = None  # the test's, if it is plain (allure_shape.py)
        self.templates: dict[object, str] = {}  # parent -> its plain tests' template
        self.open: list[Dict] = []  # what a step or an attachment goes into, innermost last
        self.steps: dict[str, Dict] = {}
        # id(FixtureDef) -> (fixture name, its container), while the fixture is set up
        self.containers: dict[int, tuple[str, Dict]] = {}
        self.torn_down: list[Dict] = []  # containers closed in this teardown, written after it
        self.last: pytest.Item | None = None  # the session's last test

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.last = session.items[-1] if session.items else None

    # --- pytest: a test's life ---------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.item = item
        self.status = None
        self.spool.keep_fresh()  # results held back for a while go before this test runs

    def _result(self, item: pytest.Item) -> Dict:
        """The result of the running test, `item`, made now if need be: the outermost of
        what is open."""
        if self.test is None:
            self.test = {
                "uuid": self.ids(),
                "name": item.name,
                "status": None,
                "start": 0,
                "stop": 0,
                "steps": [],
                "attachments": [],
                "parameters": [],
                "labels": [],
                "links": [],
            }
            self.open.insert(0, self.test)
        return self.test

    def _open(self) -> list[Dict]:
        """What a step or an attachment goes into, innermost last: the test, its
        fixtures' set-ups and tear-downs, steps."""
        if self.item is not None:
            self._result(self.item)
        return self.open

    def phase_done(
        self, item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport
    ) -> None:
        """A phase's report (the plugin's makereport wrapper calls this, so that a phase
        costs one hook wrapper, not two): the test's status and what it used; after the
        tear-down, the test's result is written."""
        if self.item is None:
            return
        status: str = report.outcome
        details: Dict | None = None
        if call.excinfo is not None or hasattr(report, "wasxfail"):
            status, details = _status(call, report)
        when = report.when
        if when == "setup":
            self.status, self.details = status, details
            self.start_ms = self.stop_ms = round(call.start * 1000)
            self.plain = self._plain_item(item)
            if self.plain is None:
                self._describe(item, self._result(item))
            if self.containers:
                self._adopt(item)
        elif when == "call":
            self.start_ms, self.stop_ms = round(call.start * 1000), round(call.stop * 1000)
            if self.status == "passed":
                self.status, self.details = status, details
            if self.containers:
                self._adopt(item)
        else:
            failed = status in ("failed", "broken")
            if failed and self.status == "passed":
                self.status, self.details = status, details
            if self.torn_down:
                self._close_torn_down(status if failed else "passed", details)
            if self.attach_capture and report.sections:
                for name, text in (
                    ("log", report.caplog),
                    ("stdout", report.capstdout),
                    ("stderr", report.capstderr),
                ):
                    if text:
                        self._attach(text, name, "text/plain", "txt", self._open())
            self._finish_test()

    def _finish_test(self) -> None:
        """The test's result goes to the spool: a plain test's values only, if it passed
        and nothing it did made its result say more (allure_shape.py)."""
        item, test, plain = self.item, self.test, self.plain
        if item is None:
            return
        if (
            plain is not None
            and self.status == "passed"
            and self.details is None
            and (test is None or _stayed_plain(item, test))
        ):
            template, function, doc = plain
            uuid = self.ids() if test is None else test["uuid"]
            args = (uuid, item.name, function, self.start_ms, self.stop_ms, doc)
            self.spool.put_built(f"{uuid}-result.json", template, *args)
        else:
            test = self._result(item)
            if plain is not None:
                self._describe(item, test, late=True)
            test["status"], test["statusDetails"] = self.status, self.details
            test["start"], test["stop"] = self.start_ms, self.stop_ms
            self._write_result(test)
        if item is self.last:
            self.spool.hurry()  # the writer starts on the last results while pytest ends
        self.item = self.test = self.plain = None
        self.open = []

    def _plain_item(self, item: pytest.Item) -> Plain | None:
        """If the test has no parameters, title or marks of its own, nor links from its
        parent's: its parent's template, its function's name and its docstring."""
        if item.own_markers or getattr(item, "callspec", None) is not None:
            return None
        function = getattr(item, "obj", None)
        if getattr(function, "__allure_display_name__", None):
            return None
        template = self.templates.get(item.parent) or self._template(item)
        if template is None:
            return None
        name = getattr(item, "originalname", None) or item.name
        return template, name, getattr(function, "__doc__", None)

    def _template(self, item: pytest.Item) -> str | None:
        """The template of the plain tests of the item's parent, sent to the helper once;
        None if its marks give links (a test's own, then)."""
        where, marks, _ = self._place_and_marks(item)
        if marks.links:
            return None
        parent = item.parent
        name = self.templates[parent] = str(len(self.templates))
        labels = self._labels(where, marks, [], parent)
        self.spool.template(
            name,
            shape.template(
                where.full_name(""),
                list(where.title_path),
                labels,
                [self.build],
                marks.description,
                marks.description_html,
            ),
        )
        return name

    def _describe(self, item: pytest.Item, test: Dict, *, late: bool = False) -> None:
        """What the node id, marks and parameters say; after set-up, when the fixture
        values a title may name are known (`late`: at the end, for a test that has no
        title and keeps what it said of itself, as its description)."""
        callspec = getattr(item, "callspec", None)
        params: dict[str, Any] = callspec.params if callspec is not None else {}
        function = getattr(item, "function", None)
        title = getattr(function, "__allure_display_name__", None)
        if title:
            fields: dict[str, Any] = {}
            if callspec is not None and callspec.id:
                param_id = callspec.id
                fields["param_id"] = (
                    param_id.encode().decode("unicode-escape") if param_id.isascii() else param_id
                )
            fields.update(params)
            fields.update(getattr(item, "funcargs", None) or {})
            test["name"] = SafeFormatter().format(title, **fields)
        where, marks, shared = self._place_and_marks(item)
        full_name = where.full_name(getattr(item, "originalname", None) or item.name)
        test["fullName"] = full_name
        test["titlePath"] = where.title_path
        test["testCaseId"] = shape.md5(full_name)
        described = {
            "description": marks.description or getattr(function, "__doc__", None),
            "descriptionHtml": marks.description_html,
        }
        test.update((k, v) for k, v in described.items() if not late or k not in test)
        given = {p["name"] for p in test["parameters"]}
        test["parameters"] += [
            {"name": name, "value": represent(value)}
            for name, value in params.items()
            if name not in given
        ]
        test["links"] += marks.links
        test["_facts"] = (where, marks, params, shared)

    def _place_and_marks(self, item: pytest.Item) -> tuple[model.Place, model.Marks, object]:
        """A test's place and marks, and its parent if those are the parent's alone (the
        test has no marks of its own); a parent's are read once (marks added to a parent
        after its first test has run are not seen)."""
        parent = item.parent
        known = self.parents.get(parent)
        if known is None:
            where = model.place(item.nodeid)
            above = [(m.name, m.args, m.kwargs) for m in parent.iter_markers()] if parent else []
            known = self.parents[parent] = (where, above, model.read_marks(above))
        where, above, marks = known
        if not item.own_markers:
            return where, marks, parent
        own = [(m.name, m.args, m.kwargs) for m in item.own_markers]
        return where, model.read_marks(own + above), None

    def _labels(
        self, where: model.Place, marks: model.Marks, given: list[Dict], shared: object
    ) -> list[Dict]:
        """The labels after those the test gave itself: marks, tags, suites, host and
        the rest, as allure-pytest adds them; worked out once per `shared` parent, unless
        the test named a suite itself."""
        names = {label["name"] for label in given}
        cacheable = shared is not None and names.isdisjoint(model.SUITE_LABELS)
        if cacheable and (kept := self.labels_by_parent.get(shared)) is not None:
            return kept
        labels = [{"name": n, "value": v} for n, v in marks.labels]
        labels += [{"name": "tag", "value": tag} for tag in marks.tags]
        names.update(name for name, _ in marks.labels)
        labels += [{"name": n, "value": v} for n, v in model.suite_labels(where, names)]
        labels += self.fixed_labels
        labels += [{"name": "package", "value": where.package}, self.epic]
        if cacheable:
            self.labels_by_parent[shared] = labels
        return labels

    def _write_result(self, test: Dict) -> None:
        facts: tuple[model.Place, model.Marks, dict[str, Any], object] | None
        facts = test.pop("_facts", None)
        if facts is not None:
            where, marks, params, shared = facts
            history = model.history_id(test["fullName"], test["parameters"], params)
            test["historyId"] = history or test["testCaseId"]
            test["labels"] += self._labels(where, marks, test["labels"], shared)
        else:
            test["labels"].append(self.epic)
        test["parameters"].append(self.build)
        test["status"] = test["status"] or "skipped"
        result = {key: value for key, value in test.items() if value}  # as allure writes it
        for key in ("steps", "attachments", "statusDetails"):
            if key in result:
                result[key] = shape.compact(result[key])
        self.spool.put_json(f"{test['uuid']}-result.json", result)

    # --- pytest: fixtures, as Allure's set-up and tear-down ----------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
    ) -> Generator[None, Any, Any]:
        name = getattr(fixturedef.func, "__allure_display_name__", fixturedef.argname)
        _, container = self.containers.get(id(fixturedef)) or (None, None)
        if container is None:
            container = {"uuid": self.ids(), "children": [], "befores": [], "afters": []}
            self.containers[id(fixturedef)] = (fixturedef.argname, container)
        container["start"] = _now_ms()
        before = _executable(name)
        container["befores"].append(before)
        self.open.append(before)
        try:
            value = yield
        except BaseException as exc:
            _stop(before, exc)
            raise
        else:
            _stop(before, None)
        finally:
            self._close(before)
        fixturedef.addfinalizer(lambda: self._tear_down(container, name))
        return value

    def _tear_down(self, container: Dict, name: str) -> None:
        """The fixture's first finalizer to run: its tear-down starts."""
        after = _executable(name)
        container["afters"].append(after)
        self.open.append(after)

    def pytest_fixture_post_finalizer(self, fixturedef: pytest.FixtureDef[Any]) -> None:
        _, container = self.containers.pop(id(fixturedef), None) or (None, None)
        if container is not None:
            for after in container["afters"]:
                if "stop" not in after:
                    after["stop"] = _now_ms()
                    self._close(after)
            container["stop"] = _now_ms()
            self.torn_down.append(container)

    def _close_torn_down(self, status: str, details: Dict | None) -> None:
        done, self.torn_down = self.torn_down, []
        for container in done:
            for after in container["afters"]:
                after.setdefault("status", status)
                if details is not None and status != "passed":
                    after.setdefault("statusDetails", details)
            self.spool.put_json(f"{container['uuid']}-container.json", shape.compact(container))

    def _adopt(self, item: pytest.Item) -> None:
        """The test is a child of each fixture it uses that is set up now."""
        names = set(getattr(item, "fixturenames", ()))
        for argname, container in self.containers.values():
            if argname in names:
                test = self._result(item)
                children = container["children"]
                if test["uuid"] not in children:
                    children.append(test["uuid"])

    def _close(self, item: Dict) -> None:
        """`item` and whatever was opened inside it and left open are done."""
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index] is item:  # the very dict: two steps may be equal
                del self.open[index:]
                return

    # --- allure_commons: the API tests call --------------------------------------------

    @allure_commons.hookimpl
    def start_step(self, uuid: str, title: str, params: dict[str, Any]) -> None:
        if not self._open():
            return  # no test, fixture or step to hold it: allure-pytest drops it too
        step = _executable(title)
        step["parameters"] = [{"name": n, "value": v} for n, v in params.items()]
        self.open[-1]["steps"].append(step)
        self.open.append(step)
        self.steps[uuid] = step

    @allure_commons.hookimpl
    def stop_step(
        self, uuid: str, exc_type: Any, exc_val: BaseException | None, exc_tb: Any
    ) -> None:
        step = self.steps.pop(uuid, None)
        if step is not None:
            _stop(step, exc_val)
            self._close(step)

    @allure_commons.hookimpl
    def attach_data(
        self, body: str | bytes, name: str | None, attachment_type: Any, extension: str | None
    ) -> None:
        self._attach(body, name, attachment_type, extension, self._open())

    @allure_commons.hookimpl
    def attach_file(
        self, source: str, name: str | None, attachment_type: Any, extension: str | None
    ) -> None:
        self._attach(Path(source).read_bytes(), name, attachment_type, extension, self._open())

    @allure_commons.hookimpl
    def global_attach_data(
        self, body: str | bytes, name: str | None, attachment_type: Any, extension: str | None
    ) -> None:
        self._attach(body, name, attachment_type, extension, [])

    @allure_commons.hookimpl
    def global_attach_file(
        self, source: str, name: str | None, attachment_type: Any, extension: str | None
    ) -> None:
        self._attach(Path(source).read_bytes(), name, attachment_type, extension, [])

    def _attach(
        self,
        body: str | bytes,
        name: str | None,
        attachment_type: Any,
        extension: str | None,
        into: list[Dict],
    ) -> None:
        """An attachment of the innermost of `into` (test, fixture, step); with none, a
        global one, shown on the report's front page."""
        file_name, mime = model.attachment_name(self.ids(), attachment_type, extension)
        entry = {"name": name, "source": file_name, "type": mime}
        if into:
            into[-1]["attachments"].append(entry)
        else:
            self._globals("attachments", dict(entry, timestamp=_now_ms()))
        self.spool.put(file_name, body.encode("utf-8") if isinstance(body, str) else body)

    @allure_commons.hookimpl
    def global_error(self, message: str | None, trace: str | None) -> None:
        self._globals("errors", {"message": message, "trace": trace, "timestamp": _now_ms()})

    def _globals(self, kind: str, entry: Dict) -> None:
        self.spool.put_json(f"{self.ids()}-globals.json", shape.compact({kind: [entry]}))

    @allure_commons.hookimpl
    def add_title(self, test_title: str) -> None:
        if self.item is not None:
            self._result(self.item)["name"] = test_title

    @allure_commons.hookimpl
    def add_description(self, test_description: str) -> None:
        if self.item is not None:
            self._result(self.item)["description"] = test_description

    @allure_commons.hookimpl
    def add_description_html(self, test_description_html: str) -> None:
        if self.item is not None:
            self._result(self.item)["descriptionHtml"] = test_description_html

    @allure_commons.hookimpl
    def add_link(self, url: str, link_type: str, name: str | None) -> None:
        if self.item is None:
            return
        test = self._result(self.item)
        url = self.link_patterns.get(link_type, "{}").format(url)
        if all(link["url"] != url for link in test["links"]):
            test["links"].append({"type": link_type, "url": url, "name": name or url})

    @allure_commons.hookimpl
    def add_label(self, label_type: str, labels: tuple[str, ...]) -> None:
        if self.item is not None:  # an enum (allure's Severity) as the value it stands for
            self._result(self.item)["labels"] += [
                {"name": label_type, "value": value.value if isinstance(value, Enum) else value}
                for value in labels
            ]

    @allure_commons.hookimpl
    def add_parameter(self, name: str, value: Any, excluded: bool | None, mode: Any) -> None:
        if self.item is None:
            return
        parameters: list[Dict] = self._result(self.item)["parameters"]
        for parameter in parameters:
            if parameter["name"] == name:
                parameter["value"] = represent(value)
                return
        parameter = {"name": name, "value": represent(value)}
        if excluded:
            parameter["excluded"] = True
        if mode:
            parameter["mode"] = mode.value
        parameters.append(parameter)

    # --- output ------------------------------------------------------------------------

    def pytest_keyboard_interrupt(self) -> None:
        """Ctrl-C or SIGTERM: the test the run stopped in is written, broken."""
        if self.item is not None:
            if self.status is None:  # stopped before its set-up ended
                self.start_ms = self.stop_ms = _now_ms()
            if self.status in (None, "passed"):
                self.status = "broken"
                self.details = {"message": "the run stopped during this test"}
            self._finish_test()

    def close(self) -> None:
        """Before the sign-off: what is still open is written as it stands."""
        self.pytest_keyboard_interrupt()
        self.torn_down += [container for _, container in self.containers.values()]
        self.containers = {}
        self._close_torn_down("passed", None)

    def __dir__(self) -> list[str]:
        """Its hooks only: registering a plugin looks at every name it gives (pluggy with
        inspect.getattr_static, pytest for fixtures too). With all 59 names, registering
        the listener in both plugin managers took 1.6 ms here; with these 17, 1.0 ms."""
        return list(HOOKS)


# pytest's hooks (by name or mark) and allure_commons' (by mark): what AllureListener shows
HOOKS: Final = tuple(
    name
    for name, value in vars(AllureListener).items()
    if name.startswith("pytest_") or hasattr(value, "pytest_impl") or hasattr(value, "allure_impl")
)


def _status(call: pytest.CallInfo[None], report: pytest.TestReport) -> tuple[str, Dict | None]:
    """The status of a phase that raised or expected to, and what Allure says of it."""
    status: str = report.outcome
    details: Dict | None = None
    xfail: str | None = getattr(report, "wasxfail", None)
    if call.excinfo is not None:
        message = call.excinfo.exconly()
        if xfail is not None:
            message = (f"XFAIL {xfail}" if xfail else "XFAIL") + "\n\n" + message
        details = {"message": message, "trace": report.longreprtext}
        if status != "skipped" and not isinstance(call.excinfo.value, TEST_FAILURES):
            status = "broken"
    elif status == "passed" and xfail is not None:
        details = {"message": f"XPASS {xfail}" if xfail else "XPASS"}
    return status, details


def _stayed_plain(item: pytest.Item, test: Dict) -> bool:
    """The test's result, made while it ran, holds nothing of its own: no title,
    description, steps, attachments, parameters, labels or links."""
    return (
        test["name"] == item.name
        and "description" not in test
        and "descriptionHtml" not in test
        and not (test["steps"] or test["attachments"] or test["parameters"])
        and not (test["labels"] or test["links"])
    )


def start(
    config: pytest.Config, folder: Path, *, gate: str, build_id: str
) -> AllureListener | None:
    """Our listener for this session, writing into `folder`; None when allure-pytest is
    not loaded (-p no:allure_pytest): no Allure evidence then."""
    if not config.pluginmanager.has_plugin(ALLURE_PLUGIN):
        return None
    folder.mkdir(parents=True, exist_ok=True)
    spool = Spool(folder, shape.plain_result)
    listener = AllureListener(config, spool, gate=gate, build_id=build_id)
    config.pluginmanager.register(listener, "usbgate-allure")
    allure_commons.plugin_manager.register(listener)

    def stop() -> None:
        if allure_commons.plugin_manager.is_registered(listener):
            allure_commons.plugin_manager.unregister(listener)
        listener.close()
        spool.close()

    config.add_cleanup(stop)
    return listener
