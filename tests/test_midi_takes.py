"""A MIDI round trip in takes, on the sim's JACK server through python-rtmidi: each take
its own tags, and a host that disturbs every take is named as the host, not judged as
the device."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from pytest_usbgate.errors import InfrastructureError
from pytest_usbgate.io import takes
from pytest_usbgate.io.midi import TAKE, MidiDevice, rig_midi, round_trip
from pytest_usbgate.rig import Rig
from pytest_usbgate.sim.session import SimSession

from .conftest import one_period


@pytest.fixture
def loopback(sim_rig: Rig, sim: SimSession) -> MidiDevice:
    device = rig_midi(sim_rig, "midi.loopback")
    assert device is not None
    return replace(device, port=replace(device.port, host_xruns=sim.xruns))


def test_a_round_trip_longer_than_a_take_is_every_message_once(loopback: MidiDevice) -> None:
    count = 2 * TAKE + 50
    with loopback.port.open() as ports:
        stats = round_trip(ports, count)
    assert (stats.sent, stats.received) == (count, count)
    assert (stats.lost, stats.duplicated, stats.reordered, stats.corrupted) == (0, 0, 0, 0)
    assert one_period(stats.percentile_ms(50)), stats.summary()


def test_xruns_in_every_take_name_the_host(
    loopback: MidiDevice, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(takes, "wait_quiet", lambda _xruns: None)
    rising = itertools.count().__next__  # an xrun between any two looks
    busy = replace(loopback.port, host_xruns=rising)
    with busy.open() as ports, pytest.raises(InfrastructureError) as failed:
        round_trip(ports, TAKE)
    assert str(failed.value) == (
        f"sim: the JACK server reported xruns during each of {takes.TAKES} takes of "
        f"{TAKE} messages on Focusrite Scarlett 4i4 4th Gen (interface): the host is too "
        "busy for the sim's JACK server"
    )
