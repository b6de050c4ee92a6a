"""The sim rig's plug-cycle injector: the device leaves umockdev's testbed at once and
comes back after a modelled enumeration time, from another thread, as a real device
does; the sim's kernel log gets the lines the kernel would print."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Final, final

from pytest_usbgate.sim.usb.description import MODELS
from pytest_usbgate.sim.usb.testbed import Testbed

ENUMERATION_S: Final = 0.1  # hub debounce and port reset, shortened (real: 0.2 to 1 s)
_SPEED_NAMES: Final = {"1.5": "low", "12": "full", "480": "high", "5000": "SuperSpeed"}


@final
class SimReplug:
    name = "umockdev"
    renumbers = True

    def __init__(
        self,
        testbed: Testbed,
        model: str,
        kernel_line: Callable[[str], None],
        enumeration_s: float = ENUMERATION_S,
    ) -> None:
        self._testbed = testbed
        self._model = MODELS[model]
        self._kernel_line = kernel_line
        self._enumeration_s = enumeration_s
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def disconnect(self) -> None:
        self.join()
        devnum = self._testbed.plugged.get(self._model.name)
        self._testbed.unplug(self._model.name)
        self._kernel_line(f"usb {self._model.port}: USB disconnect, device number {devnum}")

    def reconnect(self) -> None:
        self._thread = threading.Thread(target=self._enumerate, name="usbgate-sim-replug")
        self._thread.start()

    def _enumerate(self) -> None:
        threading.Event().wait(self._enumeration_s)
        try:
            speed = self._testbed.attributes.get(self._model.name, {}).get(
                "speed", self._model.speed
            )
            port = self._model.port
            devnum = self._testbed.next_devnum
            self._kernel_line(
                f"usb {port}: new {_SPEED_NAMES.get(speed, speed)}-speed USB device number "
                f"{devnum} using xhci_hcd"
            )
            self._testbed.plug(self._model.name)
            vendor, product, bcd = self._model.descriptors.ids
            self._kernel_line(
                f"usb {port}: New USB device found, idVendor={vendor:04x}, "
                f"idProduct={product:04x}, bcdDevice= {bcd >> 8:x}.{bcd & 0xFF:02x}"
            )
        except BaseException as exc:  # the cycle times out; the test reports this
            self.error = exc

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
