"""The sim's umockdev testbed against its replug thread: removing the testbed while a
device is coming back must not abort the process (libumockdev's g_error: "cannot
remove …: Directory not empty", exit 133, after every test had passed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from pytest_usbgate.sim.preload import preload_library

RACE = """
import json

from pytest_usbgate.sim.usb.injector import SimReplug
from pytest_usbgate.sim.usb.testbed import Testbed

MODEL = "focusrite-scarlett-4i4-gen4"
outcomes = set()
for _ in range(40):
    testbed = Testbed()
    testbed.plug(MODEL)
    replug = SimReplug(testbed, MODEL, lambda line: None, enumeration_s=0.0)
    replug.disconnect()
    replug.reconnect()  # the device comes back from another thread, at once …
    testbed.close()  # … while the testbed goes
    replug.join()
    outcomes.add(str(replug.error))
print(json.dumps(sorted(outcomes)))
"""


def test_removing_the_testbed_during_a_replug_keeps_the_process() -> None:
    library = preload_library()
    assert library is not None, "umockdev's preload library is missing"
    env = {**os.environ, "LD_PRELOAD": library}
    done = subprocess.run(
        [sys.executable, "-c", RACE], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    # the replug either finished first, or found the testbed gone and said so
    allowed = {"None", "sim: a device was added after the testbed was removed"}
    assert set(json.loads(done.stdout)) <= allowed, done.stdout
