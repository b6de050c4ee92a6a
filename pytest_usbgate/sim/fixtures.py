"""The sim rig's fixtures: `sim` (its services, started when the first test needs them),
`rig_sim` (the sim, or None on a real rig) and `serial_port`.

A fixture that needs the sim's services when the rig is the sim rig asks for `rig_sim`:
pytest then knows before the run which tests need the sim. The sim's modules are
imported in the fixture, not here: loading the plugin stays cheap."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest

from pytest_usbgate.errors import InfrastructureError
from pytest_usbgate.session.state import session_state

if TYPE_CHECKING:
    from pytest_usbgate.config.rig import Rig
    from pytest_usbgate.sim.session import SimSession

SIM_FIXTURES: Final = frozenset({"sim", "rig_sim"})  # a test using either starts the sim

_RUNNING: list[SimSession] = []  # one sim per process: a testbed is process-wide


@pytest.fixture(scope="session")
def sim(pytestconfig: pytest.Config, rig: Rig) -> Iterator[SimSession]:
    """The sim rig's running services for this session (this xdist worker). A pytest
    session inside another one (pytester) shares the outer session's sim."""
    if rig.kind != "sim":
        raise InfrastructureError(
            f"this test needs the sim rig; rig {rig.name} ({rig.path}) is a real rig"
        )
    state = session_state(pytestconfig)
    if _RUNNING:
        outer = _RUNNING[-1]
        if outer.plan.faults != state.faults:
            raise InfrastructureError(
                "a sim with other faults already runs in this process; run this session "
                "in its own process (pytester.runpytest_subprocess)"
            )
        state.sim_line = outer.describe()
        yield outer
        return
    from pytest_usbgate.sim.session import SimSession, plan

    session = SimSession(plan(rig, state.faults)).start()
    _RUNNING.append(session)
    state.sim_line = session.describe()
    try:
        yield session
    finally:
        _RUNNING.remove(session)
        session.stop()


@pytest.fixture(scope="session")
def rig_sim(rig: Rig, request: pytest.FixtureRequest) -> SimSession | None:
    """The running sim when the rig is the sim rig (started if need be); None on a real
    rig."""
    if rig.kind != "sim":
        return None
    session: SimSession = request.getfixturevalue("sim")
    return session


@pytest.fixture
def serial_port(rig: Rig, rig_sim: SimSession | None) -> Path:
    """A CDC ACM port to open with pyserial (on the sim: a pty that echoes)."""
    if rig_sim is not None:
        assert rig_sim.serial is not None
        return rig_sim.serial.path
    raise InfrastructureError(f"rig {rig.name}: no serial port configured")
