"""Hardware libraries load lazily: the plugin imports none of them, and a missing native
library is one clear error where it is needed."""

import subprocess
import sys
from pathlib import Path

import pytest

from pytest_usbgate.errors import NativeLibraryError
from pytest_usbgate.native import require


def test_plugin_imports_no_hardware_library() -> None:
    code = (
        "import sys, pytest_usbgate, pytest_usbgate.plugin, pytest_usbgate.cli\n"
        "print(sorted(m for m in ('sounddevice', 'usb', 'rtmidi', 'mido', 'serial') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_loading_the_plugin_leaves_hardware_sim_and_analysis_modules_alone() -> None:
    """What every pytest run with the plugin installed pays: no numpy, and of the domains
    and the sim only their fixtures (and the fault catalog and the preload re-exec), until a
    fixture asks for more (bench/overhead.py)."""
    code = (
        "import sys, pytest_usbgate.plugin\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'numpy' or "
        "m.startswith(('pytest_usbgate.native', 'pytest_usbgate.usb.', 'pytest_usbgate.audio.', "
        "'pytest_usbgate.midi.', 'pytest_usbgate.qemu.', 'pytest_usbgate.sim.'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [
        "['pytest_usbgate.audio.fixtures',",
        "'pytest_usbgate.midi.fixtures',",
        "'pytest_usbgate.sim.faults',",
        "'pytest_usbgate.sim.fixtures',",
        "'pytest_usbgate.sim.preload',",
        "'pytest_usbgate.sim.rerun',",
        "'pytest_usbgate.usb.fixtures']",
    ]


def test_missing_native_library_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "fakehw.py").write_text(
        "raise OSError('libfakehw.so.2: cannot open shared object file')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(NativeLibraryError) as info:
        require("fakehw")
    assert str(info.value) == (
        "cannot load fakehw (PyPI fakehw; needs its native library): "
        "OSError: libfakehw.so.2: cannot open shared object file"
    )


def test_known_library_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # import raises ImportError
    with pytest.raises(
        NativeLibraryError,
        match=r"^cannot load sounddevice \(PyPI sounddevice; "
        r"needs PortAudio \(apt-get install libportaudio2\)\)",
    ):
        require("sounddevice")
