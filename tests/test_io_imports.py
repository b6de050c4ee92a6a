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
    """What every pytest run with the plugin installed pays: no numpy, no engine, config
    or evidence, and of the domains and the sim only their fixtures, until a gate runs or
    a fixture asks for more (bench/overhead.py)."""
    code = (
        "import sys, pytest_usbgate.plugin\n"
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] == 'numpy' or "
        "m.startswith('pytest_usbgate'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {
        m.removeprefix("pytest_usbgate").lstrip(".") or "(package)" for m in out.stdout.split()
    }
    assert loaded == {
        "(package)",
        "_lazy",
        "errors",
        "gate",
        "gate.names",
        "plugin",
        "session",
        "session.fixtures",
        "session.state",
        "audio",
        "audio.fixtures",
        "midi",
        "midi.fixtures",
        "usb",
        "usb.fixtures",
        "sim",
        "sim.fixtures",
        "sim.preload",
        "sim.rerun",
    }


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
