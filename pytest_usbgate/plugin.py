"""pytest hooks: options, markers, the fixtures, gate selection; a gate run's own hooks
(records, verdict, sign-off, exit status) come from `session.gate_run`, loaded only when
a gate runs, so that ordinary test runs pay next to nothing for the plugin.

Knows pytest, and nothing about audio, MIDI or USB.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_usbgate.audio.fixtures import audio_loopback  # noqa: F401  (fixtures)
from pytest_usbgate.gate.names import GATES
from pytest_usbgate.midi.fixtures import midi_identity, midi_loopback  # noqa: F401
from pytest_usbgate.session.fixtures import criteria, gate, rig  # noqa: F401
from pytest_usbgate.session.state import (
    EARLY_RIG,
    STATE,
    SessionState,
    item_gate,
    session_state,
    setting,
)
from pytest_usbgate.sim import rerun
from pytest_usbgate.sim.fixtures import rig_sim, serial_port, sim  # noqa: F401
from pytest_usbgate.usb.fixtures import (  # noqa: F401  (fixtures)
    kernel_log,
    keylab_mkii,
    plug_injector,
    scarlett_4i4,
    usb_device,
    usb_devices,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("usbgate", "USB audio/MIDI release gates (pytest-usbgate)")
    group.addoption(
        "--gate",
        choices=GATES,
        default=None,
        help="run this gate's tests only and judge the gate verdict",
    )
    group.addoption(
        "--rig", default=None, metavar="NAME|PATH", help="rig file or name in rigs/ (default: sim)"
    )
    group.addoption(
        "--build-id",
        default=None,
        metavar="ID",
        help="build id for reports (default: USBGATE_BUILD_ID, CI build number, "
        "or git describe + time)",
    )
    group.addoption(
        "--reports-dir",
        default=None,
        metavar="DIR",
        help="where reports/<build>/<gate>/ go (default: reports)",
    )
    group.addoption(
        "--usbgate-fault",
        action="append",
        default=[],
        metavar="NAME",
        help="sim rig only: break one layer on purpose (repeatable); "
        "`usbgate faults` lists the catalog",
    )
    parser.addini("usbgate_gate", "default --gate", default="")
    parser.addini(
        "usbgate_sim_usb",
        "start the sim rig's USB testbed (umockdev preload) even without --gate",
        type="bool",
        default=False,
    )
    parser.addini("usbgate_rig", "default --rig", default="sim")
    parser.addini("usbgate_reports_dir", "default --reports-dir", default="reports")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    rerun.at_start(config)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    rerun.after_collection(session)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "gate(name): the gate (design, bringup, production) this test belongs to"
    )
    gate_name = setting(config, "gate") or None
    if gate_name is not None and gate_name not in GATES:
        raise pytest.UsageError(f"usbgate_gate = {gate_name!r}: expected one of {', '.join(GATES)}")
    state = SessionState(
        gate=gate_name,
        rig_spec=setting(config, "rig"),
        rootdir=config.rootpath,
        rig=config.stash.get(EARLY_RIG, None),
    )
    config.stash[STATE] = state
    faults = config.getoption("usbgate_fault")
    if faults:
        from pytest_usbgate.sim.faults import catalog_lines, parse_faults

        try:
            state.faults = parse_faults(faults)
        except ValueError as exc:
            raise pytest.UsageError(f"{exc}\n" + "\n".join(catalog_lines())) from None
    if gate_name is None and not state.faults:
        return  # no gate: stay out of the way of ordinary test runs
    from pytest_usbgate.session import gate_run  # a gate run's machinery, for gate runs only

    gate_run.configure(config, state)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist: hand each worker the build id and the Allure folder."""
    state = session_state(node.config)
    if state.gate is not None:
        node.workerinput["usbgate"] = {
            "build_id": state.build_id,
            "allure_dir": str(state.allure_dir),
        }


def pytest_report_header(config: pytest.Config) -> list[str]:
    state = session_state(config)
    if state.gate is None or state.rig is None:
        return []
    bench = state.rig
    devices = (
        ", ".join(
            f"{d.id}={d.profile.name} {d.profile.vendor_id}:{d.profile.product_id}"
            for d in bench.devices
        )
        or "none"
    )
    lines = [
        f"usbgate: gate {state.gate}, rig {bench.name} ({bench.path}), build {state.build_id}",
        f"usbgate devices: {devices}",
    ]
    if state.faults:
        lines.append(f"usbgate faults (sim): {', '.join(sorted(state.faults))}")
    return lines


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = session_state(config)
    if state.gate is None:
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        (keep if item_gate(item) == state.gate else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    from pytest_usbgate.session import gate_run

    gate_run.stamp_epic(keep, state.gate)
