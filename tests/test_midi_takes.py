"""A MIDI round trip in takes, on the sim's JACK server through python-rtmidi: each take
its own tags, a message a host xrun came near left out and made up for, and a host that
disturbs every take named as the host, not judged as the device."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from pytest_usbgate import takes
from pytest_usbgate.config.rig import Rig
from pytest_usbgate.errors import InfrastructureError
from pytest_usbgate.midi.ports import TAKE, MidiDevice, rig_midi, round_trip
from pytest_usbgate.sim.session import SimSession

from .conftest import one_period


@pytest.fixture
def loopback(sim_rig: Rig, sim: SimSession) -> MidiDevice:
    device = rig_midi(sim_rig, "midi.loopback")
    assert device is not None
    return replace(device, port=replace(device.port, host_xruns=sim.xruns_ns))


def test_a_round_trip_longer_than_a_take_is_every_message_once(loopback: MidiDevice) -> None:
    count = 2 * TAKE + 50
    with loopback.port.open() as ports:
        stats = round_trip(ports, count)
    assert (stats.judged, stats.received, stats.sent) == (count, count, count + stats.left_out)
    assert (stats.lost, stats.duplicated, stats.reordered, stats.corrupted) == (0, 0, 0, 0)
    assert one_period(stats.percentile_ms(50)), stats.summary()


def test_messages_an_xrun_came_near_are_left_out_and_made_up_for(loopback: MidiDevice) -> None:
    """One late cycle reported 200 ms into the first take (in place of the server's own):
    the messages in flight from 10 ms before it to 100 ms after are left out, about 20 at
    one period each, and later takes send as many more, so 150 are judged."""
    at: list[int] = []

    def one_xrun() -> list[int]:
        at[:] = at or [time.perf_counter_ns() + 200_000_000]
        return at

    count = 150
    with replace(loopback.port, host_xruns=one_xrun).open() as ports:
        stats = round_trip(ports, count)
    assert 1 <= stats.left_out <= 40, stats.summary()
    assert (stats.judged, stats.received, stats.sent) == (count, count, count + stats.left_out)
    assert (stats.lost, stats.duplicated, stats.reordered, stats.corrupted) == (0, 0, 0, 0)
    assert stats.takes_again == 0, stats.summary()


def test_xruns_in_every_take_name_the_host(
    loopback: MidiDevice, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(takes, "wait_quiet", lambda _xruns: None)
    began = time.perf_counter_ns()

    def every_ms() -> range:  # a late cycle every millisecond: every message is near one
        return range(began, time.perf_counter_ns(), 1_000_000)

    busy = replace(loopback.port, host_xruns=every_ms)
    with busy.open() as ports, pytest.raises(InfrastructureError) as failed:
        round_trip(ports, TAKE)
    assert str(failed.value) == (
        f"sim: the JACK server reported xruns during each of {takes.TAKES} takes of "
        f"{TAKE} messages on Focusrite Scarlett 4i4 4th Gen (interface): the host is too "
        "busy for the sim's JACK server"
    )
