"""Running a session again under umockdev's preload: the sim rig's USB testbed works only
in a process that has it. Early, when xdist workers will inherit it or the ini says so
(usbgate_sim_usb); otherwise only once collection shows that a test uses the sim, so
runs that never touch it pay nothing. A testbed inherited from a process that started
this one is never this run's: a sim run makes its own, and a real rig's run (in a
process of its own) reads the host."""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest

from pytest_usbgate.errors import ConfigError
from pytest_usbgate.session.state import EARLY_RIG, session_state, setting
from pytest_usbgate.sim.fixtures import SIM_FIXTURES
from pytest_usbgate.sim.preload import forget_inherited_testbed, reexec, reexec_command


def at_start(config: pytest.Config) -> None:
    """From pytest_cmdline_main."""
    if config.option.help:
        return
    uses_sim = _uses_sim(config)
    if uses_sim or (EARLY_RIG in config.stash and _own_process(config)):
        forget_inherited_testbed()
    if uses_sim and (_distributed(config) or config.getini("usbgate_sim_usb")):
        _reexec_preloaded(config)


def after_collection(session: pytest.Session) -> None:
    """From pytest_collection_finish: a gate run on the sim whose tests use it."""
    state = session_state(session.config)
    if state.gate is None or state.rig is None or state.rig.kind != "sim":
        return
    if all(SIM_FIXTURES.isdisjoint(getattr(item, "fixturenames", ())) for item in session.items):
        return

    def drop_this_run() -> None:
        """The next process starts the run afresh: nothing of this one stays behind."""
        if state.run is not None:
            state.run.discard()
        reporter = session.config.pluginmanager.getplugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                "usbgate: the sim rig's USB testbed needs umockdev's preload: "
                "running this session again under it"
            )

    _reexec_preloaded(session.config, drop_this_run)


def _own_process(config: pytest.Config) -> bool:
    """Whether pytest runs as this process's program (not pytest.main() inside another)."""
    return list(config.invocation_params.args) == sys.argv[1:]


def _distributed(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "numprocesses", None)) or (
        getattr(config.option, "dist", "no") != "no"
    )


def _reexec_preloaded(config: pytest.Config, before: Callable[[], None] | None = None) -> None:
    """Replace this process by the same command under the preload, if need be; `before`
    runs first (only when the process is replaced)."""
    if not _own_process(config):
        return  # pytest.main() inside another program: never replace that program
    command = reexec_command()
    if command is None:  # already preloaded, or no library (the testbed says so)
        return
    if before is not None:
        before()
    capture = config.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        capture.stop_global_capturing()
    reexec(command)


def _uses_sim(config: pytest.Config) -> bool:
    if not (setting(config, "gate") or config.getini("usbgate_sim_usb")):
        return False
    from pytest_usbgate.config.rig import load_rig, resolve_rig

    try:
        loaded = load_rig(resolve_rig(setting(config, "rig"), config.rootpath))
    except ConfigError:
        return False  # pytest_configure reports it
    config.stash[EARLY_RIG] = loaded  # pytest_configure uses it rather than load it again
    return loaded.kind == "sim"
