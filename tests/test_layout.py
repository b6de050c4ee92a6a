"""The layout's rules that import-linter cannot see: the gate suites import from
`pytest_usbgate` and `pytest_usbgate.<domain>` only, never a module inside a domain."""

from __future__ import annotations

import ast

from .conftest import CHECKOUT, PACKAGE

DOMAINS = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}


def test_suites_import_the_public_surface_only() -> None:
    deep = []
    for path in sorted((CHECKOUT / "suites").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                parts = node.module.split(".")
                if parts[0] == "pytest_usbgate" and (
                    len(parts) > 2 or (len(parts) == 2 and parts[1] not in DOMAINS)
                ):
                    deep.append(f"{path.relative_to(CHECKOUT)}:{node.lineno}: {node.module}")
    assert deep == []
    assert {"usb", "audio", "midi", "config"} <= DOMAINS
