"""Bring-up gate, host USB: the devices enumerate at their speed with the descriptors
their profiles promise, stay awake, recover from unplug/replug, and the kernel logs no
USB errors for them."""

import json

import allure

from pytest_usbgate import Criteria
from pytest_usbgate.criteria import Limit
from pytest_usbgate.evidence.allure_labels import attach_json
from pytest_usbgate.io.kernel_log import KernelLog
from pytest_usbgate.io.plug_cycles import plug_cycles
from pytest_usbgate.measure.usb_descriptors import DescriptorError, parse_descriptors
from pytest_usbgate.measure.usb_profile import profile_problems
from pytest_usbgate.rig import Rig
from pytest_usbgate.usb_checks import (
    check_kernel_errors,
    check_power,
    check_present,
)
from pytest_usbgate.usb_match import Match


def test_usb_devices_present(
    usb_devices: list[Match], criteria: Criteria, kernel_log: KernelLog
) -> None:
    check_present(criteria, usb_devices, kernel_log)


def test_usb_speed(usb_devices: list[Match], criteria: Criteria) -> None:
    records = []
    for match in usb_devices:
        if match.host is None:
            continue  # usb.present says so
        profile = match.device.profile
        records.append(
            criteria.judge(
                "usb.speed",
                match.host.speed_mbps or 0.0,
                detail=match.host.describe(),
                device=match.device.id,
                device_limit=(Limit(min=profile.speed_mbps), f"profile {profile.id}"),
            )
        )
    if not records:
        criteria.fail("usb.speed", detail="no rig device on the host")
    criteria.raise_failed(records)


def test_usb_descriptors(usb_devices: list[Match], criteria: Criteria) -> None:
    records = []
    for match in usb_devices:
        host = match.host
        if host is None:
            continue
        raw = host.descriptors()
        allure.attach(raw, f"{match.device.id} descriptors", extension="bin")
        try:
            tree = parse_descriptors(raw)
        except DescriptorError as exc:
            problems = [str(exc)]
        else:
            attach_json(f"{match.device.id} descriptor tree", tree.to_dict())
            problems = tree.problems + profile_problems(tree, match.device.profile)
        records.append(
            criteria.judge(
                "usb.descriptors_valid",
                len(problems),
                detail="\n".join([host.describe(), *problems]),
                device=match.device.id,
            )
        )
    if not records:
        criteria.fail("usb.descriptors_valid", detail="no rig device on the host")
    criteria.raise_failed(records)


def test_usb_power_policy(usb_devices: list[Match], criteria: Criteria) -> None:
    check_power(criteria, usb_devices, budget=False)


def test_usb_plug_cycle_recovery(
    rig: Rig,
    usb_devices: list[Match],
    usb_device,
    plug_injector,
    kernel_log: KernelLog,
    criteria: Criteria,
) -> None:
    plan = rig.recovery()
    assert plan is not None, f"rig {rig.name} has no devices"
    device = usb_device(plan.device)
    injector = plug_injector(plan.device, device)
    mark = kernel_log.mark()
    stats, trace = plug_cycles(injector, device, plan.device, plan.cycles, plan.timeout_s)
    allure.attach(
        "\n".join(json.dumps(event.to_dict()) for event in trace),
        "plug-cycle trace",
        attachment_type=allure.attachment_type.JSON,
    )
    detail = f"{plan.cycles} cycles of {device.describe()} by {injector.name}\n{stats.describe()}"
    records = [
        criteria.judge("usb.enumeration_s", stats.enumerated_worst_s, detail=detail),
        criteria.judge("usb.recovery_p95_s", stats.usable_p95_s, detail=detail),
    ]
    criteria.raise_failed(records)
    check_kernel_errors(criteria, kernel_log, mark, usb_devices, "the plug cycles")


def test_kernel_log_usb_errors(
    usb_devices: list[Match], kernel_log: KernelLog, criteria: Criteria
) -> None:
    check_kernel_errors(criteria, kernel_log, 0, usb_devices, "this session")
