"""Application layer, audio: the round trip through the rig's cable measured to the
sample, its quality (THD+N, dynamic range, frequency response, crosstalk) and glitches.

Pure (numpy): `stimulus`, `delay`, `quality`, `glitch`, `analysis`, `witness`, `budget`,
`synthetic`. I/O: `stream` (PortAudio), `wav` (files). `checks` (takes -> criteria),
`evidence` (plots, WAVs), `fixtures`, `cli`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_usbgate._lazy import exports

if TYPE_CHECKING:
    from pytest_usbgate.audio.budget import (
        buffer_latency_ms as buffer_latency_ms,
    )
    from pytest_usbgate.audio.checks import (
        check_buffer_latency as check_buffer_latency,
    )
    from pytest_usbgate.audio.checks import (
        check_dynamic_range as check_dynamic_range,
    )
    from pytest_usbgate.audio.checks import (
        check_frequency_response as check_frequency_response,
    )
    from pytest_usbgate.audio.checks import (
        check_round_trip_latency as check_round_trip_latency,
    )
    from pytest_usbgate.audio.checks import (
        check_thd_n_and_glitches as check_thd_n_and_glitches,
    )
    from pytest_usbgate.audio.evidence import (
        attach_take as attach_take,
    )
    from pytest_usbgate.audio.stream import (
        AudioLoop as AudioLoop,
    )
    from pytest_usbgate.audio.stream import (
        AudioTake as AudioTake,
    )

_MODULES = {
    "budget": ("buffer_latency_ms",),
    "checks": (
        "check_buffer_latency",
        "check_dynamic_range",
        "check_frequency_response",
        "check_round_trip_latency",
        "check_thd_n_and_glitches",
    ),
    "evidence": ("attach_take",),
    "stream": ("AudioLoop", "AudioTake"),
}
__all__ = sorted(name for names in _MODULES.values() for name in names)
__getattr__ = exports(__name__, _MODULES)
