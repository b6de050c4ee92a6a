"""A QMP client (QEMU Machine Protocol): commands matched to their responses by id,
asynchronous events collected on the way. Synchronous, one socket, no threads.

Works against any QMP socket: the sim's QEMU, or `-qmp unix:/storage/hil-qmp.sock`
inside a dockurr/windows container.
"""

from __future__ import annotations

import itertools
import json
import socket
import time
from typing import Any, Final, final

from pytest_usbgate.errors import InfrastructureError

DEFAULT_TIMEOUT_S: Final = 10.0


class QmpError(InfrastructureError):
    """QEMU answered a command with an error: `error_class` and its description."""

    def __init__(self, command: str, error_class: str, desc: str) -> None:
        super().__init__(f"QMP {command}: {error_class}: {desc}")
        self.error_class = error_class
        self.desc = desc


def parse_address(address: str) -> tuple[int, str | tuple[str, int]]:
    """'unix:/path' or 'tcp:host:port' -> (socket family, address)."""
    if address.startswith("unix:"):
        return socket.AF_UNIX, address[5:].split(",", 1)[0]
    if address.startswith("tcp:"):
        host, _, port = address[4:].rpartition(":")
        if host and port.isdigit():
            return socket.AF_INET, (host.strip("[]"), int(port))
    raise ValueError(f"QMP address {address!r}: expected unix:/path or tcp:host:port")


@final
class QmpClient:
    def __init__(self, address: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        family, target = parse_address(address)
        self.address = address
        self.timeout_s = timeout_s
        self.events: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        self._sock.settimeout(timeout_s)
        try:
            self._sock.connect(target)
        except OSError as exc:
            self._sock.close()
            raise InfrastructureError(f"QMP {address}: cannot connect: {exc}") from None
        self._buffer = b""
        greeting = self._read()
        if "QMP" not in greeting:
            self.close()
            raise InfrastructureError(f"QMP {address}: no QMP greeting, got {greeting!r:.100}")
        self.version: dict[str, Any] = greeting["QMP"].get("version", {})
        self.execute("qmp_capabilities")

    def _read(self, deadline: float | None = None) -> dict[str, Any]:
        while b"\n" not in self._buffer:
            if deadline is not None:
                self._sock.settimeout(max(deadline - time.monotonic(), 0.001))
            try:
                chunk = self._sock.recv(65536)
            except TimeoutError:
                raise InfrastructureError(f"QMP {self.address}: no answer in time") from None
            if not chunk:
                raise InfrastructureError(f"QMP {self.address}: QEMU closed the connection")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        message: dict[str, Any] = json.loads(line)
        return message

    def execute(self, command: str, arguments: dict[str, Any] | None = None) -> Any:
        """Run a command and return its 'return' value; events meanwhile go to `events`."""
        request_id = next(self._ids)
        request: dict[str, Any] = {"execute": command, "id": request_id}
        if arguments:
            request["arguments"] = arguments
        self._sock.sendall(json.dumps(request).encode() + b"\n")
        deadline = time.monotonic() + self.timeout_s
        while True:
            message = self._read(deadline)
            if "event" in message:
                self.events.append(message)
            elif message.get("id") == request_id:
                if "error" in message:
                    error = message["error"]
                    raise QmpError(command, error.get("class", "?"), error.get("desc", ""))
                return message.get("return")

    def wait_event(self, name: str, timeout_s: float | None = None, **data: Any) -> dict[str, Any]:
        """The first event `name` whose data contains `data` (collected or arriving)."""
        deadline = time.monotonic() + (self.timeout_s if timeout_s is None else timeout_s)

        def matches(event: dict[str, Any]) -> bool:
            payload = event.get("data", {})
            return event["event"] == name and all(payload.get(k) == v for k, v in data.items())

        while True:
            for index, event in enumerate(self.events):
                if matches(event):
                    return self.events.pop(index)
            if time.monotonic() > deadline:
                raise InfrastructureError(f"QMP {self.address}: no {name} event in time")
            message = self._read(deadline)
            if "event" in message:
                self.events.append(message)

    def human(self, command_line: str) -> str:
        """A human monitor command (e.g. 'info usb') through QMP."""
        return str(self.execute("human-monitor-command", {"command-line": command_line}))

    def close(self) -> None:
        self._sock.close()
