"""A pty pair standing in for a CDC ACM port (/dev/ttyACM*): the test opens the
returned path with pyserial; the device side echoes what it receives, like a loopback
plug on a real port."""

from __future__ import annotations

import os
import select
import threading
import tty
from pathlib import Path
from typing import final


@final
class PtyPort:
    def __init__(self, link: Path) -> None:
        self._device_fd, self._host_fd = os.openpty()
        tty.setraw(self._device_fd)
        tty.setraw(self._host_fd)
        self.tty = os.ttyname(self._host_fd)
        self.path = link  # a stable name, like a udev symlink
        link.symlink_to(self.tty)
        self.echoed = 0
        self._stop_r, self._stop_w = os.pipe()
        self._thread = threading.Thread(target=self._echo, name="usbgate-sim-serial", daemon=True)
        self._thread.start()

    def _echo(self) -> None:
        poller = select.poll()
        poller.register(self._device_fd, select.POLLIN)
        poller.register(self._stop_r, select.POLLIN)
        while True:
            ready = {fd for fd, _ in poller.poll()}
            if self._stop_r in ready:
                return
            try:
                data = os.read(self._device_fd, 4096)
            except OSError:
                return
            os.write(self._device_fd, data)
            self.echoed += len(data)

    def close(self) -> None:
        os.write(self._stop_w, b"x")
        self._thread.join(timeout=2)
        for fd in (self._device_fd, self._host_fd, self._stop_r, self._stop_w):
            os.close(fd)
        self.path.unlink(missing_ok=True)
