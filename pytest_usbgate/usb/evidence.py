"""Host-USB evidence for Allure: each device's raw descriptors and their parsed tree,
the periodic bandwidth per bus, and the plug-cycle trace."""

from __future__ import annotations

from collections.abc import Sequence

from pytest_usbgate.evidence.allure import attach_bytes, attach_json, attach_jsonl
from pytest_usbgate.usb.bandwidth import BusLoad
from pytest_usbgate.usb.descriptors import DescriptorTree
from pytest_usbgate.usb.recovery import TraceEvent


def attach_descriptors(device_id: str, raw: bytes, tree: DescriptorTree | None) -> None:
    attach_bytes(f"{device_id} descriptors", raw, "bin")
    if tree is not None:
        attach_json(f"{device_id} descriptor tree", tree.to_dict())


def attach_bandwidth(buses: Sequence[BusLoad]) -> None:
    attach_json(
        "periodic bandwidth",
        [
            {
                "bus": b.bus,
                "domain": b.domain,
                "used_pct": b.used_pct,
                "limit_pct": b.limit_pct,
                "devices": {d.name: d.share_pct for d in b.devices},
            }
            for b in buses
        ],
    )


def attach_trace(trace: Sequence[TraceEvent]) -> None:
    attach_jsonl("plug-cycle trace", [event.to_dict() for event in trace])
