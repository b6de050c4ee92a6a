"""The descriptor parser: the sim's two descriptor sets read back whole, every
inconsistency named with its byte offset, and a short fuzz run (bench/usb_fuzz.py runs
the long one) that finds no exception other than the parser's own."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_usbgate.cli import main
from pytest_usbgate.sim.usb.descriptors import keylab_mkii_88, scarlett_4i4_gen4
from pytest_usbgate.usb.descriptors import (
    DescriptorError,
    parse_descriptors,
)

SCARLETT = scarlett_4i4_gen4().sysfs
KEYLAB = keylab_mkii_88().sysfs


def _offsets(data: bytes, kind: int) -> list[int]:
    at, found = 0, []
    while at < len(data):
        if data[at + 1] == kind:
            found.append(at)
        at += data[at]
    return found


def test_the_sims_sets_parse_whole_and_clean() -> None:
    tree = parse_descriptors(SCARLETT)
    assert tree.problems == []
    device, config = tree.roots
    assert (device.fields["idVendor"], device.fields["idProduct"]) == (0x1235, 0x821A)
    assert config.fields["wTotalLength"] == len(SCARLETT) - 18
    interfaces = [c for c in config.children if c.kind == "interface"]
    assert [(i.fields["bInterfaceNumber"], i.fields["bInterfaceClass"]) for i in interfaces] == [
        (0, 1),
        (1, 1),
        (1, 1),
        (2, 1),
        (2, 1),
        (3, 0xFF),
        (4, 1),
    ]
    kinds = [d.kind for d in tree.all()]
    assert kinds.count("AudioControl clock source") == 1
    assert kinds.count("MIDIStreaming MIDI IN jack") == 2
    iso = [d for d in tree.all() if d.kind == "endpoint" and d.number("bmAttributes") == 0x05]
    assert [d.fields["bEndpointAddress"] for d in iso] == [0x01, 0x82]
    keylab = parse_descriptors(KEYLAB)
    assert keylab.problems == []
    assert [d.kind for d in keylab.all()].count("MIDIStreaming MIDI OUT jack") == 4


def test_a_zero_length_stops_with_its_offset_and_kind() -> None:
    at = _offsets(KEYLAB, 4)[1]  # the MIDIStreaming interface
    broken = KEYLAB[:at] + b"\x00" + KEYLAB[at + 1 :]
    with pytest.raises(DescriptorError) as info:
        parse_descriptors(broken)
    assert str(info.value) == f"offset {at:#x}: bLength 0 in interface descriptor"
    assert info.value.offset == at


def test_a_length_past_the_end_stops() -> None:
    with pytest.raises(
        DescriptorError,
        match=r"^offset 0x0: bLength 18 in device descriptor "
        r"runs past the end \(10 bytes left\)$",
    ):
        parse_descriptors(KEYLAB[:10])
    with pytest.raises(DescriptorError, match="1 byte"):
        parse_descriptors(KEYLAB[:18] + b"\x09")


def test_inconsistencies_are_each_named_and_parsing_goes_on() -> None:
    data = bytearray(KEYLAB)
    first_if, midi_if = _offsets(KEYLAB, 4)
    data[midi_if + 4] = 3  # bNumEndpoints 3, but 2 follow
    config = _offsets(KEYLAB, 2)[0]
    data[config + 4] = 5  # bNumInterfaces 5, but 2 exist
    ms_ep = _offsets(KEYLAB, 0x25)[0]
    data[ms_ep + 3] = 4  # 4 embedded jacks in a descriptor that holds 2
    assert parse_descriptors(bytes(data)).problems == [
        f"offset {config:#x}: configuration bNumInterfaces 5 but 2 interfaces follow",
        f"offset {midi_if:#x}: interface 1 alt 0: bNumEndpoints 3 but 2 endpoints follow",
        f"offset {ms_ep:#x}: MIDI endpoint with 4 embedded jacks needs bLength 8, has 6",
    ]
    assert first_if < midi_if


def test_unknown_descriptors_are_skipped_by_length() -> None:
    vendor = bytes([5, 0x41, 1, 2, 3])  # a vendor-specific type inside the configuration
    config = _offsets(KEYLAB, 2)[0]
    total = struct.unpack_from("<H", KEYLAB, config + 2)[0] + len(vendor)
    data = bytearray(KEYLAB[: config + 9] + vendor + KEYLAB[config + 9 :])
    struct.pack_into("<H", data, config + 2, total)
    tree = parse_descriptors(bytes(data))
    assert tree.problems == []
    assert "type 0x41" in [d.kind for d in tree.all()]


def test_a_short_descriptor_is_a_problem_not_a_crash() -> None:
    at = _offsets(KEYLAB, 5)[0]  # an endpoint, cut to 4 bytes
    config = _offsets(KEYLAB, 2)[0]
    data = bytearray(KEYLAB[:at] + bytes([4, 5, 0x01, 0x02]) + KEYLAB[at + 9 :])
    struct.pack_into("<H", data, config + 2, len(data) - config)
    tree = parse_descriptors(bytes(data))
    assert f"offset {at:#x}: bLength 4 too short for a endpoint descriptor (7)" in tree.problems


def test_bos_with_its_capabilities() -> None:
    usb2_ext = bytes([7, 16, 2, 0x02, 0, 0, 0])
    bos = bytes([5, 15]) + struct.pack("<H", 5 + len(usb2_ext)) + bytes([1]) + usb2_ext
    tree = parse_descriptors(bos)
    assert tree.problems == []
    assert [c.fields["bDevCapabilityType"] for c in tree.roots[0].children] == [2]
    wrong = bos[:4] + bytes([2]) + usb2_ext
    assert parse_descriptors(wrong).problems == ["offset 0x0: BOS bNumDeviceCaps 2 but 1 follow"]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A descriptor set with some bytes changed, cut, repeated or inserted."""
    data = bytearray(draw(st.sampled_from([SCARLETT, KEYLAB])))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, max(0, len(data) - 1)))
        action = draw(st.sampled_from(["set", "cut", "insert", "truncate"]))
        if action == "set" and data:
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at : at + draw(st.integers(1, 16))]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            del data[at:]
    return bytes(data)


FUZZ_EXAMPLES = int(os.environ.get("USBGATE_FUZZ_EXAMPLES", "3000"))  # bench/usb_fuzz.py: 100 000


@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(mutated())
def test_fuzz_only_the_parsers_own_error(data: bytes) -> None:
    try:
        tree = parse_descriptors(data)
    except DescriptorError as exc:
        assert str(exc).startswith("offset 0x")
        assert 0 <= exc.offset <= len(data)
        return
    for problem in tree.problems:
        assert problem.startswith("offset 0x")
    assert all(0 <= d.offset < len(data) for d in tree.all())


def test_cli_tree_json_or_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "4i4.bin"
    good.write_bytes(SCARLETT)
    assert main(["usb", "descriptors", str(good), "--json"]) == 0
    assert '"idProduct": 33306' in capsys.readouterr().out
    at = _offsets(SCARLETT, 4)[0]
    bad = tmp_path / "bad.bin"
    bad.write_bytes(SCARLETT[:at] + b"\x00" + SCARLETT[at + 1 :])
    assert main(["usb", "descriptors", str(bad), "--json"]) == 3
    captured = capsys.readouterr()
    assert captured.err == f"offset {at:#x}: bLength 0 in interface descriptor\n"
    assert captured.out == ""
    assert main(["usb", "descriptors", str(tmp_path / "none.bin")]) == 2
