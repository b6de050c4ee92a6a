"""Design gate: the buffer settings leave room under the rig's latency limit."""

import pytest

from pytest_usbgate import Criteria, Rig
from pytest_usbgate.audio import check_buffer_latency


def test_buffer_latency_within_budget(rig: Rig, criteria: Criteria) -> None:
    if check_buffer_latency(criteria, rig) is None:
        pytest.skip("the rig has no [audio.loopback]")
