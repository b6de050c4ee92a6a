"""The host-USB checks (measured values -> criteria) the design and bring-up suites share,
and the doctor with them: each judges one record per rig device (with its identity for
the sign-off), then fails once listing every FAIL."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Final

from pytest_usbgate.config.rig import Rig, UsbRecovery
from pytest_usbgate.gate.checker import Criteria
from pytest_usbgate.gate.criteria import Limit, Record
from pytest_usbgate.usb.bandwidth import bus_loads, device_load
from pytest_usbgate.usb.descriptors import DescriptorError, parse_descriptors
from pytest_usbgate.usb.evidence import attach_bandwidth, attach_descriptors, attach_trace
from pytest_usbgate.usb.host import HostDevice, controller_of
from pytest_usbgate.usb.inject import Injector
from pytest_usbgate.usb.kernel_log import firmware_versions
from pytest_usbgate.usb.kmsg import KernelLog
from pytest_usbgate.usb.match import Match
from pytest_usbgate.usb.plug_cycles import plug_cycles
from pytest_usbgate.usb.power import (
    cmdline_autosuspend_s,
    describe_cmdline,
    port_budget_pct,
    power_state,
)
from pytest_usbgate.usb.profile_match import profile_problems

CMDLINE: Final = Path("/proc/cmdline")
NO_DEVICE: Final = "no rig device on the host"


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


def judge_devices(
    criteria: Criteria,
    matches: Sequence[Match],
    judge: Callable[[Match, HostDevice], Iterable[Record]],
    *criterion_ids: str,
) -> list[Record]:
    """`judge` each rig device the host has (one it lacks, usb.present says so), then
    raise once listing every FAIL; with no rig device on the host, `criterion_ids` are
    NOT_MEASURED saying so."""
    records = [r for m in matches if m.host is not None for r in judge(m, m.host)]
    if not records:
        criteria.not_measured(*criterion_ids, reason=NO_DEVICE)
    return criteria.raise_failed(records)


def check_speed(criteria: Criteria, matches: Sequence[Match]) -> list[Record]:
    """usb.speed per device, against its profile's speed unless the rig sets a limit."""

    def judge(match: Match, host: HostDevice) -> list[Record]:
        profile = match.device.profile
        return [
            criteria.judge(
                "usb.speed",
                host.speed_mbps,
                detail=host.describe(),
                device=match.device.id,
                device_limit=(Limit(min=profile.speed_mbps), f"profile {profile.id}"),
            )
        ]

    return judge_devices(criteria, matches, judge, "usb.speed")


def check_descriptors(criteria: Criteria, matches: Sequence[Match]) -> list[Record]:
    """usb.descriptors_valid per device: the problems in its descriptors plus what its
    profile expects and they lack (the raw bytes and the tree are attached)."""

    def judge(match: Match, host: HostDevice) -> list[Record]:
        raw = host.descriptors()
        try:
            tree = parse_descriptors(raw)
        except DescriptorError as exc:
            attach_descriptors(match.device.id, raw, None)
            problems = [str(exc)]
        else:
            attach_descriptors(match.device.id, raw, tree)
            problems = tree.problems + profile_problems(tree, match.device.profile)
        detail = "\n".join([host.describe(), *problems])
        return [
            criteria.judge(
                "usb.descriptors_valid", len(problems), detail=detail, device=match.device.id
            )
        ]

    return judge_devices(criteria, matches, judge, "usb.descriptors_valid")


def check_power(criteria: Criteria, matches: Sequence[Match], budget: bool) -> list[Record]:
    """power.autosuspend_off per device (and power.port_budget_pct with `budget`)."""
    setting = describe_cmdline(cmdline_autosuspend_s(kernel_cmdline()))

    def judge(match: Match, host: HostDevice) -> list[Record]:
        state = power_state(host.attributes)
        detail = f"{host.describe()}: {state.describe()}; kernel: {setting}"
        device = match.device.id
        records = [
            criteria.judge(
                "power.autosuspend_off", state.autosuspend_off, detail=detail, device=device
            )
        ]
        share = port_budget_pct(state)
        if budget and share is not None:
            records.append(
                criteria.judge("power.port_budget_pct", share, detail=detail, device=device)
            )
        return records

    return judge_devices(criteria, matches, judge, "power.autosuspend_off")


def _samplerate(rig: Rig, device_id: str) -> int:
    """The rig's rate for the device on its audio cable; the profile's highest otherwise."""
    loop = rig.audio_loopback
    if loop is not None and loop.device == device_id:
        return loop.samplerate
    audio = rig.device(device_id).profile.audio
    return max(audio.samplerates) if audio else 48000


def check_periodic_bandwidth(criteria: Criteria, rig: Rig, matches: Sequence[Match]) -> Record:
    """usb.periodic_bandwidth_pct: the worst bus's isochronous + interrupt share of a
    (micro)frame at the rig's sample rates, with each device's share (attached)."""
    loads = []
    for match in matches:
        host = match.host
        if host is None:
            continue  # usb.present says so
        try:
            tree = parse_descriptors(host.descriptors())
        except (OSError, DescriptorError) as exc:
            criteria.not_measured(
                "usb.periodic_bandwidth_pct", reason=f"{host.describe()}: descriptors: {exc}"
            )
        rate = _samplerate(rig, match.device.id)
        name = f"{match.device.id} ({host.describe()}, {rate} Hz)"
        loads.append(device_load(name, host.busnum or 0, tree, host.speed_mbps or 0.0, rate))
    if not loads:
        criteria.not_measured("usb.periodic_bandwidth_pct", reason=NO_DEVICE)
    buses = bus_loads(loads)
    attach_bandwidth(buses)
    worst = max(buses, key=lambda b: b.used_pct)
    detail = "\n".join(line for b in buses for line in b.describe())
    return criteria.check("usb.periodic_bandwidth_pct", worst.used_pct, detail=detail)


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


def check_plug_cycles(
    criteria: Criteria,
    plan: UsbRecovery,
    device: HostDevice,
    injector: Injector,
    kernel: KernelLog,
    matches: Sequence[Match],
) -> list[Record]:
    """usb.enumeration_s and usb.recovery_p95_s over the plan's cycles (the trace is
    attached), then kernel.usb_errors during them."""
    mark = kernel.mark()
    stats, trace = plug_cycles(injector, device, plan.device, plan.cycles, plan.timeout_s)
    attach_trace(trace)
    detail = f"{plan.cycles} cycles of {device.describe()} by {injector.name}\n{stats.describe()}"
    records = criteria.check_all(
        {"usb.enumeration_s": stats.enumerated_worst_s, "usb.recovery_p95_s": stats.usable_p95_s},
        detail=detail,
    )
    return [*records, check_kernel_errors(criteria, kernel, mark, matches, "the plug cycles")]
