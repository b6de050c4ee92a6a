"""umockdev device descriptions (the text `umockdev-record` writes) of the modelled
devices, and the edits the sim's "kernel" makes to them: device numbers on (re)plug,
and attributes the fault catalog changes.

Files in `sim/data/usb/` are written by `render_fixture` and checked against it by
the tests; a recording of a real unit (`umockdev-record /dev/bus/usb/BBB/DDD`) can take
a file's place. Lines starting with '#' are comments (stripped before umockdev sees them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pytest_usbgate.sim.usb.descriptors import (
    DescriptorSet,
    interfaces,
    keylab_mkii_88,
    scarlett_4i4_gen4,
)

CONTROLLER: Final = "/devices/pci0000:00/0000:00:14.0"
ROOT_HUB: Final = f"{CONTROLLER}/usb1"
BUS: Final = 1

FIXTURE_DIR: Final = Path(__file__).resolve().parent.parent / "data" / "usb"


@dataclass(frozen=True, slots=True)
class UsbModel:
    name: str  # the profile id
    port: str  # bus-port path, e.g. 1-1
    speed: str  # sysfs speed in Mb/s
    descriptors: DescriptorSet
    driver: str  # interface driver while the host owns the device
    devnum: int  # number in the fixture; replug assigns new ones


MODELS: Final = {
    m.name: m
    for m in (
        UsbModel(
            "focusrite-scarlett-4i4-gen4", "1-1", "480", scarlett_4i4_gen4(), "snd-usb-audio", 2
        ),
        UsbModel("arturia-keylab-mkii-88", "1-2", "12", keylab_mkii_88(), "snd-usb-audio", 3),
    )
}


def _hex(data: bytes) -> str:
    return data.hex().upper()  # umockdev reads upper-case hex only


def _minor(devnum: int) -> int:
    """usbfs nodes are char 189:((bus - 1) * 128 + devnum - 1)."""
    return (BUS - 1) * 128 + devnum - 1


def device_block(model: UsbModel) -> str:
    d = model.descriptors
    dev = d.device
    node = f"bus/usb/{BUS:03d}/{model.devnum:03d}"
    vendor, product, bcd = d.ids
    config = d.configuration
    lines = [
        f"P: {ROOT_HUB}/{model.port}",
        f"N: {node}={_hex(d.sysfs)}",
        f"E: DEVNAME=/dev/{node}",
        "E: DEVTYPE=usb_device",
        "E: DRIVER=usb",
        f"E: PRODUCT={vendor:x}/{product:x}/{bcd:x}",
        "E: SUBSYSTEM=usb",
        f"E: BUSNUM={BUS:03d}",
        f"E: DEVNUM={model.devnum:03d}",
        "E: MAJOR=189",
        f"E: MINOR={_minor(model.devnum)}",
        "A: authorized=1",
        "A: avoid_reset_quirk=0",
        f"A: bConfigurationValue={config[5]}",
        f"A: bDeviceClass={dev[4]:02x}",
        f"A: bDeviceProtocol={dev[6]:02x}",
        f"A: bDeviceSubClass={dev[5]:02x}",
        f"A: bMaxPacketSize0={dev[7]}",
        f"A: bMaxPower={config[8] * 2}mA",
        f"A: bNumConfigurations={dev[17]}",
        f"A: bNumInterfaces={config[4]:2d}",
        f"A: bcdDevice={bcd:04x}",
        f"A: bmAttributes={config[7]:02x}",
        f"A: busnum={BUS}",
        f"A: dev=189:{_minor(model.devnum)}",
        f"A: devnum={model.devnum}",
        f"A: devpath={model.port.split('-', 1)[1]}",
        f"H: descriptors={_hex(d.sysfs)}",
        f"A: idProduct={product:04x}",
        f"A: idVendor={vendor:04x}",
        f"A: manufacturer={d.strings[1]}",
        "A: maxchild=0",
        "A: power/active_duration=0",
        "A: power/autosuspend_delay_ms=2000",
        "A: power/control=on",
        "A: power/level=on",
        "A: power/runtime_status=active",
        f"A: product={d.strings[2]}",
        "A: quirks=0x0",
        "A: removable=removable",
        f"A: serial={d.strings[3]}",
        f"A: speed={model.speed}",
        f"A: version= {dev[3]:x}.{dev[2]:02x}",
        "L: driver=../../../../../bus/usb/drivers/usb",
    ]
    blocks = ["\n".join(lines)]
    seen = set()
    for number, alt, cls, sub, proto in interfaces(config):
        if number in seen:
            continue
        seen.add(number)
        driver = "usbfs" if cls == 0xFF else model.driver
        blocks.append(
            "\n".join(
                [
                    f"P: {ROOT_HUB}/{model.port}/{model.port}:{config[5]}.{number}",
                    "E: DEVTYPE=usb_interface",
                    f"E: DRIVER={driver}",
                    f"E: INTERFACE={cls}/{sub}/{proto}",
                    "E: SUBSYSTEM=usb",
                    f"A: bAlternateSetting={alt:2d}",
                    f"A: bInterfaceClass={cls:02x}",
                    f"A: bInterfaceNumber={number:02x}",
                    f"A: bInterfaceProtocol={proto:02x}",
                    f"A: bInterfaceSubClass={sub:02x}",
                ]
            )
        )
    return "\n\n".join(blocks) + "\n"


def host_block() -> str:
    root = bytes.fromhex(
        "12010002090001406B1D020006060302010109021900010100E0000904000001090000000705810304000C"
    )
    return (
        "\n".join(
            [
                f"P: {ROOT_HUB}",
                f"N: bus/usb/{BUS:03d}/001={_hex(root)}",
                f"E: DEVNAME=/dev/bus/usb/{BUS:03d}/001",
                "E: DEVTYPE=usb_device",
                "E: DRIVER=usb",
                "E: PRODUCT=1d6b/2/606",
                "E: SUBSYSTEM=usb",
                f"E: BUSNUM={BUS:03d}",
                "E: DEVNUM=001",
                "E: MAJOR=189",
                f"E: MINOR={_minor(1)}",
                "A: authorized=1",
                "A: bConfigurationValue=1",
                "A: bDeviceClass=09",
                "A: bMaxPower=0mA",
                f"A: busnum={BUS}",
                f"A: dev=189:{_minor(1)}",
                "A: devnum=1",
                f"H: descriptors={_hex(root)}",
                "A: idProduct=0002",
                "A: idVendor=1d6b",
                "A: maxchild=4",
                "A: power/control=auto",
                "A: product=xHCI Host Controller",
                "A: speed=480",
                "",
                f"P: {CONTROLLER}",
                "E: DRIVER=xhci_hcd",
                "E: PCI_CLASS=C0330",
                "E: SUBSYSTEM=pci",
                "A: class=0x0c0330",
                "A: vendor=0x8086",
            ]
        )
        + "\n"
    )


def render_fixture(model: UsbModel) -> str:
    """The fixture file: provenance and open questions as comments, then the description."""
    d = model.descriptors
    head = [
        f"# {d.strings[2]} ({model.name}), sim rig USB description (umockdev format).",
        "# Built by pytest_usbgate.sim.usb.descriptors from USB 2.0 ch. 9, USB Audio 2.0",
        "# and USB MIDI 1.0; regenerate with `python -m pytest_usbgate.sim.usb.description`.",
        "# Awaiting confirmation against a real unit (lsusb -v, umockdev-record):",
        *(f"#   - {item}" for item in d.unconfirmed),
        "# String descriptors (index: UTF-16LE bytes, as GET_DESCRIPTOR returns them):",
        *(f"#   {i}: {_hex(b)}" for i, b in d.string_descriptors().items()),
    ]
    return "\n".join(head) + "\n" + device_block(model)


def strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("#")).strip() + "\n"


def renumber(text: str, devnum: int) -> str:
    """The description as the kernel would show it after enumerating at `devnum`."""
    text = re.sub(r"(bus/usb/\d{3}/)\d{3}", lambda m: f"{m.group(1)}{devnum:03d}", text)
    text = re.sub(r"^E: DEVNUM=\d+$", f"E: DEVNUM={devnum:03d}", text, flags=re.M)
    text = re.sub(r"^E: MINOR=\d+$", f"E: MINOR={_minor(devnum)}", text, flags=re.M)
    text = re.sub(r"^A: dev=189:\d+$", f"A: dev=189:{_minor(devnum)}", text, flags=re.M)
    return re.sub(r"^A: devnum=\d+$", f"A: devnum={devnum}", text, flags=re.M)


def set_attribute(text: str, name: str, value: str) -> str:
    """Change one attribute of the device (first block); it must exist."""
    pattern = re.compile(rf"^A: {re.escape(name)}=.*$", re.M)
    if not pattern.search(text):
        raise KeyError(name)
    return pattern.sub(f"A: {name}={value}", text, count=1)


def fixture_path(name: str) -> Path:
    return FIXTURE_DIR / f"{name}.umockdev"


def main() -> None:
    FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
    for model in MODELS.values():
        fixture_path(model.name).write_text(render_fixture(model))
    (FIXTURE_DIR / "host.umockdev").write_text(
        "# xHCI controller and its USB 2.0 root hub (bus 1) for the sim's testbed.\n" + host_block()
    )


if __name__ == "__main__":
    main()
