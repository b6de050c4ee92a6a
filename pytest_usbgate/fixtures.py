"""Fixtures every gate test can use: `rig`, `gate`, `criteria`; the rig's audio loop
(`audio_loopback`) and MIDI ports (`midi_loopback`, `midi_identity`); the sim rig's
services (`sim`, started when the first test needs it) and its `serial_port`.

A fixture that needs the sim's services when the rig is the sim rig asks for `rig_sim`
(None on a real rig): pytest then knows before the run which tests need the sim.
Hardware and sim modules are imported in the fixtures, not here: loading the plugin
stays cheap for runs that never use them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest

from pytest_usbgate.catalog import builtin_catalog
from pytest_usbgate.checker import Criteria
from pytest_usbgate.errors import ConfigError, InfrastructureError, UsbgateError
from pytest_usbgate.rig import Rig
from pytest_usbgate.state import item_gate, record_sink, session_state

if TYPE_CHECKING:
    from pytest_usbgate.io.audio import AudioLoop
    from pytest_usbgate.io.midi import MidiDevice
    from pytest_usbgate.sim.session import SimSession

SIM_FIXTURES: Final = frozenset({"sim", "rig_sim"})  # a test using either starts the sim


@pytest.fixture(scope="session")
def rig(pytestconfig: pytest.Config) -> Rig:
    """The rig this run is on (`--rig`, default sim), loaded and validated."""
    try:
        return session_state(pytestconfig).load_rig()
    except ConfigError as exc:
        raise InfrastructureError(str(exc)) from None


@pytest.fixture
def gate(request: pytest.FixtureRequest) -> str:
    """The gate this test belongs to (its marker or suites/<gate>/ folder, or --gate)."""
    name = item_gate(request.node) or session_state(request.config).gate
    if name is None:
        raise UsbgateError(
            f"{request.node.nodeid} belongs to no gate: mark it "
            "@pytest.mark.gate(...), put it under suites/<gate>/, or run with --gate"
        )
    return name


@pytest.fixture
def criteria(request: pytest.FixtureRequest, rig: Rig, gate: str) -> Criteria:
    """Judge measurements against this rig's limits for this test's gate."""
    return Criteria(
        gate=gate,
        rig=rig,
        catalog=builtin_catalog(),
        test_id=request.node.nodeid,
        sink=record_sink(request.node),
    )


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


def _midi(rig: Rig, key: str, session: SimSession | None) -> MidiDevice:
    from pytest_usbgate.io.midi import rig_midi

    device = rig_midi(rig, key)
    if device is None:
        pytest.skip(f"rig {rig.name} has no [{key}]")
    if session is not None:  # its ports live on the sim's JACK server
        device = replace(device, port=replace(device.port, host_xruns=session.xruns_ns))
    return device


@pytest.fixture
def midi_loopback(rig: Rig, rig_sim: SimSession | None) -> MidiDevice:
    """The rig's MIDI loop (out -> in, e.g. the 4i4's DIN out cabled to its DIN in):
    `with midi_loopback.port.open() as ports:` opens it by name and always releases it."""
    return _midi(rig, "midi.loopback", rig_sim)


@pytest.fixture
def midi_identity(rig: Rig, rig_sim: SimSession | None) -> MidiDevice:
    """The device that must answer the identity request, with what its reply must say."""
    return _midi(rig, "midi.identity", rig_sim)


@pytest.fixture
def audio_loopback(rig: Rig, rig_sim: SimSession | None) -> AudioLoop:
    """The rig's audio cable (e.g. the 4i4's line out 1 -> line in 3): `take(stimulus)`
    plays and records in one duplex stream, closed on every path."""
    from pytest_usbgate.io.audio import rig_audio

    loop = rig_audio(rig)
    if loop is None:
        pytest.skip(f"rig {rig.name} has no [audio.loopback]")
    if rig_sim is not None:  # its device lives on the sim's JACK server
        loop = replace(loop, host_xruns=rig_sim.xruns)
    return loop
