"""`usbgate usb descriptors FILE.bin`: parse a descriptor dump (the format of sysfs
`descriptors`, or `lsusb`-less captures from a bench).

Exit codes: 0 consistent, 3 a descriptor problem (each printed with its byte offset),
2 the file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pytest_usbgate.measure.usb_descriptors import Descriptor, DescriptorError, parse_descriptors


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    usb = commands.add_parser("usb", help="USB descriptor tools")
    actions = usb.add_subparsers(dest="action", required=True)
    parse = actions.add_parser("descriptors", help="parse a descriptor dump: exit 0, or 3")
    parse.add_argument(
        "file", help="FILE.bin (e.g. a copy of /sys/bus/usb/devices/1-1/descriptors)"
    )
    parse.add_argument("--json", action="store_true", help="print the tree as JSON")
    parse.set_defaults(run=_descriptors)


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
