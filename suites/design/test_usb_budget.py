"""Design gate, host USB: the rig's devices are on the bus, their periodic load at the
rig's sample rate fits USB 2.0's budget, and the power policy keeps them awake."""

from pytest_usbgate import Criteria, Rig
from pytest_usbgate.usb import Match, check_periodic_bandwidth, check_power, check_present


def test_usb_devices_present(usb_devices: list[Match], criteria: Criteria) -> None:
    check_present(criteria, usb_devices)


def test_usb_periodic_bandwidth(rig: Rig, usb_devices: list[Match], criteria: Criteria) -> None:
    check_periodic_bandwidth(criteria, rig, usb_devices)


def test_usb_power_policy(usb_devices: list[Match], criteria: Criteria) -> None:
    check_power(criteria, usb_devices, budget=True)
