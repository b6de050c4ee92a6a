"""Service processes die with their session, even when the session is SIGKILLed and a
service ignores the SIGTERM that PR_SET_PDEATHSIG sends it: the reaper escalates."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pytest_usbgate.sim.procs import STOP_GRACE_S
from pytest_usbgate.sim.reaper import read_leftovers

from .conftest import CHECKOUT, running, survivors

STUBBORN = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print('ignoring SIGTERM', flush=True)\n"
    "time.sleep(120)\n"
)
SESSION = (
    "import sys, time\n"
    "from pathlib import Path\n"
    "from pytest_usbgate.sim.procs import Service\n"
    "log = Path(sys.argv[1])\n"
    "s = Service('stubborn', [sys.executable, '-c', sys.argv[2]], log)\n"
    "while 'ignoring' not in log.read_text():\n"
    "    time.sleep(0.01)\n"
    "print(s.pid, flush=True)\n"
    "time.sleep(120)\n"
)


def test_read_leftovers_keeps_what_was_never_released() -> None:
    lines = ["+101\n", "+/tmp/a\n", "+202\n", "-101\n", "+/tmp/b c\n", "+303\n", "-404\n"]
    assert read_leftovers([*lines, "-/tmp/a\n"]) == ({202, 303}, {"/tmp/b c"})
    assert read_leftovers([]) == (set(), set())


def test_sigkilled_session_takes_a_stubborn_service_along(tmp_path: Path) -> None:
    session = subprocess.Popen(
        [sys.executable, "-c", SESSION, str(tmp_path / "stubborn.log"), STUBBORN],
        cwd=CHECKOUT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert session.stdout is not None
    pid = int(session.stdout.readline())
    session.send_signal(signal.SIGKILL)
    session.wait(timeout=10)
    time.sleep(0.3)
    try:
        assert running(pid), "the service should have ignored SIGTERM"
        assert not survivors([pid], STOP_GRACE_S + 5)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)  # never leave it behind
