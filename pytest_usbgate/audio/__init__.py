"""Application layer, audio: the round trip through the rig's cable measured to the
sample, its quality (THD+N, dynamic range, frequency response, crosstalk) and glitches.

Pure (numpy): `stimulus`, `delay`, `quality`, `glitch`, `analysis`, `witness`, `budget`,
`synthetic`. I/O: `stream` (PortAudio), `wav` (files). `evidence` (plots, WAVs),
`fixtures`, `cli`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_usbgate._lazy import exports

if TYPE_CHECKING:
    from pytest_usbgate.audio.budget import (
        buffer_latency_ms as buffer_latency_ms,
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
    "evidence": ("attach_take",),
    "stream": ("AudioLoop", "AudioTake"),
}
__all__ = sorted(name for names in _MODULES.values() for name in names)
__getattr__ = exports(__name__, _MODULES)
