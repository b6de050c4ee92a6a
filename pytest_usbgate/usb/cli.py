"""`usbgate usb descriptors FILE.bin`: parse a descriptor dump (the format of sysfs
`descriptors`, or `lsusb`-less captures from a bench). Exit codes: 0 consistent, 3 a
descriptor problem (each printed with its byte offset), 2 the file cannot be read.

`usbgate usb udev-rules [VID:PID ...] [--rig FILE] [-o FILE]`: rules that keep the
devices out of autosuspend. Exit 0, or 2 for a bad ID or rig (nothing written).

`usbgate kernel-log classify FILE`: the USB events in a kernel log users paste (dmesg or
journalctl -k). Exit 0 listed, 2 the file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pytest_usbgate.config.rig import load_rig
from pytest_usbgate.errors import ConfigError
from pytest_usbgate.usb.descriptors import Descriptor, DescriptorError, parse_descriptors
from pytest_usbgate.usb.kernel_log import classify
from pytest_usbgate.usb.udev import RULES_FILE, power_rules


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    usb = commands.add_parser("usb", help="USB descriptor tools")
    actions = usb.add_subparsers(dest="action", required=True)
    parse = actions.add_parser("descriptors", help="parse a descriptor dump: exit 0, or 3")
    parse.add_argument(
        "file", help="FILE.bin (e.g. a copy of /sys/bus/usb/devices/1-1/descriptors)"
    )
    parse.add_argument("--json", action="store_true", help="print the tree as JSON")
    parse.set_defaults(run=_descriptors)
    rules = actions.add_parser(
        "udev-rules", help="udev rules pinning devices to power/control=on: exit 0, or 2"
    )
    rules.add_argument("ids", nargs="*", metavar="VID:PID", help="e.g. 1235:821a")
    rules.add_argument("--rig", help="also every audio or MIDI device of this rig file")
    rules.add_argument("-o", "--output", help=f"write here (e.g. {RULES_FILE}), not stdout")
    rules.set_defaults(run=_udev_rules)
    kernel = commands.add_parser("kernel-log", help="kernel log tools")
    actions = kernel.add_subparsers(dest="action", required=True)
    run = actions.add_parser("classify", help="the USB events in a kernel log")
    run.add_argument("file", help="a saved dmesg or journalctl -k")
    run.add_argument("--json", action="store_true", help="print JSON")
    run.set_defaults(run=_classify)


def _udev_rules(args: argparse.Namespace) -> int:
    devices = []
    if args.rig:
        try:
            rig = load_rig(Path(args.rig))
        except ConfigError as exc:
            print(exc, file=sys.stderr)
            return 2
        devices += [
            (f"{d.profile.vendor_id}:{d.profile.product_id}", d.profile.name)
            for d in rig.devices
            if d.profile.audio is not None or d.profile.midi is not None
        ]
    devices += [(usb_id, usb_id) for usb_id in args.ids]
    try:
        text = power_rules(devices)
    except ValueError as exc:
        print(f"usbgate usb udev-rules: {exc}", file=sys.stderr)
        return 2
    if args.output is None:
        print(text, end="")
        return 0
    try:
        Path(args.output).write_text(text)
    except OSError as exc:
        print(f"{args.output}: cannot write: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"{args.output}: {text.count('ACTION==')} rule(s)")
    return 0


def _descriptors(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"{path}: cannot read: {exc.strerror or exc}", file=sys.stderr)
        return 2
    try:
        tree = parse_descriptors(data)
    except DescriptorError as exc:
        print(exc, file=sys.stderr)
        return 3
    if args.json:
        print(json.dumps(tree.to_dict(), indent=2))
    else:
        for root in tree.roots:
            _print(root, 0)
    for problem in tree.problems:
        print(problem, file=sys.stderr)
    return 3 if tree.problems else 0


def _print(node: Descriptor, depth: int) -> None:
    print(f"{'  ' * depth}{node.offset:#06x} {node.kind}")
    for child in node.children:
        _print(child, depth + 1)


def _classify(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        print(f"{path}: cannot read: {exc.strerror or exc}", file=sys.stderr)
        return 2
    events = classify(text)
    if args.json:
        print(json.dumps([e.to_dict() for e in events], indent=2))
    else:
        for e in events:
            errno = f" {e.errno} {e.errno_name}" if e.errno is not None else ""
            print(
                f"{path}:{e.line}: {e.severity:7} {e.kind}{errno} [{e.device}] {e.layer}/{e.domain}"
            )
    return 0
