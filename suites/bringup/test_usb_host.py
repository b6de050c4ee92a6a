"""Bring-up gate, host USB: the devices enumerate at their speed with the descriptors
their profiles promise, stay awake, recover from unplug/replug, and the kernel logs no
USB errors for them."""

from collections.abc import Callable

from pytest_usbgate import Criteria, Rig
from pytest_usbgate.usb import (
    HostDevice,
    Injector,
    KernelLog,
    Match,
    check_descriptors,
    check_kernel_errors,
    check_plug_cycles,
    check_power,
    check_present,
    check_speed,
)


def test_usb_devices_present(
    usb_devices: list[Match], criteria: Criteria, kernel_log: KernelLog
) -> None:
    check_present(criteria, usb_devices, kernel_log)


def test_usb_speed(usb_devices: list[Match], criteria: Criteria) -> None:
    check_speed(criteria, usb_devices)


def test_usb_descriptors(usb_devices: list[Match], criteria: Criteria) -> None:
    check_descriptors(criteria, usb_devices)


def test_usb_power_policy(usb_devices: list[Match], criteria: Criteria) -> None:
    check_power(criteria, usb_devices, budget=False)


def test_usb_plug_cycle_recovery(
    rig: Rig,
    usb_devices: list[Match],
    usb_device: Callable[[str], HostDevice],
    plug_injector: Callable[[str, HostDevice], Injector],
    kernel_log: KernelLog,
    criteria: Criteria,
) -> None:
    plan = rig.recovery()
    assert plan is not None, f"rig {rig.name} has no devices"
    device = usb_device(plan.device)
    check_plug_cycles(
        criteria, plan, device, plug_injector(plan.device, device), kernel_log, usb_devices
    )


def test_kernel_log_usb_errors(
    usb_devices: list[Match], kernel_log: KernelLog, criteria: Criteria
) -> None:
    check_kernel_errors(criteria, kernel_log, 0, usb_devices, "this session")
