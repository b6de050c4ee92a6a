"""Plug-cycle recovery on the sim rig (issue 6): 20 unplug/replug cycles of the
modelled 4i4 in umockdev's testbed, timed end to end, with the sim's modelled
enumeration time (0.1 s) and with none (what detection itself costs: sysfs polling
every 2 ms and the libusb identity read-back).

    .venv/bin/python bench/usb_plug_cycles.py [--cycles 20] [--runs 3]

Runs itself again under libumockdev-preload (as a gate run on the sim does).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from pytest_usbgate.sim.preload import ensure_preloaded
from pytest_usbgate.sim.usb.injector import ENUMERATION_S, SimReplug
from pytest_usbgate.sim.usb.testbed import Testbed
from pytest_usbgate.usb.host import list_devices
from pytest_usbgate.usb.plug_cycles import plug_cycles

MODEL = "focusrite-scarlett-4i4-gen4"


def run(testbed: Testbed, log: Path, cycles: int, enumeration_s: float) -> tuple[float, float]:
    def kernel_line(text: str) -> None:
        with log.open("a") as out:
            out.write(text + "\n")

    (device,) = [d for d in list_devices() if d.usb_id == "1235:821a"]
    injector = SimReplug(testbed, MODEL, kernel_line, enumeration_s)
    began = time.monotonic()
    stats, _trace = plug_cycles(injector, device, "interface", cycles, timeout_s=10.0)
    took = time.monotonic() - began
    injector.join()
    assert not stats.failed and stats.usable_p95_s is not None, stats.describe()
    return took, stats.usable_p95_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ensure_preloaded()
    testbed = Testbed()
    testbed.plug(MODEL, {})
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "kmsg.log"
        for enumeration_s in (ENUMERATION_S, 0.0):
            results = [run(testbed, log, args.cycles, enumeration_s) for _ in range(args.runs)]
            totals = [t for t, _ in results]
            p95s = [p for _, p in results]
            print(
                f"{args.cycles} cycles, modelled enumeration {enumeration_s:.1f} s: "
                f"total median {statistics.median(totals):.3f} s "
                f"(runs {', '.join(f'{t:.3f}' for t in totals)}), "
                f"per cycle {statistics.median(totals) / args.cycles * 1000:.1f} ms, "
                f"usable p95 median {statistics.median(p95s) * 1000:.1f} ms"
            )
    testbed.close()


if __name__ == "__main__":
    main()
