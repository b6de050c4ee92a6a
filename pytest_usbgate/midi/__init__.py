"""Application layer, MIDI: loopback round trip, burst rate, SysEx integrity and the
controller's identity.

Pure: `loop` (statistics), `identity` (the identity reply). I/O: `ports` (python-rtmidi).
`checks` (takes -> criteria), `evidence` (histograms, hex dumps), `fixtures`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_usbgate._lazy import exports

if TYPE_CHECKING:
    from pytest_usbgate.midi.checks import (
        check_burst_rate as check_burst_rate,
    )
    from pytest_usbgate.midi.checks import (
        check_identity as check_identity,
    )
    from pytest_usbgate.midi.checks import (
        check_loopback as check_loopback,
    )
    from pytest_usbgate.midi.checks import (
        check_sysex_integrity as check_sysex_integrity,
    )
    from pytest_usbgate.midi.ports import (
        MidiDevice as MidiDevice,
    )
    from pytest_usbgate.midi.ports import (
        PortNotFound as PortNotFound,
    )

_MODULES = {
    "checks": ("check_burst_rate", "check_identity", "check_loopback", "check_sysex_integrity"),
    "ports": ("MidiDevice", "PortNotFound"),
}
__all__ = sorted(name for names in _MODULES.values() for name in names)
__getattr__ = exports(__name__, _MODULES)
