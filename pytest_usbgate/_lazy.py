"""Public names of a domain package, imported from their modules on first use, so that
loading the plugin does not load numpy or a domain's hardware code (PEP 562)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def exports(package: str, modules: Mapping[str, tuple[str, ...]]) -> Callable[[str], object]:
    """A module `__getattr__` for `package`: module name -> the public names it holds."""
    where = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> object:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    return __getattr__
