"""MIDI statistics and identity parsing, pure: exact expectations on hand-built input."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from pytest_usbgate.midi.identity import (
    IDENTITY_REQUEST,
    is_identity_request,
    parse_identity_reply,
)
from pytest_usbgate.midi.loop import (
    combined,
    decode_tag,
    encode_tag,
    loop_stats,
    near_xruns,
    sysex_pattern,
)

MS = 1_000_000  # ns


def test_tags_round_trip_and_damage_is_not_a_tag() -> None:
    for tag in (0, 1, 127, 128, 1000, 16383):
        assert decode_tag(list(encode_tag(tag))) == tag
    message = list(encode_tag(1000))
    assert decode_tag([message[0], message[1], message[2] ^ 1]) is None  # one bit off
    assert decode_tag([0x80, 7, 104]) is None  # note off
    assert decode_tag(message[:2]) is None
    with pytest.raises(ValueError, match="outside"):
        encode_tag(16384)


def arrivals(*items: tuple[int, int]) -> list[tuple[int, list[int]]]:
    """(time in ms, tag) -> (time in ns, message)."""
    return [(t * MS, list(encode_tag(tag))) for t, tag in items]


def test_latency_per_tag_in_send_order() -> None:
    sent = [0, 10 * MS, 20 * MS]
    stats = loop_stats(sent, arrivals((2, 0), (13, 1), (21, 2)))
    assert stats.latencies_ms == (2.0, 3.0, 1.0)
    assert (stats.lost, stats.duplicated, stats.reordered, stats.corrupted) == (0, 0, 0, 0)
    assert stats.jitter_peak_ms == 2.0
    assert stats.mean_abs_dev_ms == pytest.approx(2 / 3)


def test_lost_duplicated_reordered_and_corrupted_are_told_apart() -> None:
    sent = [i * 10 * MS for i in range(6)]
    got = arrivals((1, 0), (11, 1), (11, 1), (32, 3), (31, 2), (52, 5))
    got.insert(3, (25 * MS, [0x90, 1, 2]))  # bad check nibble
    got.append((60 * MS, list(encode_tag(9))))  # a tag never sent
    stats = loop_stats(sent, got)
    assert stats.lost == 1  # tag 4
    assert stats.duplicated == 1  # tag 1 twice
    assert stats.reordered == 1  # tag 2 after tag 3
    assert stats.corrupted == 2
    assert stats.latencies_ms == (1.0, 1.0, 11.0, 2.0, 2.0)
    assert stats.received == 5


def test_a_take_with_its_own_tags_sets_a_straggler_apart() -> None:
    """Tags 200… for this take: tag 1 (a straggler from the take before) is no reply of
    its own, whatever the time."""
    sent = [0, 10 * MS, 20 * MS]
    stats = loop_stats(sent, arrivals((1, 1), (3, 200), (12, 201), (14, 203), (25, 202)), 200)
    assert stats.latencies_ms == (3.0, 2.0, 5.0)
    assert (stats.lost, stats.duplicated, stats.reordered, stats.corrupted) == (0, 0, 0, 2)


def test_takes_combine_into_one_run() -> None:
    first = loop_stats([0, 10 * MS], arrivals((2, 0), (2, 0)))  # 1 lost, 1 duplicated
    second = loop_stats([0, 10 * MS, 20 * MS], arrivals((13, 1), (4, 0), (23, 2)))
    both = combined([first, second])
    assert both.sent == 5
    assert both.latencies_ms == (2.0, 4.0, 3.0, 3.0)
    assert (both.lost, both.duplicated, both.reordered, both.corrupted) == (1, 1, 1, 0)
    assert (
        combined([replace(first, takes_again=2), replace(second, takes_again=1)]).takes_again == 3
    )
    assert both.jitter_peak_ms == 2.0
    assert both.criteria() == {
        "midi.rtt_p99_ms": 4.0,
        "midi.rtt_max_ms": 4.0,
        "midi.jitter_peak_ms": 2.0,
        "midi.lost": 1,
        "midi.reordered": 1,
    }


def test_percentiles_are_nearest_rank() -> None:
    sent = [0] * 100
    stats = loop_stats(sent, arrivals(*((i + 1, i) for i in range(100))))  # 1 … 100 ms
    assert stats.percentile_ms(50) == 50.0
    assert stats.percentile_ms(95) == 95.0
    assert stats.percentile_ms(99) == 99.0
    assert stats.percentile_ms(100) == stats.max_ms == 100.0
    small = loop_stats([0, 0, 0], arrivals((3, 0), (1, 1), (2, 2)))
    assert small.percentile_ms(50) == 2.0 and small.percentile_ms(99) == 3.0


def test_histogram_bins_of_a_tenth_of_a_millisecond() -> None:
    sent = [0, 0, 0, 0]
    stats = loop_stats(
        sent, [(int(x * MS), list(encode_tag(i))) for i, x in enumerate((0.05, 0.3, 0.35, 0.21))]
    )
    assert stats.histogram() == [(0.0, 1), (0.1, 0), (0.2, 1), (0.3, 2)]


def test_a_message_an_xrun_came_near_is_left_out_not_judged() -> None:
    # sent every 200 ms, back 3 ms later (tag 4: 6 ms) but for tag 3 (lost); xruns reported
    # at 190 ms (10 ms before tag 1 left: near) and 701 ms (101 ms after tag 3 left, lost:
    # not near; 99 ms before tag 4 left: not near)
    sent = [i * 200 * MS for i in range(5)]
    got = arrivals((3, 0), (203, 1), (403, 2), (806, 4))
    stats = loop_stats(sent, got, xruns_ns=[190 * MS, 701 * MS])
    assert stats.left_out == 1 and stats.judged == 4
    assert stats.latencies_ms == (3.0, 3.0, 6.0)  # tag 1 left out
    assert stats.lost == 1  # tag 3, judged
    assert "1 messages left out after host xruns" in stats.host_note()


def test_near_an_xrun_from_just_before_sending_until_well_after_coming_back() -> None:
    sent = [100 * MS]
    back = {0: 105 * MS}
    assert near_xruns(sent, back, [90 * MS]) == {0}  # 10 ms before: the edge
    assert near_xruns(sent, back, [89 * MS]) == set()
    assert near_xruns(sent, back, [205 * MS]) == {0}  # 100 ms after it came back
    assert near_xruns(sent, back, [206 * MS]) == set()
    assert near_xruns(sent, {}, [200 * MS]) == {0}  # lost: from when it left
    assert near_xruns(sent, {}, [201 * MS]) == set()
    assert near_xruns(sent, back, [50 * MS, 300 * MS]) == set()  # one each side, none near


def test_left_out_messages_add_up_over_takes_and_are_told() -> None:
    first = loop_stats([0, 10 * MS], arrivals((2, 0), (12, 1)), xruns_ns=[11 * MS])
    second = loop_stats([0], arrivals((2, 0)))
    both = combined([replace(first, takes_again=1), second])
    assert (first.left_out, both.left_out, both.sent, both.judged) == (2, 2, 3, 1)
    assert both.host_note() == "; 1 takes again, 2 messages left out after host xruns"
    assert second.host_note() == ""


def test_nothing_back() -> None:
    stats = loop_stats([0, 0], [])
    assert stats.lost == 2 and stats.received == 0
    assert math.isnan(stats.percentile_ms(99)) and stats.histogram() == []


def test_sysex_pattern() -> None:
    message = sysex_pattern(8)
    assert len(message) == 8 and message[:2] == b"\xf0\x7d" and message[-1] == 0xF7
    assert all(b < 0x80 for b in message[1:-1])
    assert len(sysex_pattern(256)) == 256
    with pytest.raises(ValueError):
        sysex_pattern(3)


KEYLAB_REPLY = bytes.fromhex("f07e000602 00206b 0200 0568 01020304 f7".replace(" ", ""))


def test_identity_reply_of_a_keylab() -> None:
    identity = parse_identity_reply(KEYLAB_REPLY)
    assert identity.device_id == 0
    assert identity.manufacturer == b"\x00\x20\x6b"
    assert (identity.family, identity.model) == (b"\x02\x00", b"\x05\x68")
    assert identity.firmware == "1.2.3.4"
    assert identity.matches("00206b", "0200", "0568")
    assert identity.matches("00206B", None, None)
    assert not identity.matches("00206b", "0200", "0562")  # a KeyLab 49


def test_identity_reply_tolerance() -> None:
    one_byte = parse_identity_reply(bytes.fromhex("f07e7f060243000102000105f7"))
    assert one_byte.device_id == 0x7F and one_byte.manufacturer == b"\x43"
    assert one_byte.firmware == "1.5"  # a short version field
    bare = parse_identity_reply(bytes.fromhex("f07e1006024100020003f7"))
    assert bare.version == b"" and bare.firmware == ""


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (bytes.fromhex("907e00"), "not a SysEx"),
        (IDENTITY_REQUEST, "not an identity reply"),
        (bytes.fromhex("f07e000602 00206b 02 f7".replace(" ", "")), "too short"),
        (bytes.fromhex("f07e000602 41 0200 0568 0102030405060708 f7".replace(" ", "")), "too long"),
        (bytes.fromhex("f07e000602 41 0200 0598 f7".replace(" ", "")), "above 7F"),
    ],
)
def test_identity_reply_rejects(data: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_identity_reply(data)


def test_identity_request() -> None:
    assert is_identity_request(IDENTITY_REQUEST, 0x00)
    assert is_identity_request(bytes.fromhex("f07e05060 1f7".replace(" ", "")), 0x05)
    assert not is_identity_request(bytes.fromhex("f07e050601f7"), 0x00)
