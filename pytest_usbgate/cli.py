"""The `usbgate` command: offline tools around rigs, criteria and sign-offs.

Exit codes: 0 good, 1 a check found a problem (a tampered sign-off), 2 bad input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pytest_usbgate.audio import cli as audio_cli
from pytest_usbgate.config.catalog import builtin_catalog
from pytest_usbgate.config.rig import load_rig
from pytest_usbgate.container import cli as container_cli
from pytest_usbgate.errors import ConfigError
from pytest_usbgate.evidence.signoff import verify
from pytest_usbgate.sim.faults import catalog_lines
from pytest_usbgate.usb import cli as usb_cli


def _rig_validate(args: argparse.Namespace) -> int:
    try:
        rig = load_rig(Path(args.file))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"{args.file}: rig {rig.name} ({rig.kind}), {len(rig.devices)} device(s): OK")
    return 0


def _signoff_verify(args: argparse.Namespace) -> int:
    folder = Path(args.dir)
    if not folder.is_dir():
        print(f"{folder}: not a folder (expected reports/<build>/<gate>/)", file=sys.stderr)
        return 2
    problems = verify(folder)
    for problem in problems:
        print(f"{folder}: {problem}")
    if problems:
        return 1
    print(f"{folder}: intact")
    return 0


def _criteria(args: argparse.Namespace) -> int:
    for criterion in builtin_catalog().values():
        limits = "; ".join(
            f"{gate} {limit.describe(criterion.unit)}" for gate, limit in criterion.limits.items()
        )
        required = ",".join(criterion.required) or "-"
        print(
            f"{criterion.id:28} {criterion.unit:7} {criterion.layer:11} required: {required:22}"
            f" default: {limits or '-'}"
        )
    return 0


def _faults(args: argparse.Namespace) -> int:
    for line in catalog_lines():
        print(line)
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="usbgate", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)

    rig = commands.add_parser("rig", help="rig files").add_subparsers(dest="action", required=True)
    validate = rig.add_parser(
        "validate", help="check a rig file: exit 0, or 2 with file: key: message"
    )
    validate.add_argument("file")
    validate.set_defaults(run=_rig_validate)

    signoff = commands.add_parser("signoff", help="sign-off records").add_subparsers(
        dest="action", required=True
    )
    check = signoff.add_parser(
        "verify", help="recompute the manifest: exit 0 intact, 1 changed/added/removed"
    )
    check.add_argument("dir", help="reports/<build>/<gate>/")
    check.set_defaults(run=_signoff_verify)

    listing = commands.add_parser("criteria", help="list the criterion catalog")
    listing.set_defaults(run=_criteria)

    faults = commands.add_parser("faults", help="list the sim rig's fault catalog")
    faults.set_defaults(run=_faults)

    audio_cli.add_commands(commands)
    usb_cli.add_commands(commands)
    container_cli.add_commands(commands)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
