"""The host-USB checks the design and bring-up suites share: each judges one record per
rig device (with its identity for the sign-off), then fails once listing every FAIL."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Final

from pytest_usbgate.checker import Criteria
from pytest_usbgate.criteria import Record
from pytest_usbgate.io.kernel_log import KernelLog
from pytest_usbgate.io.usb_host import controller_of
from pytest_usbgate.measure.kernel_log import firmware_versions
from pytest_usbgate.measure.usb_power import (
    cmdline_autosuspend_s,
    describe_cmdline,
    port_budget_pct,
    power_state,
)
from pytest_usbgate.usb_match import Match

CMDLINE: Final = Path("/proc/cmdline")


def identity(match: Match, firmware: dict[str, str]) -> dict[str, object] | None:
    """The device as the host sees it, with the firmware its driver logged (by port)."""
    if match.host is None:
        return None
    found: dict[str, object] = match.host.identity()
    if match.host.port_path in firmware:
        found["firmware"] = firmware[match.host.port_path]
    return found


def _present(match: Match) -> tuple[bool, str]:
    """On the bus and authorized (authorized = 0 leaves a device listed but unusable)."""
    if match.host is None:
        return False, match.problem or ""
    if match.host.attributes.get("authorized", "1") == "0":
        return False, f"{match.host.describe()}: authorized=0, the host will not use it"
    return True, match.host.describe()


def check_present(
    criteria: Criteria, matches: Sequence[Match], kernel: KernelLog | None = None
) -> list[Record]:
    firmware: dict[str, str] = {}
    if kernel is not None:
        kernel.poll()
        firmware = firmware_versions(kernel.lines)
    records = []
    for match in matches:
        present, detail = _present(match)
        records.append(
            criteria.judge(
                "usb.present",
                present,
                detail=detail,
                device=match.device.id,
                identity=identity(match, firmware),
            )
        )
    return criteria.raise_failed(records)


def kernel_cmdline() -> str:
    try:
        return CMDLINE.read_text()
    except OSError:
        return ""


def check_power(criteria: Criteria, matches: Sequence[Match], budget: bool) -> list[Record]:
    """power.autosuspend_off per device (and power.port_budget_pct with `budget`)."""
    setting = describe_cmdline(cmdline_autosuspend_s(kernel_cmdline()))
    records = []
    for match in matches:
        if match.host is None:
            continue  # usb.present says so
        state = power_state(match.host.attributes)
        detail = f"{match.host.describe()}: {state.describe()}; kernel: {setting}"
        records.append(
            criteria.judge(
                "power.autosuspend_off",
                state.autosuspend_off,
                detail=detail,
                device=match.device.id,
            )
        )
        share = port_budget_pct(state)
        if budget and share is not None:
            records.append(
                criteria.judge(
                    "power.port_budget_pct", share, detail=detail, device=match.device.id
                )
            )
    if not records:
        criteria.fail("power.autosuspend_off", detail="no rig device on the host")
    return criteria.raise_failed(records)


def device_paths(matches: Sequence[Match]) -> set[str]:
    """Port paths of the rig's devices (found, or pinned by the rig) and their controllers:
    the kernel events that concern this rig."""
    paths: set[str] = set()
    for match in matches:
        if match.host is not None:
            paths.add(match.host.port_path)
            controller = controller_of(match.host)
            if controller:
                paths.add(controller)
        elif match.device.port:
            paths.add(match.device.port)
    return paths


def check_kernel_errors(
    criteria: Criteria, kernel: KernelLog, mark: int, matches: Sequence[Match], window: str
) -> Record:
    events = kernel.errors_since(mark, device_paths(matches))
    lines = [
        f"line {e.line}: {e.kind}"
        + (f" {e.errno} ({e.errno_name})" if e.errno is not None else "")
        + f" at {e.device or '?'}: {e.text}"
        for e in events
    ]
    summary = f"{len(events)} error event(s) in {window} ({kernel.source.name})"
    return criteria.check("kernel.usb_errors", len(events), detail="\n".join([summary, *lines]))
