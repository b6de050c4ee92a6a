"""Audio fixture: the rig's cable (`audio_loopback`); on the sim rig its device lives on
the sim's JACK server. PortAudio and numpy load when a test asks for it."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_usbgate.audio.stream import AudioLoop
    from pytest_usbgate.config.rig import Rig
    from pytest_usbgate.sim.session import SimSession


@pytest.fixture
def audio_loopback(rig: Rig, rig_sim: SimSession | None) -> AudioLoop:
    """The rig's audio cable (e.g. the 4i4's line out 1 -> line in 3): `take(stimulus)`
    plays and records in one duplex stream, closed on every path."""
    from pytest_usbgate.audio.stream import rig_audio

    loop = rig_audio(rig)
    if loop is None:
        pytest.skip(f"rig {rig.name} has no [audio.loopback]")
    if rig_sim is not None:  # its device lives on the sim's JACK server
        loop = replace(loop, host_xruns=rig_sim.xruns)
    return loop
