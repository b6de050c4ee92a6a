"""Application layer, MIDI: loopback round trip, burst rate, SysEx integrity and the
controller's identity.

Pure: `loop` (statistics), `identity` (the identity reply). I/O: `ports` (python-rtmidi).
`evidence` (histograms, hex dumps), `fixtures`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_usbgate._lazy import exports

if TYPE_CHECKING:
    from pytest_usbgate.midi.evidence import (
        attach_hex as attach_hex,
    )
    from pytest_usbgate.midi.evidence import (
        attach_loop as attach_loop,
    )
    from pytest_usbgate.midi.identity import (
        parse_identity_reply as parse_identity_reply,
    )
    from pytest_usbgate.midi.ports import (
        MidiDevice as MidiDevice,
    )
    from pytest_usbgate.midi.ports import (
        PortNotFound as PortNotFound,
    )
    from pytest_usbgate.midi.ports import (
        burst_rate as burst_rate,
    )
    from pytest_usbgate.midi.ports import (
        identity_query as identity_query,
    )
    from pytest_usbgate.midi.ports import (
        round_trip as round_trip,
    )
    from pytest_usbgate.midi.ports import (
        sysex_echo as sysex_echo,
    )

_MODULES = {
    "evidence": ("attach_hex", "attach_loop"),
    "identity": ("parse_identity_reply",),
    "ports": (
        "MidiDevice",
        "PortNotFound",
        "burst_rate",
        "identity_query",
        "round_trip",
        "sysex_echo",
    ),
}
__all__ = sorted(name for names in _MODULES.values() for name in names)
__getattr__ = exports(__name__, _MODULES)
