"""`usbgate container lint COMPOSE.yml [--rig RIG] [--json]`: the compose file's problems
for USB passthrough. Exit 0 clean, 1 problems, 2 the file (or the rig) cannot be read."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from pytest_usbgate.config.rig import load_rig
from pytest_usbgate.container.checks import rig_devices
from pytest_usbgate.container.files import ComposeUnreadable, read_compose
from pytest_usbgate.container.lint import lint_text
from pytest_usbgate.errors import ConfigError


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    container = commands.add_parser("container", help="container (docker compose) tools")
    actions = container.add_subparsers(dest="action", required=True)
    lint = actions.add_parser("lint", help="a compose file's passthrough problems: exit 0, 1 or 2")
    lint.add_argument("file", help="docker-compose.yml / compose.yaml")
    lint.add_argument("--rig", help="also check it passes this rig's devices, and only them")
    lint.add_argument("--json", action="store_true", help="print the problems as JSON")
    lint.set_defaults(run=_lint)


def _lint(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        devices = rig_devices(load_rig(Path(args.rig))) if args.rig else None
        text, env = read_compose(path, os.environ)
    except (ConfigError, ComposeUnreadable) as exc:
        print(exc, file=sys.stderr)
        return 2
    problems = lint_text(text, env, devices)
    if args.json:
        print(json.dumps([p.to_dict() for p in problems], indent=2))
    else:
        for p in problems:
            where = f" [{p.service}]" if p.service else ""
            print(f"{path}:{p.line}: {p.severity} {p.rule}{where}: {p.message}\n  fix: {p.fix}")
        if not problems:
            print(f"{path}: no problems")
    return 1 if problems else 0
