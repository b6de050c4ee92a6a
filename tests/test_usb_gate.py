"""The host USB capability end to end on the sim rig (umockdev testbed, replayed kernel
log): the design and bring-up USB suites pass with the model's numbers, 20 plug cycles
recover, and each host fault FAILs its criterion with a host diagnosis of its domain.
Each run is its own pytest process (its own sim)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_usbgate.sim.usb.descriptors import scarlett_4i4_gen4
from pytest_usbgate.usb.bandwidth import device_load
from pytest_usbgate.usb.descriptors import parse_descriptors

from .conftest import CHECKOUT, attachments, run_gate

DESIGN = CHECKOUT / "suites" / "design" / "test_usb_budget.py"
BRINGUP = CHECKOUT / "suites" / "bringup" / "test_usb_host.py"
IDENTITY = "suites/bringup/test_midi.py::test_controller_identity"
ENUMERATION_S = 0.1  # the sim injector's model


def _records(signoff: dict[str, Any], prefixes: tuple[str, ...]) -> dict[str, str]:
    """'usb.speed [interface]' -> verdict, for the host criteria."""
    return {
        c["id"] + (f" [{c['device']}]" if c["device"] else ""): c["verdict"]
        for c in signoff["criteria"]
        if c["id"].startswith(prefixes)
    }


def _detail(signoff: dict[str, Any], criterion: str, test: str = "") -> str:
    return "\n".join(
        c["detail"] for c in signoff["criteria"] if c["id"] == criterion and test in c["test"]
    )


def test_design_usb_budget_passes_with_the_models_load(tmp_path: Path) -> None:
    _, output, signoff = run_gate(tmp_path, DESIGN, "design")
    assert _records(signoff, ("usb.", "power.")) == {
        "usb.present [interface]": "PASS",
        "usb.present [controller]": "PASS",
        "usb.periodic_bandwidth_pct": "PASS",
        "power.autosuspend_off [interface]": "PASS",
        "power.port_budget_pct [interface]": "PASS",
        "power.autosuspend_off [controller]": "PASS",
        "power.port_budget_pct [controller]": "PASS",
    }, output[-3000:]
    expected = device_load("x", 1, parse_descriptors(scarlett_4i4_gen4().sysfs), 480.0, 48000)
    (bandwidth,) = [c for c in signoff["criteria"] if c["id"] == "usb.periodic_bandwidth_pct"]
    assert bandwidth["value"] == pytest.approx(expected.share_pct, abs=1e-9)  # 8.5328 %
    assert "interface (1235:821a Scarlett 4i4 4th Gen at 1-1" in bandwidth["detail"]
    assert "EP 0x01 isochronous (interface 1 alt 1): 168 B" in bandwidth["detail"]


def test_bringup_usb_passes_and_20_plug_cycles_recover(tmp_path: Path) -> None:
    _, output, signoff = run_gate(tmp_path, BRINGUP, "bringup")
    host = _records(signoff, ("usb.", "power.", "kernel."))
    assert set(host.values()) == {"PASS"}, output[-3000:]
    assert {k.split(" ")[0] for k in host} == {
        "usb.present",
        "usb.speed",
        "usb.descriptors_valid",
        "power.autosuspend_off",
        "usb.enumeration_s",
        "usb.recovery_p95_s",
        "kernel.usb_errors",
    }
    recovery = _detail(signoff, "usb.recovery_p95_s")
    assert "20 of 20 cycles recovered" in recovery, recovery
    values = {c["id"]: c["value"] for c in signoff["criteria"]}
    # the model re-enumerates after 0.1 s; polling (2 ms) and a busy machine add a little
    assert ENUMERATION_S <= values["usb.enumeration_s"] < 1.0
    assert ENUMERATION_S <= values["usb.recovery_p95_s"] < 1.0
    kind, trace_file = attachments(tmp_path, "bringup", "test_usb_plug_cycle_recovery")[
        "plug-cycle trace"
    ]
    trace = [json.loads(line) for line in trace_file.read_text().splitlines()]
    assert kind == "application/json"
    assert [e["event"] for e in trace if e["cycle"] == 1] == [
        "disconnect",
        "gone",
        "reconnect",
        "enumerated",
        "usable",
    ]
    assert len(trace) == 100 and {e["cycle"] for e in trace} == set(range(1, 21))
    assert all(set(e) == {"t_s", "cycle", "event", "object", "delta_s", "reason"} for e in trace)
    devices = {d["id"]: d for d in signoff["devices"]}
    assert devices["interface"]["serial"] == "S4I4SIM0000001"
    assert devices["interface"]["firmware"] == "2128"  # from the kernel log
    assert (devices["interface"]["port"], devices["interface"]["speed_mbps"]) == ("1-1", 480.0)
    assert (devices["controller"]["port"], devices["controller"]["speed_mbps"]) == ("1-2", 12.0)


@pytest.mark.parametrize(
    ("fault", "criterion", "domain", "message"),
    [
        (
            "usb-missing",
            "usb.present",
            "usb",
            "controller: Arturia KeyLab mkII 88 (1c75:02cb) not found; the host has: "
            "1235:821a Scarlett 4i4 4th Gen at 1-1",
        ),
        ("usb-full-speed", "usb.speed", "usb", "usb.speed [interface] = 12.0 Mb/s < 480.0 Mb/s"),
        ("usb-autosuspend", "power.autosuspend_off", "power", "power/control=auto, delay 2000 ms"),
        (
            "kernel-errors",
            "kernel.usb_errors",
            "kernel",
            "descriptor_read_error -110 (ETIMEDOUT) at 1-1",
        ),
    ],
)
def test_host_faults_fail_with_a_host_diagnosis(
    tmp_path: Path, fault: str, criterion: str, domain: str, message: str
) -> None:
    extra = [str(CHECKOUT / IDENTITY)] if fault == "usb-missing" else []
    code, output, signoff = run_gate(
        tmp_path, BRINGUP, "bringup", *extra, f"--usbgate-fault={fault}"
    )
    assert code != 0
    assert signoff["verdict"] == "FAIL", (signoff["incomplete_reasons"], output[-3000:])
    failed = {c["id"] for c in signoff["criteria"] if c["verdict"] == "FAIL"}
    assert criterion in failed, output[-3000:]
    assert (signoff["diagnosis"]["layer"], signoff["diagnosis"]["domain"]) == ("host", domain)
    assert f"diagnosis: host / {domain}: {criterion}" in output
    assert message in output, output[-3000:]
    if fault == "usb-missing":  # its MIDI ports went with it: the application fails too
        assert "midi.identity" in failed
    else:
        assert failed == {criterion}, failed


NAMED = """
import pytest

pytestmark = pytest.mark.gate("bringup")


def test_scarlett(scarlett_4i4):
    assert (scarlett_4i4.usb_id, scarlett_4i4.port_path, scarlett_4i4.speed_mbps) == (
        "1235:821a", "1-1", 480.0)
    assert scarlett_4i4.serial == "S4I4SIM0000001"


def test_keylab(keylab_mkii):
    assert (keylab_mkii.usb_id, keylab_mkii.port_path) == ("1c75:02cb", "1-2")
"""


@pytest.mark.parametrize("fault", [None, "usb-missing"])
def test_named_device_fixtures(tmp_path: Path, fault: str | None) -> None:
    suite = tmp_path / "test_named.py"
    suite.write_text(NAMED)
    args = ["-v", *([f"--usbgate-fault={fault}"] if fault else [])]
    _, output, signoff = run_gate(tmp_path, suite, "bringup", *args)
    outcomes = {t.split("::")[-1]: s for t, s in _outcomes(output).items()}
    assert outcomes["test_scarlett"] == "PASSED", output[-3000:]
    if fault is None:
        assert outcomes["test_keylab"] == "PASSED", output[-3000:]
        return
    assert outcomes["test_keylab"] == "ERROR"  # the fixture FAILs usb.present at setup
    assert signoff["verdict"] == "FAIL"
    (record,) = [c for c in signoff["criteria"] if c["id"] == "usb.present"]
    assert (record["device"], record["verdict"]) == ("controller", "FAIL")
    assert "KeyLab mkII 88 (1c75:02cb) not found; the host has: 1235:821a" in record["detail"]


def _outcomes(output: str) -> dict[str, str]:
    found = {}
    for line in output.splitlines():
        parts = line.split(" ")
        if len(parts) >= 2 and parts[1] in ("PASSED", "FAILED", "ERROR") and "::" in parts[0]:
            found[parts[0]] = parts[1]
    return found


def test_a_real_rig_with_nothing_plugged_in_fails_on_presence_and_measures_no_nan(
    tmp_path: Path,
) -> None:
    """A newcomer's first run on a real rig with no device attached: usb.present FAILs
    (host / usb); what needs a device is NOT_MEASURED saying why, never NaN. The run
    reads this host, not the sim testbed of the process that started it."""
    rig = CHECKOUT / "rigs" / "studio-passthrough.toml"
    code, output, signoff = run_gate(tmp_path, DESIGN, "design", f"--rig={rig}")
    if "PASS" in _records(signoff, ("usb.present",)).values():
        pytest.skip("a rig device is plugged into this host")
    assert code == 1
    assert _records(signoff, ("usb.present",)) == {
        "usb.present [interface]": "FAIL",
        "usb.present [controller]": "FAIL",
    }
    unmeasured = {
        c["id"]: (c["value"], c["detail"])
        for c in signoff["criteria"]
        if c["test"] and c["verdict"] == "NOT_MEASURED"
    }
    assert unmeasured == {
        "usb.periodic_bandwidth_pct": (None, "no rig device on the host"),
        "power.autosuspend_off": (None, "no rig device on the host"),
    }
    assert "nan" not in output and "is not a number" not in output
    assert signoff["verdict"] == "FAIL"
    assert (signoff["diagnosis"]["layer"], signoff["diagnosis"]["domain"]) == ("host", "usb")
    assert "usb.periodic_bandwidth_pct not measured (rig studio-passthrough, design)" in output
