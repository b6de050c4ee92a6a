"""Design gate, host USB: the rig's devices are on the bus, their periodic load at the
rig's sample rate fits USB 2.0's budget, and the power policy keeps them awake."""

from pytest_usbgate import Criteria
from pytest_usbgate.evidence.allure_labels import attach_json
from pytest_usbgate.measure.usb_bandwidth import bus_loads, device_load
from pytest_usbgate.measure.usb_descriptors import DescriptorError, parse_descriptors
from pytest_usbgate.rig import Rig
from pytest_usbgate.usb_checks import check_power, check_present
from pytest_usbgate.usb_match import Match


def test_usb_devices_present(usb_devices: list[Match], criteria: Criteria) -> None:
    check_present(criteria, usb_devices)


def _samplerate(rig: Rig, device_id: str) -> int:
    """The rig's rate for the device on its audio cable; the profile's highest otherwise."""
    loop = rig.audio_loopback
    if loop is not None and loop.device == device_id:
        return loop.samplerate
    audio = rig.device(device_id).profile.audio
    return max(audio.samplerates) if audio else 48000


def test_usb_periodic_bandwidth(rig: Rig, usb_devices: list[Match], criteria: Criteria) -> None:
    loads = []
    for match in usb_devices:
        host = match.host
        if host is None:
            continue
        try:
            tree = parse_descriptors(host.descriptors())
        except (OSError, DescriptorError) as exc:
            criteria.fail(
                "usb.periodic_bandwidth_pct", detail=f"{host.describe()}: descriptors: {exc}"
            )
        rate = _samplerate(rig, match.device.id)
        loads.append(
            device_load(
                f"{match.device.id} ({host.describe()}, {rate} Hz)",
                host.busnum or 0,
                tree,
                host.speed_mbps or 0.0,
                rate,
            )
        )
    if not loads:
        criteria.fail("usb.periodic_bandwidth_pct", detail="no rig device on the host")
    buses = bus_loads(loads)
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
    worst = max(buses, key=lambda b: b.used_pct)
    detail = "\n".join(line for b in buses for line in b.describe())
    criteria.check("usb.periodic_bandwidth_pct", worst.used_pct, detail=detail)


def test_usb_power_policy(usb_devices: list[Match], criteria: Criteria) -> None:
    check_power(criteria, usb_devices, budget=True)
