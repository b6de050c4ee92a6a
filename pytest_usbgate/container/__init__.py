"""Container layer: the compose file that runs QEMU (dockurr/windows and the like).

Pure: `compose` (the file with its lines, interpolation), `arguments` (QEMU's
`-device` options as the image passes them), `lint` (the rules). I/O: `files` (the file
and its `.env`). `checks` (-> criteria), `cli`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_usbgate._lazy import exports

if TYPE_CHECKING:
    from pytest_usbgate.container.checks import check_compose as check_compose

_MODULES = {"checks": ("check_compose",)}
__all__ = sorted(name for names in _MODULES.values() for name in names)
__getattr__ = exports(__name__, _MODULES)
