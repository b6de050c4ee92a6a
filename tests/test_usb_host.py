"""Host USB, the pure parts with exact expectations: periodic bandwidth (the kernel's
transaction times), descriptors against profiles, power policy, udev rules, matching
rig devices to host devices, kernel-log records and recovery statistics; and the file
and /dev/kmsg readers on real files."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from pytest_usbgate.cli import main
from pytest_usbgate.config.profiles import load_profile
from pytest_usbgate.config.rig import Device, Rig
from pytest_usbgate.sim.usb import descriptors as build
from pytest_usbgate.sim.usb.descriptors import keylab_mkii_88, scarlett_4i4_gen4
from pytest_usbgate.usb.bandwidth import bus_loads, device_load, transaction_ns
from pytest_usbgate.usb.descriptors import parse_descriptors
from pytest_usbgate.usb.host import HostDevice, list_devices
from pytest_usbgate.usb.inject import AuthorizedToggle, hub_and_port
from pytest_usbgate.usb.kernel_log import firmware_versions
from pytest_usbgate.usb.kmsg import FileSource, KernelLog, KmsgSource, kmsg_record
from pytest_usbgate.usb.match import match_devices
from pytest_usbgate.usb.power import (
    cmdline_autosuspend_s,
    port_budget_pct,
    power_state,
)
from pytest_usbgate.usb.profile_match import profile_problems
from pytest_usbgate.usb.recovery import Cycle, RecoveryStats, nearest_rank
from pytest_usbgate.usb.udev import parse_usb_id, power_rules

SCARLETT = load_profile("focusrite-scarlett-4i4-gen4")
KEYLAB = load_profile("arturia-keylab-mkii-88")


# --- bandwidth --------------------------------------------------------------------------


def test_transaction_times_are_the_kernels() -> None:
    # HS_NSECS_ISO(168) = (38*8*2083 + 2083*(3 + 7*8*168/6)) / 1000 + 5
    assert transaction_ns(True, True, False, 168) == 3910
    assert transaction_ns(True, True, True, 4) == 721
    assert transaction_ns(True, False, True, 6) == 1044  # HS_NSECS: 55-byte overhead
    # full speed: (8354 * (31 + 10 * BitTime)) / 1000 + 7268 (in) or 6265 (out) + 1000
    assert transaction_ns(False, True, True, 192) == 7268 + 1000 + 8354 * (31 + 10 * 1792) // 1000
    assert transaction_ns(False, False, True, 8) == 9107 + 1000 + 8354 * (31 + 740) // 1000


def test_scarlett_at_48k_uses_8_53_percent_of_a_microframe() -> None:
    tree = parse_descriptors(scarlett_4i4_gen4().sysfs)
    load = device_load("4i4", 1, tree, 480.0, 48000)
    # (6 + 1) frames x 6 channels x 4 bytes = 168 B per microframe each way, plus the
    # feedback (4 B) and two interrupt endpoints (6 B, 8 B): 3910 + 3910 + 721 + 1044 + 1081
    assert {e.address: e.payload_bytes for e in load.endpoints} == {
        0x83: 6,
        0x01: 168,
        0x81: 4,
        0x82: 168,
        0x84: 8,
    }
    assert sum(e.time_ns for e in load.endpoints) == 10666
    assert load.share_pct == pytest.approx(100 * 10.666 / 125, abs=1e-9)


def test_the_rate_sets_the_payload_up_to_the_endpoints_maximum() -> None:
    tree = parse_descriptors(scarlett_4i4_gen4().sysfs)
    at_192k = device_load("4i4", 1, tree, 480.0, 192000)
    assert [e.payload_bytes for e in at_192k.endpoints if e.address in (0x01, 0x82)] == [600, 600]
    at_44k1 = device_load("4i4", 1, tree, 480.0, 44100)  # 5.5125 per microframe -> 6 + 1
    assert [e.payload_bytes for e in at_44k1.endpoints if e.address == 0x01] == [168]


def test_a_full_speed_scarlett_overcommits_its_frame() -> None:
    tree = parse_descriptors(scarlett_4i4_gen4().sysfs)
    load = device_load("4i4", 1, tree, 12.0, 48000)
    assert load.domain == "full" and load.share_pct > 90.0
    keylab = device_load("keylab", 1, parse_descriptors(keylab_mkii_88().sysfs), 12.0, 48000)
    assert keylab.endpoints == ()  # bulk only
    (bus,) = bus_loads([load, keylab])
    assert bus.domain == "full" and bus.used_pct == pytest.approx(load.share_pct)
    assert bus.limit_pct == 90.0


def test_buses_and_speeds_are_separate_domains() -> None:
    tree = parse_descriptors(scarlett_4i4_gen4().sysfs)
    loads = [
        device_load("a", 2, tree, 480.0, 48000),
        device_load("b", 1, tree, 480.0, 48000),
        device_load("c", 1, parse_descriptors(keylab_mkii_88().sysfs), 12.0, 48000),
        device_load("d", 1, tree, 480.0, 96000),
    ]
    buses = bus_loads(loads)
    assert [(b.bus, b.domain, [d.name for d in b.devices]) for b in buses] == [
        (1, "full", ["c"]),
        (1, "high", ["b", "d"]),
        (2, "high", ["a"]),
    ]
    assert buses[1].used_pct == pytest.approx(loads[1].share_pct + loads[3].share_pct)


# --- descriptors against the profile ---------------------------------------------------


def test_the_modelled_devices_meet_their_profiles() -> None:
    assert profile_problems(parse_descriptors(scarlett_4i4_gen4().sysfs), SCARLETT) == []
    assert profile_problems(parse_descriptors(keylab_mkii_88().sysfs), KEYLAB) == []


def test_what_a_profile_misses_is_named() -> None:
    assert profile_problems(parse_descriptors(keylab_mkii_88().sysfs), SCARLETT) == [
        "device descriptor says 1c75:02cb; the profile is 1235:821a",
        "no isochronous OUT endpoint on an AudioStreaming interface (playback)",
        "no isochronous IN endpoint on an AudioStreaming interface (capture)",
    ]
    assert profile_problems(parse_descriptors(scarlett_4i4_gen4().sysfs), KEYLAB) == [
        "device descriptor says 1235:821a; the profile is 1c75:02cb",
        "1 embedded MIDI IN jack(s); the profile has 2 port(s)",
        "1 embedded MIDI OUT jack(s); the profile has 2 port(s)",
    ]


def test_a_stereo_capture_interface_is_short_of_channels() -> None:
    body = build.interface(0, 0, 0, 1, 1, 0x20)
    for number, address in ((1, 0x01), (2, 0x81)):
        body += build.interface(number, 1, 1, 1, 2, 0x20)
        body += build.uac2_as_general(1, 6 if address == 0x01 else 2)
        body += build.uac2_format_type_i(4, 24) + build.endpoint(address, 0x05, 600, 1)
    body += build.interface(3, 0, 2, 1, 3, 0) + build.midi_endpoints(0x02, 0x82, 512, 1)
    data = scarlett_4i4_gen4().device + build.configuration(
        body, interfaces=4, attributes=0x80, max_power_ma=500
    )
    assert profile_problems(parse_descriptors(data), SCARLETT) == [
        "capture carries 2 channel(s); the profile has 6"
    ]


# --- power ------------------------------------------------------------------------------


def test_power_state_from_sysfs_text() -> None:
    state = power_state(
        {
            "power/control": "auto\n",
            "power/autosuspend_delay_ms": "2000",
            "power/runtime_status": "suspended",
            "authorized": "1",
            "bMaxPower": "500mA",
            "speed": "480",
        }
    )
    assert not state.autosuspend_off
    assert (state.autosuspend_delay_ms, state.runtime_status, state.authorized) == (
        2000,
        "suspended",
        True,
    )
    assert port_budget_pct(state) == 100.0
    assert port_budget_pct(power_state({"bMaxPower": "500mA", "speed": "5000"})) == pytest.approx(
        500 / 9
    )
    assert power_state({"power/control": "on"}).autosuspend_off
    assert port_budget_pct(power_state({"bMaxPower": "?"})) is None


def test_kernel_command_line_autosuspend() -> None:
    assert cmdline_autosuspend_s("quiet usbcore.autosuspend=-1 splash") == -1
    assert cmdline_autosuspend_s("usbcore.autosuspend=5 usbcore.autosuspend=-1") == -1
    assert cmdline_autosuspend_s("quiet xusbcore.autosuspend=-1") is None
    assert cmdline_autosuspend_s("") is None


# --- udev rules -------------------------------------------------------------------------


def test_udev_rules_pin_power_control_on() -> None:
    text = power_rules([("1235:821A", "Scarlett 4i4"), ("1c75:02cb", "KeyLab"), ("1235:821a", "x")])
    rules = [line for line in text.splitlines() if line.startswith("ACTION")]
    assert rules == [
        'ACTION=="add", SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{idVendor}=="1235", '
        'ATTR{idProduct}=="821a", TEST=="power/control", ATTR{power/control}="on"',
        'ACTION=="add", SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{idVendor}=="1c75", '
        'ATTR{idProduct}=="02cb", TEST=="power/control", ATTR{power/control}="on"',
    ]


@pytest.mark.parametrize("bad", ["1235:821", "1235-821a", "12345:821a", "zz35:821a", '1235:821a"'])
def test_udev_ids_are_four_hex_digits(bad: str) -> None:
    with pytest.raises(ValueError, match="expected VID:PID, 4 hex digits each"):
        parse_usb_id(bad)


def test_udev_cli_writes_nothing_on_a_bad_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "90-usbgate.rules"
    assert main(["usb", "udev-rules", "1235:821a", "1c75:2cb", "-o", str(out)]) == 2
    assert not out.exists()
    assert "'1c75:2cb': expected VID:PID" in capsys.readouterr().err
    rig = Path(__file__).resolve().parent.parent / "pytest_usbgate" / "config" / "rigs" / "sim.toml"
    assert main(["usb", "udev-rules", "--rig", str(rig), "-o", str(out)]) == 0
    assert out.read_text().count('ATTR{power/control}="on"') == 2


# --- matching rig devices ---------------------------------------------------------------


def _host(port: str, usb_id: str, serial: str, devnum: int = 2) -> HostDevice:
    vendor, product = usb_id.split(":")
    return HostDevice(
        port,
        Path("/nowhere") / port,
        {
            "idVendor": vendor,
            "idProduct": product,
            "serial": serial,
            "devnum": str(devnum),
            "product": "Thing",
        },
    )


def _rig(*devices: Device) -> Rig:
    return Rig(name="r", kind="real", path=Path("r.toml"), devices=devices)


def test_a_missing_device_names_what_the_host_has() -> None:
    rig = _rig(Device("controller", KEYLAB))
    (match,) = match_devices(rig.devices, [_host("1-1", "1235:821a", "A")])
    assert match.host is None
    assert match.problem == (
        "controller: Arturia KeyLab mkII 88 (1c75:02cb) not found; the host has: "
        "1235:821a Thing at 1-1 #2, serial A"
    )


def test_identical_units_are_told_apart_by_serial_or_port() -> None:
    host = [_host("1-1", "1235:821a", "A"), _host("1-2", "1235:821a", "B", 3)]
    a, b = match_devices(
        [Device("second", SCARLETT, serial="B"), Device("first", SCARLETT, port="1-1")], host
    )
    assert (a.host and a.host.port_path, b.host and b.host.port_path) == ("1-2", "1-1")
    (ambiguous,) = match_devices([Device("interface", SCARLETT)], host)
    assert ambiguous.problem is not None and "2 units of" in ambiguous.problem
    assert "pin one with serial or port" in ambiguous.problem
    (wrong,) = match_devices([Device("interface", SCARLETT, serial="C")], host)
    assert wrong.problem is not None and "with serial C not found; units with its ID" in (
        wrong.problem
    )


def test_an_unpinned_device_takes_the_unit_a_pinned_one_left() -> None:
    host = [_host("1-1", "1235:821a", "A"), _host("1-2", "1235:821a", "B", 3)]
    free, pinned = match_devices(
        [Device("spare", SCARLETT), Device("main", SCARLETT, serial="A")], host
    )
    assert free.host is not None and free.host.serial == "B"
    assert pinned.host is not None and pinned.host.serial == "A"


def test_sysfs_listing_skips_root_hubs_and_interfaces(tmp_path: Path) -> None:
    for name, attributes in {
        "usb1": {"idVendor": "1d6b"},
        "1-1": {"idVendor": "1235", "idProduct": "821a", "devnum": "7", "bcdDevice": "0100"},
        "1-1:1.0": {"bInterfaceClass": "01"},
        "1-1.4": {"idVendor": "1c75", "idProduct": "02cb", "speed": "12"},
    }.items():
        (tmp_path / name / "power").mkdir(parents=True)
        for key, value in attributes.items():
            (tmp_path / name / key).write_text(value + "\n")
    found = list_devices(tmp_path)
    assert [(d.port_path, d.usb_id) for d in found] == [
        ("1-1", "1235:821a"),
        ("1-1.4", "1c75:02cb"),
    ]
    assert (found[0].devnum, found[0].release, found[1].speed_mbps) == (7, "1.00", 12.0)


# --- kernel log -------------------------------------------------------------------------


def test_kmsg_records_become_dmesg_lines() -> None:
    assert kmsg_record("6,1234,512104211,-;usb 1-1: new high-speed USB device number 2") == (
        "[  512.104211] usb 1-1: new high-speed USB device number 2"
    )
    assert kmsg_record(" SUBSYSTEM=usb") is None
    assert kmsg_record("junk;text") is None


def test_firmware_versions_from_the_driver() -> None:
    lines = ["[1.0] usb 1-1: Firmware version 2089", "[2.0] usb 1-1.2: Firmware version 2128"]
    assert firmware_versions(lines) == {"1-1": "2089", "1-1.2": "2128"}


def test_following_a_growing_file_keeps_partial_lines(tmp_path: Path) -> None:
    path = tmp_path / "kmsg.log"
    path.write_text("[1.0] usb 1-1: device descriptor read/64, error -110\n[1.1] usb 1-")
    log = KernelLog(FileSource(path))
    assert [e.kind for e in log.since(0)] == ["descriptor_read_error"]
    mark = log.mark()
    with path.open("a") as out:
        out.write("2: USB disconnect, device number 3\n")
        out.write("[1.2] usb 1-1: Cannot enable. Maybe the USB cable is bad?\n")
    assert [(e.kind, e.device) for e in log.since(mark)] == [
        ("disconnect", "1-2"),
        ("port_enable_failed", "1-1"),
    ]
    assert [e.line for e in log.errors_since(0, {"1-1"})] == [1, 3]
    assert log.errors_since(0, {"1-2"}) == []


@pytest.mark.skipif(not os.access("/dev/kmsg", os.W_OK), reason="writing /dev/kmsg needs root")
def test_the_real_kernel_log_is_followed_from_now() -> None:
    """Lines written to /dev/kmsg (root may) arrive through the host's own kernel log."""
    tag = uuid.uuid4().hex[:8]
    source = KmsgSource()
    log = KernelLog(source)
    try:
        mark = log.mark()
        with open("/dev/kmsg", "w") as kmsg:
            kmsg.write(f"usb 9-9: device descriptor read/64, error -71 (usbgate-{tag})\n")
        events = [e for e in log.since(mark) if tag in e.text]
    finally:
        log.close()
    assert [(e.kind, e.errno, e.errno_name) for e in events] == [
        ("descriptor_read_error", -71, "EPROTO")
    ]


# --- injectors and recovery -------------------------------------------------------------


def test_authorized_toggle_writes_zero_then_one(tmp_path: Path) -> None:
    (tmp_path / "1-4.2").mkdir()
    (tmp_path / "1-4.2" / "authorized").write_text("1")
    toggle = AuthorizedToggle("1-4.2", root=tmp_path)
    toggle.disconnect()
    assert (tmp_path / "1-4.2" / "authorized").read_text() == "0"
    toggle.reconnect()
    assert (tmp_path / "1-4.2" / "authorized").read_text() == "1"


def test_uhubctl_locations() -> None:
    assert hub_and_port("1-4.2") == ("1-4", "2")
    assert hub_and_port("3-1.2.4") == ("3-1.2", "4")
    assert hub_and_port("1-4") == ("1", "4")
    with pytest.raises(ValueError, match="expected a port path"):
        hub_and_port("usb1")


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 21)]  # 1 … 20
    assert nearest_rank(values, 95) == 19.0
    assert nearest_rank(values, 50) == 10.0
    assert nearest_rank(values, 100) == 20.0
    assert nearest_rank([3.0], 95) == 3.0
    with pytest.raises(ValueError):
        nearest_rank([], 95)


def test_a_cycle_that_never_recovers_fails_the_statistics() -> None:
    good = [Cycle(n, 0.1 * n, 0.1 * n + 0.01, n, n + 1, "usable") for n in range(1, 4)]
    stats = RecoveryStats(tuple(good), timeout_s=15.0)
    assert stats.usable_p95_s == pytest.approx(0.31)
    assert stats.enumerated_worst_s == pytest.approx(0.3)
    broken = RecoveryStats((*good, Cycle(4, None, None, 4, None, "reconnect")), timeout_s=15.0)
    assert broken.usable_p95_s == 15.0 and broken.enumerated_worst_s == 15.0
    assert "cycle 4 never recovered: last seen reconnect (counted as the 15 s timeout)" in (
        broken.describe()
    )
    assert RecoveryStats((), timeout_s=15.0).usable_p95_s is None
