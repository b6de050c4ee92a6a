"""Compose-file lint for a USB passthrough container (dockurr/windows and the like),
static, no engine: each problem with its rule id (a contract), the file's line, the
service, a message a bench engineer can act on and the fix (DOMAIN.md §4). Pure."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final

from pytest_usbgate.container.arguments import XHCI, QemuDevice, qemu_devices, qemu_int
from pytest_usbgate.container.compose import Compose, ComposeError, Service, parse_compose

USB_TREE: Final = "/dev/bus/usb"
_DEVNODE: Final = re.compile(r"/dev/bus/usb/\d{3}/\d{3}")
_USB_CGROUP: Final = re.compile(r"^[ca]\s+(189|\*):\*\s+[rwm]*r[rwm]*w[rwm]*$|^a$")
PLACEHOLDER_IDS: Final = ((0x1234, 0x1234),)
ROOT_HUB_VENDOR: Final = 0x1D6B
ADDS_XHCI: Final = ("dockurr/windows", "dockur/windows")  # images adding qemu-xhci themselves


@dataclass(frozen=True, slots=True)
class Problem:
    rule: str
    line: int
    service: str
    message: str
    fix: str
    severity: str = "error"  # or "warning": works until a replug

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        where = f"service {self.service}: " if self.service else ""
        return f"line {self.line}: {self.rule}: {where}{self.message}; fix: {self.fix}"


@dataclass(frozen=True, slots=True)
class RigDevice:
    """A rig device the container must pass: its id, name and USB ids."""

    id: str
    name: str
    vendor_id: int
    product_id: int


def lint_text(
    text: str, env: Mapping[str, str], rig_devices: Sequence[RigDevice] | None = None
) -> list[Problem]:
    """Every problem in a compose file's text (`env`: what interpolation reads)."""
    try:
        compose = parse_compose(text, env)
    except ComposeError as exc:
        return [
            Problem(
                "invalid_yaml",
                exc.line or 1,
                "",
                str(exc).removeprefix(f"line {exc.line}: "),
                "fix the YAML at that line (indentation, a missing colon or quote)",
            )
        ]
    return lint(compose, rig_devices)


def lint(compose: Compose, rig_devices: Sequence[RigDevice] | None = None) -> list[Problem]:
    problems = [
        Problem(
            "duplicate_keys",
            line,
            path.split(".")[1] if path.startswith("services.") and "." in path[9:] else "",
            f"{path} appears twice in one mapping: compose v2 rejects the file, v1 keeps "
            "the last silently",
            "keep one of them",
        )
        for path, line in compose.duplicates
    ]
    passed: list[tuple[Service, QemuDevice]] = []
    for service in compose.services:
        devices = qemu_devices(service.environment.get("ARGUMENTS", ""))
        passed += [(service, d) for d in devices if d.driver == "usb-host"]
        problems += _service_problems(service, devices)
    if rig_devices is not None:
        problems += _rig_problems(compose, passed, rig_devices)
    return sorted(problems, key=lambda p: (p.line, p.rule))


def _service_problems(service: Service, devices: list[QemuDevice]) -> Iterator[Problem]:
    name = service.name
    for key in service.data:
        if isinstance(key, str) and re.fullmatch(r"[A-Z][A-Z0-9_]*", key):
            yield Problem(
                "arguments_not_in_environment",
                service.line_of(key),
                name,
                f"{key} is a key of the service, not of its environment: the container "
                "(and QEMU) never receive it",
                f"move {key} under environment:",
            )
    hosts = [d for d in devices if d.driver == "usb-host"]
    args_line = service.environment_lines.get("ARGUMENTS", service.line_of("environment"))
    usb_mounts = [m for m in (*service.devices, *service.volumes) if m.source.startswith(USB_TREE)]
    for mount in usb_mounts:
        if _DEVNODE.fullmatch(mount.source.rstrip("/")):
            yield Problem(
                "static_devnode_mapping",
                mount.line,
                name,
                f"{mount.source} is one device node: after a replug the device has a new "
                "number and this node is gone or another device's",
                f"bind-mount the whole tree ({USB_TREE}:{USB_TREE}) with a cgroup rule "
                "'c 189:* rwm'",
            )
    bound = any(m.source.rstrip("/") == USB_TREE for m in service.volumes if m.bind)
    for mount in service.devices:
        if mount.source.rstrip("/") == USB_TREE and not bound:
            yield Problem(
                "usb_devnodes_not_bind_mounted",
                mount.line,
                name,
                f"{USB_TREE} under devices: is copied once at creation: a replugged device's "
                "new node never appears in the container",
                f"bind-mount it under volumes: ({USB_TREE}:{USB_TREE}) with a cgroup rule "
                "'c 189:* rwm'",
                severity="warning",
            )
    if hosts and not service.privileged:
        if not usb_mounts:
            yield Problem(
                "no_usb_device_mapping",
                args_line,
                name,
                f"ARGUMENTS pass a usb-host device but {USB_TREE} is neither under devices: "
                "nor bind-mounted: QEMU cannot open it (libusb errno=2)",
                f"add volumes: ['{USB_TREE}:{USB_TREE}'] and device_cgroup_rules: ['c 189:* rwm']",
            )
        if not any(_USB_CGROUP.match(rule.strip()) for rule in service.cgroup_rules()):
            yield Problem(
                "no_cgroup_rule_or_privileged",
                service.line_of("device_cgroup_rules"),
                name,
                "neither privileged: true nor a device cgroup rule for USB (major 189): "
                "a replugged device's node is denied (libusb errno=1)",
                "add device_cgroup_rules: ['c 189:* rwm'] (or privileged: true)",
            )
    for device in hosts:
        yield from _usb_host_problems(name, args_line, device)
    adds_xhci = any(image in service.image for image in ADDS_XHCI)
    if hosts and not adds_xhci and not any(d.driver in XHCI for d in devices):
        yield Problem(
            "usb_host_without_xhci",
            args_line,
            name,
            f"usb-host devices but no xHCI controller in ARGUMENTS, and image "
            f"{service.image or '(none)'} adds none: a high-speed device on a USB 1.1 "
            "bus fails to attach (speed mismatch)",
            "add -device qemu-xhci,id=xhci to ARGUMENTS and bus=xhci.0 to each usb-host",
        )
    kvm_off = service.environment.get("KVM", "").upper() in ("N", "NO", "0", "FALSE")
    has_kvm = any(m.source == "/dev/kvm" for m in service.devices)
    if hosts and not (has_kvm or service.privileged or kvm_off):
        yield Problem(
            "no_kvm",
            service.line_of("devices"),
            name,
            "no /dev/kvm under devices: the VM runs emulated, too slow for audio",
            "add /dev/kvm under devices:",
        )


def _usb_host_problems(service: str, line: int, device: QemuDevice) -> Iterator[Problem]:
    for key in ("vendorid", "productid"):
        text = device.props.get(key)
        if text is not None and not text.lower().startswith("0x"):
            yield Problem(
                "usb_ids_missing_0x",
                line,
                service,
                f"{key}={text} in '{device.text}': QEMU reads it as "
                f"{'octal' if text.startswith('0') and len(text) > 1 else 'decimal'}"
                f" ({qemu_int(text)}), not hex",
                f"write {key}=0x{text}",
            )
    ids = (device.number("vendorid"), device.number("productid"))
    if ids in PLACEHOLDER_IDS or ids[0] == ROOT_HUB_VENDOR:
        yield Problem(
            "placeholder_usb_ids",
            line,
            service,
            f"'{device.text}' names "
            + ("a root hub" if ids[0] == ROOT_HUB_VENDOR else "the README's example IDs"),
            "use the device's own IDs from lsusb (4i4 0x1235:0x821a, KeyLab 0x1c75:0x02cb)",
        )
    pinned = [k for k in ("hostbus", "hostaddr", "hostdevice") if k in device.props]
    if pinned:
        yield Problem(
            "hostbus_hostaddr_pinning",
            line,
            service,
            f"'{device.text}' pins {', '.join(pinned)}: the address changes on every replug, "
            "and QEMU refuses to start when it is absent",
            "match by vendorid=0x…,productid=0x… instead",
        )


def _rig_problems(
    compose: Compose, passed: list[tuple[Service, QemuDevice]], rig: Sequence[RigDevice]
) -> Iterator[Problem]:
    wanted = {(d.vendor_id, d.product_id): d for d in rig}
    ids = {(d.number("vendorid"), d.number("productid")): (s, d) for s, d in passed}
    first = compose.services[0]
    for key, wanted_device in wanted.items():
        if key not in ids:
            yield Problem(
                "rig_device_not_passed",
                first.environment_lines.get("ARGUMENTS", first.line),
                first.name,
                f"rig device {wanted_device.id} ({wanted_device.name} "
                f"{key[0]:04x}:{key[1]:04x}) has no "
                "usb-host in ARGUMENTS",
                f"add -device usb-host,vendorid=0x{key[0]:04x},productid=0x{key[1]:04x}",
            )
    for found, (service, device) in ids.items():
        if None not in found and found not in wanted:
            yield Problem(
                "unknown_device_passed",
                service.environment_lines.get("ARGUMENTS", service.line),
                service.name,
                f"'{device.text}' passes a device the rig does not declare",
                "declare it under [[devices]] in the rig, or remove it",
            )
