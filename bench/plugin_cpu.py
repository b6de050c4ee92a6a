"""A pytest plugin for bench/overhead.py (`-p plugin_cpu`, bench/ on PYTHONPATH): the CPU
time (this thread's) spent in pytest-usbgate's own code during a gate run: every hook
implementation of its plugins, the criteria sink (records and their Allure stamps), and
the run's begin (metadata, unsealed sign-off) and finish (verdict, sealed sign-off with
its manifest). Written as JSON to $PLUGIN_CPU_OUT at the end."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Generator
from functools import partial
from typing import Any

import pytest

from pytest_usbgate.gate.checker import Criteria
from pytest_usbgate.session.run import GateRun

SPENT_S: dict[str, float] = {}


def _add(name: str, began: float) -> None:
    SPENT_S[name] = SPENT_S.get(name, 0.0) + time.thread_time() - began


def _timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        began = time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            _add(name, began)

    return timed


def _timed_wrapper(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """A hook wrapper (a generator) timed in each of its steps, not while it waits."""

    def timed(*args: Any) -> Generator[Any, Any, Any]:
        began = time.thread_time()
        gen = function(*args)
        try:
            value = next(gen)
        finally:
            _add(name, began)
        while True:
            try:
                step: Callable[[], Any] = partial(gen.send, (yield value))
            except BaseException as exc:  # handed on to the wrapper
                step = partial(gen.throw, exc)
            began = time.thread_time()
            try:
                value = step()
            except StopIteration as stop:
                return stop.value
            finally:
                _add(name, began)

    return timed


Criteria.judge = _timed("criteria.judge", Criteria.judge)  # type: ignore[method-assign]
GateRun.begin = _timed("run.begin", GateRun.begin)  # type: ignore[method-assign]
GateRun.finish = _timed("run.finish", GateRun.finish)  # type: ignore[method-assign]


def pytest_plugin_registered(plugin: object, plugin_name: str, manager: Any) -> None:
    """Wrap each hook implementation of our plugins (historic: earlier ones too)."""
    module = getattr(plugin, "__module__", None) or getattr(plugin, "__name__", "")
    if not str(module).startswith("pytest_usbgate") or plugin_name == "plugin_cpu":
        return
    for caller in manager.get_hookcallers(plugin) or []:
        for impl in caller.get_hookimpls():
            if impl.plugin is plugin:
                name = f"hook {caller.name}"
                wrap = _timed_wrapper if (impl.wrapper or impl.hookwrapper) else _timed
                impl.function = wrap(name, impl.function)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    out = os.environ.get("PLUGIN_CPU_OUT")
    if out:
        with open(out, "w") as fh:
            json.dump(SPENT_S, fh)
