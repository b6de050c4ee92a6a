"""Recorded streams (kernel log, guest PnP) replayed with their timing into a file that
the readers follow, as they would follow the journal or a guest agent."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final, final

TimedLine = tuple[float, str]  # seconds from the stream's start, text

_KMSG: Final = re.compile(r"^\[\s*(\d+\.\d+)\]\s?(.*)$")


def parse_kernel_log(text: str, source: str) -> list[TimedLine]:
    """dmesg lines `[  12.345678] message`; '#' lines are comments."""
    lines: list[TimedLine] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        match = _KMSG.match(line)
        if match is None:
            raise ValueError(f"{source}:{number}: expected '[seconds] message', got {line!r:.60}")
        lines.append((float(match.group(1)), line))
    return _from_zero(lines)


def parse_json_lines(text: str, source: str) -> list[TimedLine]:
    """JSON objects, one per line, each with a numeric "t" (seconds)."""
    lines: list[TimedLine] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            record = json.loads(line)
            t = float(record["t"])
        except (ValueError, KeyError, TypeError):
            raise ValueError(f'{source}:{number}: expected a JSON object with "t"') from None
        lines.append((t, line))
    return _from_zero(lines)


def _from_zero(lines: list[TimedLine]) -> list[TimedLine]:
    if not lines:
        return lines
    start = lines[0][0]
    return [(t - start, text) for t, text in lines]


@final
class Replayer:
    """Writes each line to `sink` when its time comes (relative to `start()`)."""

    def __init__(self, lines: Sequence[TimedLine], sink: Path) -> None:
        self.lines = list(lines)
        self.sink = sink
        sink.touch()
        self.written = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="usbgate-sim-replay", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        start = time.monotonic()
        with self.sink.open("a") as out:
            for t, text in self.lines:
                if self._stop.wait(max(0.0, start + t - time.monotonic())):
                    return
                out.write(text + "\n")
                out.flush()
                self.written += 1

    def finished(self) -> bool:
        return self.written == len(self.lines)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
