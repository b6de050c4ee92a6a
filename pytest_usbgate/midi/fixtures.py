"""MIDI fixtures: the rig's loop (`midi_loopback`) and the controller that must say who
it is (`midi_identity`); on the sim rig their ports live on the sim's JACK server."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_usbgate.config.rig import Rig
    from pytest_usbgate.midi.ports import MidiDevice
    from pytest_usbgate.sim.session import SimSession


def _midi(rig: Rig, key: str, session: SimSession | None) -> MidiDevice:
    from pytest_usbgate.midi.ports import rig_midi

    device = rig_midi(rig, key)
    if device is None:
        pytest.skip(f"rig {rig.name} has no [{key}]")
    if session is not None:  # its ports live on the sim's JACK server
        device = replace(device, port=replace(device.port, host_xruns=session.xruns_ns))
    return device


@pytest.fixture
def midi_loopback(rig: Rig, rig_sim: SimSession | None) -> MidiDevice:
    """The rig's MIDI loop (out -> in, e.g. the 4i4's DIN out cabled to its DIN in):
    `with midi_loopback.port.open() as ports:` opens it by name and always releases it."""
    return _midi(rig, "midi.loopback", rig_sim)


@pytest.fixture
def midi_identity(rig: Rig, rig_sim: SimSession | None) -> MidiDevice:
    """The device that must answer the identity request, with what its reply must say."""
    return _midi(rig, "midi.identity", rig_sim)
