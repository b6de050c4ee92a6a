"""`usbgate kernel-log classify FILE`: the USB events in a kernel log users paste
(dmesg or journalctl -k). Exit 0 listed, 2 the file cannot be read."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pytest_usbgate.measure.kernel_log import classify


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    kernel = commands.add_parser("kernel-log", help="kernel log tools")
    actions = kernel.add_subparsers(dest="action", required=True)
    run = actions.add_parser("classify", help="the USB events in a kernel log")
    run.add_argument("file", help="a saved dmesg or journalctl -k")
    run.add_argument("--json", action="store_true", help="print JSON")
    run.set_defaults(run=_classify)


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
