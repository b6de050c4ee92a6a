"""MIDI device models, pure: a DIN loopback cable and a KeyLab identity responder.

Both work on JACK's terms: events are (frame offset in the cycle, bytes), and each
`process` call is one cycle starting at an absolute frame. With no extra latency a
looped message leaves in the same cycle at the same offset, so the round trip is what
the JACK period alone implies.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from pytest_usbgate.midi.identity import ARTURIA_ID, is_identity_request

Event = tuple[int, bytes]


@dataclass(frozen=True, slots=True)
class LoopParams:
    samplerate: int
    extra_latency_ms: float = 0.0
    jitter_ms: float = 0.0  # uniform extra delay in [0, jitter]; order is kept, like a cable
    drop_ratio: float = 0.0
    duplicate_ratio: float = 0.0
    seed: int = 2


class _Scheduler:
    """Events due at absolute frames, released cycle by cycle."""

    def __init__(self) -> None:
        self._due: deque[tuple[int, bytes]] = deque()

    def add(self, frame: int, data: bytes) -> None:
        self._due.append((frame, data))

    def last_due(self) -> int:
        return self._due[-1][0] if self._due else -1

    def release(self, cycle_start: int, frames: int) -> list[Event]:
        out: list[Event] = []
        end = cycle_start + frames
        while self._due and self._due[0][0] < end:
            frame, data = self._due.popleft()
            out.append((max(frame - cycle_start, 0), data))
        return out


class MidiLoop:
    def __init__(self, params: LoopParams) -> None:
        self.params = params
        self._rng = np.random.default_rng(params.seed)
        rate = params.samplerate
        self._latency = round(params.extra_latency_ms * rate / 1000.0)
        self._jitter = round(params.jitter_ms * rate / 1000.0)
        self._queue = _Scheduler()
        self.dropped = 0
        self.duplicated = 0

    def process(self, cycle_start: int, frames: int, events: Iterable[Event]) -> list[Event]:
        for offset, data in events:
            if self.params.drop_ratio and self._rng.random() < self.params.drop_ratio:
                self.dropped += 1
                continue
            due = cycle_start + offset + self._latency
            if self._jitter:
                due += int(self._rng.integers(0, self._jitter + 1))
            due = max(due, self._queue.last_due())
            self._queue.add(due, bytes(data))
            if self.params.duplicate_ratio and self._rng.random() < self.params.duplicate_ratio:
                self._queue.add(due, bytes(data))
                self.duplicated += 1
        return self._queue.release(cycle_start, frames)


@dataclass(frozen=True, slots=True)
class IdentityParams:
    samplerate: int
    reply: bytes  # the whole reply, F0 … F7
    device_id: int = 0x00
    response_ms: float = 1.0
    silent: bool = False


def keylab_identity_reply(device_id: int, model: bytes, firmware: bytes) -> bytes:
    """F0 7E <dev> 06 02 00 20 6B <family 02 00> <model 2> <firmware 4> F7 (DOMAIN.md §2)."""
    if len(model) != 2 or len(firmware) != 4 or any(b > 0x7F for b in model + firmware):
        raise ValueError("model must be 2 and firmware 4 data bytes (< 0x80)")
    return bytes([0xF0, 0x7E, device_id, 0x06, 0x02, *ARTURIA_ID, 0x02, 0x00]) + (
        model + firmware + bytes([0xF7])
    )


class IdentityResponder:
    def __init__(self, params: IdentityParams) -> None:
        self.params = params
        self._delay = round(params.response_ms * params.samplerate / 1000.0)
        self._queue = _Scheduler()
        self.requests = 0

    def process(self, cycle_start: int, frames: int, events: Iterable[Event]) -> list[Event]:
        for offset, data in events:
            if is_identity_request(bytes(data), self.params.device_id):
                self.requests += 1
                if not self.params.silent:
                    self._queue.add(cycle_start + offset + self._delay, self.params.reply)
        return self._queue.release(cycle_start, frames)
