"""The sim rig's fault catalog: each fault breaks exactly one layer / domain.

Pure data plus parsing; the services read `FaultSet` to decide what to break.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, final


@final
@dataclass(frozen=True, slots=True)
class Fault:
    name: str
    layer: str
    domain: str
    effect: str


FAULTS: Final[dict[str, Fault]] = {
    f.name: f
    for f in (
        Fault("midi-drop", "application", "midi", "1 % of loopback messages lost"),
        Fault("midi-late", "application", "midi", "+8 ms loopback latency"),
        Fault(
            "midi-silent-identity",
            "application",
            "midi",
            "the controller never answers the identity request",
        ),
        Fault("audio-dropout", "application", "audio", "a 10 ms dropout every 2 s"),
        Fault("audio-slip", "application", "audio", "one sample slips every second"),
        Fault("audio-unplugged", "application", "audio", "no signal returns"),
        Fault("usb-missing", "host", "usb", "the KeyLab is absent (and so its MIDI ports)"),
        Fault("usb-full-speed", "host", "usb", "the 4i4 enumerates at 12 Mb/s"),
        Fault("usb-autosuspend", "host", "power", "power/control=auto on the audio interface"),
        Fault(
            "kernel-errors",
            "host",
            "kernel",
            "kernel log shows 'device descriptor read/64, error -110' for the 4i4",
        ),
    )
}


def catalog_lines() -> list[str]:
    width = max(len(name) for name in FAULTS)
    return [f"{f.name:<{width}}  {f.layer} / {f.domain}: {f.effect}" for f in FAULTS.values()]


def parse_faults(names: Iterable[str]) -> frozenset[str]:
    """Validate `--usbgate-fault` values; ValueError names the unknown one and the catalog."""
    chosen = set()
    for name in names:
        if name not in FAULTS:
            raise ValueError(
                f"--usbgate-fault {name!r}: unknown fault; the catalog: {', '.join(FAULTS)}"
            )
        chosen.add(name)
    return frozenset(chosen)
