"""Allure results for a gate run: allure-pytest's listener builds them, this logger
writes them. The files are those allure-pytest's own `AllureFileLogger` writes (one JSON
file per result, container and attachment), handed to a `Spool` so the tests do not wait
on the file system; each test result is stamped with the gate (epic) and the build (an
excluded parameter, so Allure's history stays continuous across builds)."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import allure_commons
import attr
import pytest
from allure_commons.logger import INDENT
from allure_commons.model2 import Label, Parameter, TestResult
from allure_commons.utils import represent

from pytest_usbgate.evidence.spool import Spool

ALLURE_PLUGIN = "allure_pytest"


_FIELDS: dict[type, tuple[str, ...]] = {}


def _plain(item: Any) -> dict[str, Any]:
    """One allure model object as `attr.asdict(item, filter=...)` gives it to allure's
    own logger: its fields in order, without empty values (False stays); the JSON
    encoder calls this for each nested model object."""
    names = _FIELDS.get(type(item))
    if names is None:
        names = _FIELDS[type(item)] = tuple(a.name for a in attr.fields(type(item)))
    return {n: v for n in names if (v := getattr(item, n)) or v is False}


def encoder(indent: int | None) -> json.JSONEncoder:
    """Gives the JSON text AllureFileLogger writes for a model object. One per session:
    `json.dumps(default=…)` makes a new encoder per call. The model is a tree, so the
    check for cycles is off (a quarter of the time)."""
    return json.JSONEncoder(default=_plain, indent=indent, ensure_ascii=False, check_circular=False)


class AllureResults:
    """An allure_commons logger (see allure_commons._hooks.AllureLoggerHookSpec)."""

    def __init__(self, spool: Spool, *, gate: str, build_id: str) -> None:
        self.spool = spool
        self.encode = encoder(INDENT if os.environ.get("ALLURE_INDENT_OUTPUT") else None).encode
        self.epic = Label(name="epic", value=gate)
        self.build = Parameter(
            name="build",
            value=represent(build_id),  # type: ignore[no-untyped-call]
            excluded=True,
        )

    def _item(self, item: Any) -> None:
        name = item.file_pattern.format(prefix=uuid.uuid4())
        self.spool.put(name, self.encode(item).encode("utf-8"))

    @allure_commons.hookimpl
    def report_result(self, result: TestResult) -> None:
        result.labels.append(self.epic)
        result.parameters.append(self.build)
        self._item(result)

    @allure_commons.hookimpl
    def report_container(self, container: Any) -> None:
        self._item(container)

    @allure_commons.hookimpl
    def report_globals(self, globals_item: Any) -> None:
        self._item(globals_item)

    @allure_commons.hookimpl
    def report_attached_file(self, source: str, file_name: str) -> None:
        self.spool.put(file_name, Path(source).read_bytes())

    @allure_commons.hookimpl
    def report_attached_data(self, body: str | bytes, file_name: str) -> None:
        self.spool.put(file_name, body.encode("utf-8") if isinstance(body, str) else body)


def start(config: pytest.Config, folder: Path, *, gate: str, build_id: str) -> Spool | None:
    """allure-pytest's listener and our logger for this session, writing into `folder`;
    None when allure-pytest is not loaded (-p no:allure_pytest)."""
    if not config.pluginmanager.has_plugin(ALLURE_PLUGIN):
        return None
    from allure_pytest.listener import AllureListener  # type: ignore[import-untyped]

    folder.mkdir(parents=True, exist_ok=True)
    listener = AllureListener(config)
    spool = Spool(folder)
    logger = AllureResults(spool, gate=gate, build_id=build_id)
    config.pluginmanager.register(listener, "allure_listener")
    allure_commons.plugin_manager.register(listener)
    allure_commons.plugin_manager.register(logger)

    def stop() -> None:
        for plugin in (listener, logger):
            if allure_commons.plugin_manager.is_registered(plugin):
                allure_commons.plugin_manager.unregister(plugin)
        spool.close()

    config.add_cleanup(stop)
    return spool
