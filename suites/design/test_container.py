"""Design gate, container layer: the rig's compose file passes its USB devices the way
that survives a replug (`usbgate container lint`)."""

import pytest

from pytest_usbgate import Criteria, Rig
from pytest_usbgate.container import check_compose


def test_compose_file_passes_the_devices(rig: Rig, criteria: Criteria) -> None:
    if check_compose(criteria, rig) is None:
        pytest.skip("the rig has no [stack] compose")
