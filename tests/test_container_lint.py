"""`usbgate container lint`: every rule on a compose file shaped like the ones people
post, the file's line for each problem, the shapes compose allows (v1 and v2, anchors,
interpolation, long syntax), never a traceback, and the design gate's verdict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_usbgate.cli import main
from pytest_usbgate.container.arguments import parse_device, qemu_int, split_options
from pytest_usbgate.container.compose import interpolate, read_dotenv
from pytest_usbgate.container.lint import RigDevice, lint_text

from .conftest import CHECKOUT, SIM_RIG, run_gate

GOOD = CHECKOUT / "fixtures" / "compose" / "windows-passthrough.yml"
STUDIO = CHECKOUT / "rigs" / "studio-passthrough.toml"
RIG = [
    RigDevice("interface", "Focusrite Scarlett 4i4 4th Gen", 0x1235, 0x821A),
    RigDevice("controller", "Arturia KeyLab mkII 88", 0x1C75, 0x02CB),
]

# The shape of a compose file posted with a "device not found in Windows" question.
POSTED = """\
services:
  windows:
    image: dockurr/windows
    environment:
      VERSION: "11"
      ARGUMENTS: "-device usb-host,vendorid=1235,productid=0x821a"
    devices:
      - /dev/bus/usb/001/004
    ports:
      - 8006:8006
"""


def rules(
    text: str, rig: list[RigDevice] | None = None, env: dict[str, str] | None = None
) -> list[tuple[str, int, str]]:
    return [(p.rule, p.line, p.service) for p in lint_text(text, env or {}, rig)]


def test_the_fixture_compose_is_clean_for_its_rig() -> None:
    assert lint_text(GOOD.read_text(), {}, RIG) == []


def test_a_posted_file_shows_each_of_its_problems_at_its_line() -> None:
    found = {r[0]: r[1] for r in rules(POSTED)}
    assert found == {
        "no_cgroup_rule_or_privileged": 2,
        "usb_ids_missing_0x": 6,
        "no_kvm": 7,
        "static_devnode_mapping": 8,
    }
    (missing,) = [p for p in lint_text(POSTED, {}) if p.rule == "usb_ids_missing_0x"]
    assert missing.message.startswith("vendorid=1235 in 'usb-host,vendorid=1235,")
    assert "decimal (1235), not hex" in missing.message
    assert missing.fix == "write vendorid=0x1235"


BASE = """\
services:
  windows:
    image: dockurr/windows
    environment:
      ARGUMENTS: "{args}"
    devices:
      - /dev/kvm
    volumes:
      - /dev/bus/usb:/dev/bus/usb
    device_cgroup_rules:
      - "c 189:* rwm"
"""
PASS_4I4 = "-device usb-host,vendorid=0x1235,productid=0x821a"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (BASE.format(args=PASS_4I4), []),
        ("services: [\n", [("invalid_yaml", 2, "")]),
        ("services:\n  a:\n    image: x\n    image: y\n", [("duplicate_keys", 4, "a")]),
        (
            BASE.format(args="").replace('    environment:\n      ARGUMENTS: ""\n', "")
            + "    ARGUMENTS: x\n",
            [("arguments_not_in_environment", 10, "windows")],
        ),
        (
            BASE.format(args=PASS_4I4).replace(
                "      - /dev/bus/usb:/dev/bus/usb\n", "      - ./data:/storage\n"
            ),
            [("no_usb_device_mapping", 5, "windows")],
        ),
        (
            BASE.format(args=PASS_4I4)
            .replace("    volumes:\n      - /dev/bus/usb:/dev/bus/usb\n", "")
            .replace("      - /dev/kvm\n", "      - /dev/kvm\n      - /dev/bus/usb\n"),
            [("usb_devnodes_not_bind_mounted", 8, "windows")],
        ),
        (
            BASE.format(args=PASS_4I4).replace(
                '    device_cgroup_rules:\n      - "c 189:* rwm"\n', ""
            ),
            [("no_cgroup_rule_or_privileged", 2, "windows")],
        ),
        (
            BASE.format(args="-device usb-host,vendorid=0x1234,productid=0x1234"),
            [("placeholder_usb_ids", 5, "windows")],
        ),
        (
            BASE.format(args="-device usb-host,vendorid=0x1d6b,productid=0x0002"),
            [("placeholder_usb_ids", 5, "windows")],
        ),
        (
            BASE.format(args=PASS_4I4).replace("dockurr/windows", "qemux/qemu"),
            [("usb_host_without_xhci", 5, "windows")],
        ),
        (
            BASE.format(args=PASS_4I4 + " -device qemu-xhci,id=xhci").replace(
                "dockurr/windows", "qemux/qemu"
            ),
            [],
        ),
        (BASE.format(args=PASS_4I4).replace("dockurr/windows", "ghcr.io/dockur/windows"), []),
        (
            BASE.format(args="-device usb-host,hostbus=1,hostaddr=4"),
            [("hostbus_hostaddr_pinning", 5, "windows")],
        ),
        (
            BASE.format(args=PASS_4I4).replace("      - /dev/kvm\n", "      - /dev/net/tun\n"),
            [("no_kvm", 6, "windows")],
        ),
        (
            BASE.format(args=PASS_4I4).replace(
                '    device_cgroup_rules:\n      - "c 189:* rwm"\n', "    privileged: true\n"
            ),
            [],
        ),
    ],
)
def test_each_rule(text: str, expected: list[tuple[str, int, str]]) -> None:
    assert rules(text) == expected


def test_with_a_rig_every_device_and_only_those() -> None:
    one = BASE.format(args=PASS_4I4 + " -device usb-host,vendorid=0x0763,productid=0x2012")
    assert rules(one, RIG) == [
        ("rig_device_not_passed", 5, "windows"),
        ("unknown_device_passed", 5, "windows"),
    ]
    (lacking,) = [p for p in lint_text(one, {}, RIG) if p.rule == "rig_device_not_passed"]
    assert "controller (Arturia KeyLab mkII 88 1c75:02cb)" in lacking.message
    assert lacking.fix == "add -device usb-host,vendorid=0x1c75,productid=0x02cb"


def test_the_shapes_compose_allows() -> None:
    """v1 (services at the top), anchors and merge keys, a list environment with a
    folded ARGUMENTS, long syntax, interpolation with defaults."""
    text = """\
x-usb: &usb
  devices:
    - source: /dev/kvm
      target: /dev/kvm
  volumes:
    - type: bind
      source: ${USB_TREE:-/dev/bus/usb}
      target: /dev/bus/usb
  device_cgroup_rules: ['c 189:* rwm']
version: "2.4"
windows:
  <<: *usb
  image: dockurr/windows
  environment:
    - VERSION=11
    - >-
      ARGUMENTS=-device usb-host,vendorid=${VID},productid=0x821a
      -device usb-host,vendorid=0x1c75,productid=0x02cb
"""
    assert rules(text, RIG, {"VID": "0x1235"}) == []
    assert rules(text, RIG, {"VID": "1235"}) == [  # decimal 1235 is another device
        ("rig_device_not_passed", 16, "windows"),
        ("unknown_device_passed", 16, "windows"),
        ("usb_ids_missing_0x", 16, "windows"),
    ]
    assert interpolate("$$HOME ${A:-d} ${A-d} ${B:+y} $B", {"A": "", "B": "b"}) == "$HOME d  y b"
    assert read_dotenv("# c\nexport A='1'\nB=two words\n\nC\n") == {"A": "1", "B": "two words"}


def test_qemu_reads_options_and_integers_as_qemu_does() -> None:
    assert split_options("usb-host,id=a,,b,hostdevice=/x") == [
        "usb-host",
        "id=a,b",
        "hostdevice=/x",
    ]
    device = parse_device("driver=usb-host,vendorid=0x1235,guest-reset")
    assert (device.driver, dict(device.props)) == (
        "usb-host",
        {"vendorid": "0x1235", "guest-reset": "on"},
    )
    assert [qemu_int(t) for t in ("0x821a", "1235", "0123", "x")] == [0x821A, 1235, 0o123, None]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_gives_findings_never_a_traceback(text: str) -> None:
    assert isinstance(lint_text(text, {}), list)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10_000), st.binary(min_size=1, max_size=3)), max_size=6))
def test_a_real_file_with_bytes_changed_never_breaks_the_lint(
    changes: list[tuple[int, bytes]],
) -> None:
    data = bytearray(GOOD.read_bytes())
    for at, new in changes:
        at %= len(data)
        data[at : at + len(new)] = new
    text = data.decode("utf-8", errors="replace")
    assert all(p.rule and p.line >= 1 for p in lint_text(text, {}, RIG))


def test_the_command_exits_0_1_or_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["container", "lint", str(GOOD), "--rig", str(STUDIO)]) == 0
    posted = tmp_path / "docker-compose.yml"
    posted.write_text(POSTED)
    assert main(["container", "lint", str(posted), "--json"]) == 1
    out = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert {"rule", "line", "service", "message", "fix"} <= set(out[0])
    assert main(["container", "lint", str(tmp_path / "absent.yml")]) == 2
    assert capsys.readouterr().err.strip() == f"{tmp_path / 'absent.yml'}: no such file"
    (tmp_path / "binary.yml").write_bytes(b"\xff\xfe")
    assert main(["container", "lint", str(tmp_path / "binary.yml")]) == 2


def test_the_design_gate_fails_the_container_layer_on_a_bad_compose(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(POSTED)
    text = SIM_RIG.read_text().replace('name = "sim"', 'name = "posted"')
    text = text.replace("[stack]", '[stack]\ncompose = "docker-compose.yml"', 1)
    rig = tmp_path / "posted.toml"
    rig.write_text(text)
    suite = CHECKOUT / "suites" / "design" / "test_container.py"
    code, output, signoff = run_gate(tmp_path, suite, "design", f"--rig={rig}")
    assert code == 1
    assert signoff["verdict"] == "FAIL"
    assert (signoff["diagnosis"]["layer"], signoff["diagnosis"]["domain"]) == (
        "container",
        "compose",
    )
    (record,) = [c for c in signoff["criteria"] if c["id"] == "container.compose_problems"]
    assert (
        record["value"] == 7
    )  # the 4 above, and both rig devices not passed (0x4d3 is not 0x1235)
    assert "static_devnode_mapping" in record["detail"]
    assert "diagnosis: container / compose" in output
