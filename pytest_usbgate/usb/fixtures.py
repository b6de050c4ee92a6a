"""Fixtures for the host USB layer: the rig's devices as the host sees them
(`usb_devices`, `usb_device(id)`, `scarlett_4i4`, `keylab_mkii`), the kernel log
followed during the session (`kernel_log`), and the plug-cycle injector for a device
(`plug_injector`). On the sim rig the same code reads umockdev's testbed and the sim's
replayed kernel log."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from pytest_usbgate.errors import UsbgateError

if TYPE_CHECKING:
    from pytest_usbgate.config.rig import Rig
    from pytest_usbgate.gate.checker import Criteria
    from pytest_usbgate.sim.session import SimSession
    from pytest_usbgate.sim.usb.injector import SimReplug
    from pytest_usbgate.usb.host import HostDevice
    from pytest_usbgate.usb.inject import Injector
    from pytest_usbgate.usb.kmsg import KernelLog
    from pytest_usbgate.usb.match import Match

SCARLETT_4I4 = "focusrite-scarlett-4i4-gen4"
KEYLAB_MKII_88 = "arturia-keylab-mkii-88"
REPLAY_SETTLE_S = 5.0


@pytest.fixture
def usb_devices(rig: Rig, rig_sim: SimSession | None) -> list[Match]:
    """Each rig device matched to what the host has now (in rig order); a device the
    host lacks has `host` None and a `problem` naming what the host has instead."""
    from pytest_usbgate.usb.host import list_devices
    from pytest_usbgate.usb.match import match_devices

    return match_devices(rig.devices, list_devices())


@pytest.fixture
def usb_device(usb_devices: list[Match], criteria: Criteria) -> Callable[[str], HostDevice]:
    """`usb_device("interface")`: the rig device on the host. One the host lacks FAILs
    usb.present (host / usb), naming what was found instead."""

    def get(device_id: str) -> HostDevice:
        match = next((m for m in usb_devices if m.device.id == device_id), None)
        if match is None:
            known = ", ".join(m.device.id for m in usb_devices) or "none"
            raise UsbgateError(f"no rig device {device_id!r} (devices: {known})")
        if match.host is None:
            criteria.check("usb.present", False, detail=match.problem or "", device=device_id)
        assert match.host is not None
        return match.host

    return get


def _by_profile(rig: Rig, profile: str, usb_device: Callable[[str], HostDevice]) -> HostDevice:
    for device in rig.devices:
        if device.profile.id == profile:
            return usb_device(device.id)
    pytest.skip(f"rig {rig.name} has no {profile}")


@pytest.fixture
def scarlett_4i4(rig: Rig, usb_device: Callable[[str], HostDevice]) -> HostDevice:
    """The rig's Focusrite Scarlett 4i4 4th Gen on the host bus."""
    return _by_profile(rig, SCARLETT_4I4, usb_device)


@pytest.fixture
def keylab_mkii(rig: Rig, usb_device: Callable[[str], HostDevice]) -> HostDevice:
    """The rig's Arturia KeyLab mkII 88 on the host bus."""
    return _by_profile(rig, KEYLAB_MKII_88, usb_device)


@pytest.fixture(scope="session")
def kernel_log(rig_sim: SimSession | None) -> Iterator[KernelLog]:
    """The kernel log from this session's start (on the sim: its replayed recording,
    waited for before each read), classified; `mark()` and `errors_since(mark, paths)`
    give a test its own window."""
    from pytest_usbgate.usb.kmsg import FileSource, KernelLog, host_source

    if rig_sim is None:
        log = KernelLog(host_source())
    else:
        replay = rig_sim.replayers["kernel log"]

        def settle() -> None:
            deadline = time.monotonic() + REPLAY_SETTLE_S
            while not replay.finished() and time.monotonic() < deadline:
                time.sleep(0.01)

        log = KernelLog(FileSource(rig_sim.kernel_log), settle)
    try:
        yield log
    finally:
        log.close()


@pytest.fixture
def plug_injector(
    rig: Rig, rig_sim: SimSession | None
) -> Iterator[Callable[[str, HostDevice], Injector]]:
    """`plug_injector(device_id, host_device)`: what unplugs and replugs it, as the
    rig's [usb.recovery] says (on the sim: umockdev remove and re-add, the re-add from
    a thread that the test's end waits for)."""
    from pytest_usbgate.usb.inject import host_injector

    plan = rig.recovery()
    replugs: list[SimReplug] = []

    def make(device_id: str, device: HostDevice) -> Injector:
        if rig_sim is None:
            return host_injector(plan.injector if plan else "authorized", device)
        replug = rig_sim.replug(rig.device(device_id).profile.id)
        replugs.append(replug)
        return replug

    yield make
    for replug in replugs:  # a device still coming back must not outlive its test
        replug.join()
