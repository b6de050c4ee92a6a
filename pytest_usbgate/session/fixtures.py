"""The fixtures every gate test can use: `rig`, `gate`, `criteria`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_usbgate.errors import ConfigError, InfrastructureError, UsbgateError
from pytest_usbgate.session.state import item_gate, record_sink, session_state

if TYPE_CHECKING:
    from pytest_usbgate.config.rig import Rig
    from pytest_usbgate.gate.checker import Criteria


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
    from pytest_usbgate.config.catalog import builtin_catalog
    from pytest_usbgate.gate.checker import Criteria

    return Criteria(
        gate=gate,
        rig=rig,
        catalog=builtin_catalog(),
        test_id=request.node.nodeid,
        sink=record_sink(request.node),
    )
