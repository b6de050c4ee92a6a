"""Every data file the package reads ships in its wheel: each file under pytest_usbgate/
that is not Python matches a package-data pattern of pyproject.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

from .conftest import CHECKOUT, PACKAGE


def test_every_data_file_of_the_package_is_package_data() -> None:
    config = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]
    shipped: set[Path] = set()
    for package, globs in patterns.items():
        folder = CHECKOUT.joinpath(*package.split("."))
        for pattern in globs:
            shipped |= set(folder.glob(pattern))
    data = {
        p
        for p in PACKAGE.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    }
    assert data, "no data files found"
    assert sorted(p.relative_to(PACKAGE).as_posix() for p in data - shipped) == []
