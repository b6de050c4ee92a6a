"""Design gate: the buffer settings leave room under the rig's latency limit."""

import pytest

from pytest_usbgate import Criteria, Rig
from pytest_usbgate.audio import buffer_latency_ms


def test_buffer_latency_within_budget(rig: Rig, criteria: Criteria) -> None:
    loop = rig.audio_loopback
    if loop is None:
        pytest.skip("the rig has no [audio.loopback]")
    criteria.check(
        "audio.buffer_latency_ms",
        buffer_latency_ms(loop.blocksize, loop.periods, loop.samplerate),
        detail=f"{loop.periods + 1} x {loop.blocksize} frames at {loop.samplerate} Hz",
    )
