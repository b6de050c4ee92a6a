"""Hardware libraries, imported lazily through `require`, so a missing native library
is one clear error in the test that needs it, not an import failure of the whole
plugin; and the host platform that port and device names depend on."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Final

from pytest_usbgate.errors import NativeLibraryError

# module -> (PyPI package, what it needs underneath and how to get it on Debian)
NATIVE: Final[dict[str, tuple[str, str]]] = {
    "sounddevice": ("sounddevice", "PortAudio (apt-get install libportaudio2)"),
    "usb.core": ("pyusb", "libusb (apt-get install libusb-1.0-0)"),
    "rtmidi": ("python-rtmidi", "ALSA/JACK (apt-get install libasound2 libjack-jackd2-0)"),
    "mido": ("mido", "python-rtmidi for its backend"),
    "serial": ("pyserial", "nothing native"),
}


def require(module: str) -> ModuleType:
    """Import a hardware library or raise NativeLibraryError saying what to install."""
    try:
        return importlib.import_module(module)
    except (ImportError, OSError) as exc:
        package, native = NATIVE.get(module, (module, "its native library"))
        raise NativeLibraryError(
            f"cannot load {module} (PyPI {package}; needs {native}): {type(exc).__name__}: {exc}"
        ) from exc


def host_platform() -> str:
    """ "linux" or "windows": the key of a profile's per-platform name patterns."""
    return "windows" if sys.platform.startswith("win") else "linux"
