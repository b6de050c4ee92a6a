"""The engine's vocabulary: gates, layers of the stack (lowest first), domains, units.
Kept apart so that the plugin can name the gates without loading the engine."""

from __future__ import annotations

from typing import Final

GATES: Final = ("design", "bringup", "production")
LAYERS: Final = ("host", "container", "qemu", "guest", "application")
DOMAINS: Final = (
    "usb",
    "power",
    "kernel",
    "midi",
    "audio",
    "serial",
    "compose",
    "qmp",
    "pnp",
    "rig",
)
UNITS: Final = (
    "ms",
    "s",
    "samples",
    "dB",
    "dBFS",
    "Hz",
    "count",
    "ratio",
    "%",
    "Mb/s",
    "msg/s",
    "bool",
)

__all__ = ["DOMAINS", "GATES", "LAYERS", "UNITS"]
