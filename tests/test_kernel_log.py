"""The kernel-log classifier on a recorded log holding every pattern of DOMAIN.md §3,
in dmesg and journalctl form, with the kinds and errnos expected of each line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_usbgate.cli import main
from pytest_usbgate.usb.kernel_log import classify, classify_line, errors

from .conftest import CHECKOUT, PACKAGE

LOG = CHECKOUT / "fixtures" / "kernel-log" / "usb-patterns.log"
EXPECTED = [  # (line, kind, errno, device, severity, domain)
    (1, "enumeration_start", None, "1-4", "info", "usb"),
    (2, "descriptor_read_error", -110, "1-4", "error", "usb"),
    (3, "descriptor_read_error", -71, "1-4", "error", "usb"),
    (4, "descriptor_read_error", -32, "1-4", "error", "usb"),
    (5, "address_error", -71, "1-4", "error", "usb"),
    (6, "enumeration_failed", None, "usb1-port4", "error", "usb"),
    (7, "port_enable_failed", None, "usb1-port4", "error", "usb"),
    (8, "enumeration_start", None, "1-4", "info", "usb"),
    (9, "enumeration_success", None, "1-4", "info", "usb"),
    (11, "enumeration_start", None, "1-4.2", "info", "usb"),
    (12, "wrong_speed", None, "1-4.2", "warning", "usb"),
    (13, "insufficient_power", None, "1-4", "error", "power"),
    (14, "over_current", None, "usb1-port3", "error", "power"),
    (15, "claimed_by_host_driver", None, "1-4", "error", "usb"),
    (16, "control_timeout", -110, "1-4", "error", "usb"),
    (17, "reset", None, "1-4", "warning", "usb"),
    (18, "xhci_ring_desync", None, "0000:00:14.0", "error", "usb"),
    (19, "xhci_ring_desync", None, "0000:00:14.0", "error", "usb"),
    (20, "controller_dead", None, "0000:00:14.0", "error", "usb"),
    (21, "controller_dead", None, "0000:00:14.0", "error", "usb"),
    (22, "disconnect", None, "1-4", "warning", "usb"),
]


def test_every_pattern_with_kind_errno_device_and_domain() -> None:
    events = classify(LOG.read_text())
    assert [(e.line, e.kind, e.errno, e.device, e.severity, e.domain) for e in events] == EXPECTED
    assert all(e.layer == "host" for e in events)
    names = {e.errno: e.errno_name for e in events if e.errno is not None}
    assert names == {-110: "ETIMEDOUT", -71: "EPROTO", -32: "EPIPE"}


def test_lines_that_are_not_usb_events_are_not_events() -> None:
    assert classify_line("snd_hda_intel 0000:00:1f.3: not a USB line at all") is None
    assert classify_line("usb 1-1: Product: Scarlett 4i4 4th Gen") is None
    assert classify_line("") is None


def test_errors_for_the_rigs_devices() -> None:
    events = classify(LOG.read_text())
    assert errors(events, {"1-4.2"}) == []  # a wrong speed is a warning, not an error
    assert [e.line for e in errors(events, {"1-4"})] == [2, 3, 4, 5, 13, 15, 16]
    assert len(errors(events)) == sum(1 for *_, severity, _ in EXPECTED if severity == "error")


def test_the_sims_kernel_errors_fault_log() -> None:
    log = PACKAGE / "sim" / "data" / "kernel-log" / "enumeration-errors.log"
    found = [(e.kind, e.errno, e.device) for e in errors(classify(log.read_text()))]
    assert found == [("descriptor_read_error", -110, "1-1")] * 2
    clean = PACKAGE / "sim" / "data" / "kernel-log" / "enumeration.log"
    assert errors(classify(clean.read_text())) == []


def test_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kernel-log", "classify", str(LOG), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(e["line"], e["kind"], e["errno"]) for e in listed] == [
        (line, kind, errno) for line, kind, errno, *_ in EXPECTED
    ]
    assert main(["kernel-log", "classify", str(tmp_path / "none.log")]) == 2
    assert capsys.readouterr().err.startswith(f"{tmp_path / 'none.log'}: cannot read:")
