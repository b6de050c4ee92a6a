"""MIDI ports through python-rtmidi: found by name pattern (never by index), always
released, every arrival stamped with `perf_counter_ns` first thing in the input
callback. The statistics are pure (`midi.loop`); this module only moves bytes.

The sim rig's ports are JACK MIDI ports (api "jack"); a real rig uses rtmidi's default
(ALSA on Linux, WinMM on Windows).
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, TypeVar, final

from pytest_usbgate.errors import InfrastructureError
from pytest_usbgate.midi.identity import IDENTITY_REQUEST
from pytest_usbgate.midi.loop import (
    MAX_TAG,
    LoopStats,
    combined,
    decode_tag,
    encode_tag,
    loop_stats,
    sysex_pattern,
)
from pytest_usbgate.native import host_platform, require
from pytest_usbgate.takes import Taken, undisturbed

if TYPE_CHECKING:
    from pytest_usbgate.config.rig import MidiLink, Rig

T = TypeVar("T")
CLIENT_NAME: Final = "usbgate"
JACK_REFUSAL_S: Final = 10.0  # how long a JACK server may refuse a new client (see below)
SYSEX_SIZES: Final = (8, 16, 64, 128, 256)
# messages per take of a round trip: a host stall on the sim costs one take again (half a
# second of ping-pong), not the whole run; each take has its own tags, so a straggler
# from the take before is not mistaken for one of its own
TAKE: Final = 100
Arrival = tuple[int, list[int]]


class PortNotFound(AssertionError):
    """The rig lacks a port the test needs: the test FAILs (it is not a broken harness)."""


@final
@dataclass(frozen=True, slots=True)
class PortSpec:
    """Which port pair to open: `label` names it in messages ("KeyLab mkII 88, port main").
    `pattern` is matched with re.search against rtmidi's port names, in and out alike."""

    label: str
    pattern: str
    api: str = "default"  # "jack" | "alsa" | "default"
    # when (perf_counter ns) the host reported each late audio cycle so far (the sim's
    # JACK server): a late cycle delays or loses MIDI before it reaches the device, so a
    # message one came near is left out, and a take disturbed otherwise is taken again
    host_xruns: Callable[[], Sequence[int]] | None = field(default=None, compare=False)

    def open(self) -> MidiPorts:
        return MidiPorts(self)


@final
@dataclass(frozen=True, slots=True)
class MidiDevice:
    """A rig device's MIDI port as a test gets it (`midi_loopback`, `midi_identity`), and
    what the device's identity reply must say (hex, from its profile; None: anything).
    `link` is the rig's section: for a loop, how many messages and how fast."""

    device: str  # the rig's device id
    name: str  # as the device names itself ("KeyLab mkII 88")
    port: PortSpec
    link: MidiLink
    manufacturer: str | None = None
    family: str | None = None
    model: str | None = None


def rig_midi(rig: Rig, key: str, port: str = "main") -> MidiDevice | None:
    """The device and port named by the rig's `[midi.loopback]` or `[midi.identity]`
    (`key`); None when the rig has no such section. The rig's own `port` pattern wins over
    the profile's name for this platform."""
    link = {"midi.loopback": rig.midi_loopback, "midi.identity": rig.midi_identity}[key]
    if link is None:
        return None
    device = rig.device(link.device)
    caps = device.profile.midi
    pattern = link.port
    if pattern is None and caps is not None:
        pattern = caps.port_names.get(port, {}).get(host_platform())
    if pattern is None:
        raise InfrastructureError(
            f"{rig.path}: [{key}] device {link.device} ({device.profile.name}): its profile "
            f"names no {port!r} MIDI port for {host_platform()}; set [{key}] port = '<regex>'"
        )
    spec = PortSpec(f"{device.profile.name} ({link.device})", pattern, _rig_api(rig))
    expected = (caps.manufacturer, caps.family, caps.model) if caps else (None, None, None)
    return MidiDevice(link.device, device.profile.product, spec, link, *expected)


def _rig_api(rig: Rig) -> str:
    return "jack" if rig.kind == "sim" else "default"  # the sim's ports live on its JACK server


def _api(rtmidi: Any, api: str) -> Any:
    return {
        "jack": rtmidi.API_UNIX_JACK,
        "alsa": rtmidi.API_LINUX_ALSA,
        "default": rtmidi.API_UNSPECIFIED,
    }[api]


def rtmidi_client(kind: str, api: str, name: str = CLIENT_NAME) -> Any:
    """An rtmidi MidiIn or MidiOut (`kind`). A JACK server refuses a new client for a
    moment now and then when two servers start at once ("JACK server not running?"
    with the server running): try again for up to 10 s. (2 s ran out once in a full
    test run, two sims starting side by side beside a third on two cores.)"""
    rtmidi = require("rtmidi")
    factory = {"in": rtmidi.MidiIn, "out": rtmidi.MidiOut}[kind]
    deadline = time.monotonic() + (JACK_REFUSAL_S if api == "jack" else 0.0)
    while True:
        try:
            return factory(rtapi=_api(rtmidi, api), name=name)
        except rtmidi.RtMidiError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def _pick(ports: Sequence[str], spec: PortSpec, direction: str) -> int:
    matches = [i for i, name in enumerate(ports) if re.search(spec.pattern, name)]
    if len(matches) != 1:
        found = "no" if not matches else f"{len(matches)}"
        listing = ", ".join(repr(p) for p in ports) or "none"
        raise PortNotFound(
            f"MIDI {direction} port of {spec.label}: {found} ports match {spec.pattern!r}; "
            f"the {direction} ports that exist: {listing}"
        )
    return matches[0]


@final
class MidiPorts:
    """An open out/in pair. Use as a context manager: the ports are released on every
    path (on Windows a port left open blocks the next test)."""

    def __init__(self, spec: PortSpec) -> None:
        self.spec = spec
        self._inbox: list[Arrival] = []  # append-only: the callback never races a reader
        self._read = 0
        self.arrived = threading.Event()
        self.on_arrival: Callable[[list[int]], None] | None = None  # runs in the callback
        self._out: Any = None
        self._in: Any = None

    def __enter__(self) -> MidiPorts:
        try:
            self._out = rtmidi_client("out", self.spec.api)
            self._in = rtmidi_client("in", self.spec.api)
            self._in.ignore_types(sysex=False, timing=True, active_sense=True)
            self._out.open_port(_pick(self._out.get_ports(), self.spec, "out"))
            self._in.open_port(_pick(self._in.get_ports(), self.spec, "in"))
            self._in.set_callback(self._on_message)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _on_message(self, event: tuple[list[int], float], _data: object) -> None:
        # the time first: everything after it is the harness's own cost
        self._inbox.append((time.perf_counter_ns(), event[0]))
        self.arrived.set()
        hook = self.on_arrival
        if hook is not None:
            hook(event[0])

    def send(self, message: bytes | Sequence[int]) -> int:
        """Send and return the time of sending (ns, perf_counter)."""
        stamp = time.perf_counter_ns()
        self._out.send_message(message)
        return stamp

    def take(self) -> list[Arrival]:
        """What arrived since the last `take`. Clear `arrived` before, not after."""
        end = len(self._inbox)
        taken = self._inbox[self._read : end]
        self._read = end
        return taken

    def wait_quiet(self, quiet_s: float, limit_s: float) -> None:
        """Return once nothing arrived for `quiet_s`, or after `limit_s`."""
        end = time.monotonic() + limit_s
        while time.monotonic() < end:
            count = len(self._inbox)
            time.sleep(quiet_s)
            if len(self._inbox) == count:
                return

    def xruns_ns(self) -> Sequence[int]:
        """When the host reported its late cycles so far (none known: empty)."""
        return () if self.spec.host_xruns is None else self.spec.host_xruns()

    def close(self) -> None:
        if self._in is not None:
            self._in.cancel_callback()
        for port in (self._in, self._out):
            if port is not None:
                port.close_port()
                port.delete()
        self._in = self._out = None


@final
class _PingPong:
    """Sends tagged messages one at a time: the input callback wakes the sender when the
    outstanding one is back. (Sending from the callback itself would run rtmidi's JACK
    send inside a JACK process cycle, where it can wait on the next cycle: xruns.)"""

    def __init__(self, link: MidiPorts, first_tag: int) -> None:
        self.link = link
        self.first_tag = first_tag
        self.sent_ns: list[int] = []
        self.back = threading.Event()

    def send(self, tag: int) -> None:
        self.back.clear()
        self.sent_ns.append(self.link.send(encode_tag(tag)))

    def on_arrival(self, message: list[int]) -> None:
        if decode_tag(message) == self.first_tag + len(self.sent_ns) - 1:
            self.back.set()


def without_xruns(
    link: MidiPorts, measure: Callable[[], T], what: str, clean: Callable[[T], bool] | None = None
) -> Taken[T]:
    """`measure()` again while the host reports xruns during it (`takes`), or while
    `clean` says the take was disturbed. On the sim (the host reports xruns) a take
    disturbed every time is the host's fault, not the device's: an InfrastructureError,
    never a verdict on the device."""
    times = link.spec.host_xruns
    taken = undisturbed(None if times is None else lambda: len(times()), measure, clean)
    if not taken.clean:
        raise InfrastructureError(
            f"sim: the JACK server reported xruns during each of {taken.number} takes of "
            f"{what} on {link.spec.label}: the host is too busy for the sim's JACK server"
        )
    return taken


def round_trip(
    link: MidiPorts, count: int = 1000, rate_per_s: float | None = None, timeout_s: float = 0.1
) -> LoopStats:
    """`count` tagged messages judged. Ping-pong when `rate_per_s` is None: each leaves as
    the one before comes back, or after `timeout_s` without it. Otherwise paced: one every
    1/`rate_per_s` s whatever came back, several in flight when the loop is slower. Late
    replies still count, matched by tag. Sent in takes of at most `TAKE` messages. On a
    host that reports xruns, a message one came near is left out (`midi.loop`)
    and takes go on until `count` are judged; a take with most of its messages left out
    is taken again (`without_xruns`)."""

    takes = itertools.count()  # every take, taken again or not, has tags of its own

    def take(n: int) -> LoopStats:
        first_tag = next(takes) * TAKE % (MAX_TAG + 1 - TAKE)
        if rate_per_s is None:
            return _ping_pong(link, n, timeout_s, first_tag)
        return _paced(link, n, rate_per_s, first_tag)

    parts = []
    judged = 0
    while judged < count:
        n = min(TAKE, count - judged)
        taken = without_xruns(link, functools.partial(take, n), f"{n} messages", _mostly_judged)
        parts.append(replace(taken.result, takes_again=taken.number - 1))
        judged += taken.result.judged
    return combined(parts)


def _mostly_judged(take: LoopStats) -> bool:
    return 2 * take.left_out <= take.sent


def _ping_pong(link: MidiPorts, count: int, timeout_s: float, first_tag: int = 0) -> LoopStats:
    link.take()
    game = _PingPong(link, first_tag)
    link.on_arrival = game.on_arrival
    try:
        for tag in range(first_tag, first_tag + count):
            game.send(tag)
            game.back.wait(timeout_s)  # lost, or later than the timeout: go on without it
        link.wait_quiet(max(0.05, timeout_s / 2), 1.0)
    finally:
        link.on_arrival = None
    return loop_stats(game.sent_ns, link.take(), first_tag, link.xruns_ns())


def _paced(link: MidiPorts, count: int, rate_per_s: float, first_tag: int = 0) -> LoopStats:
    link.take()
    sent_ns = []
    start = time.perf_counter()
    for i in range(count):
        delay = start + i / rate_per_s - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        sent_ns.append(link.send(encode_tag(first_tag + i)))
    link.wait_quiet(0.05, 2.0)
    return loop_stats(sent_ns, link.take(), first_tag, link.xruns_ns())


def burst_lossless(link: MidiPorts, rate_per_s: float, batch: int = 100) -> bool:
    """Whether `batch` messages sent evenly at `rate_per_s` all come back once, intact."""
    burst = functools.partial(_paced, link, batch, rate_per_s)
    stats = without_xruns(link, burst, f"a burst at {rate_per_s:.0f}/s").result
    return stats.lost == stats.duplicated == stats.corrupted == 0


def burst_rate(
    link: MidiPorts, start_per_s: float = 250.0, ceiling_per_s: float = 8000.0, steps: int = 5
) -> float:
    """The highest rate sustained without loss: double from `start_per_s` until a burst
    loses (or `ceiling_per_s` passes), then bisect `steps` times. 0 when even the first
    rate loses."""
    good, bad = 0.0, start_per_s
    while bad <= ceiling_per_s and burst_lossless(link, bad):
        good, bad = bad, bad * 2
    if bad > ceiling_per_s:
        return good
    for _ in range(steps if good else 0):
        middle = (good + bad) / 2
        if burst_lossless(link, middle):
            good = middle
        else:
            bad = middle
    return good


def sysex_echo(
    link: MidiPorts, sizes: Sequence[int] = SYSEX_SIZES, timeout_s: float = 1.0
) -> list[tuple[int, bytes, bytes | None]]:
    """(size, sent, what came back or None) for a SysEx message of each size."""
    return [
        without_xruns(
            link, functools.partial(_echo, link, size, timeout_s), f"SysEx of {size} B"
        ).result
        for size in sizes
    ]


def _echo(link: MidiPorts, size: int, timeout_s: float) -> tuple[int, bytes, bytes | None]:
    message = sysex_pattern(size)
    link.arrived.clear()
    link.take()
    link.send(message)
    link.arrived.wait(timeout_s)
    link.wait_quiet(0.02, timeout_s)
    back = [bytes(m) for _, m in link.take() if m[:1] == [0xF0]]
    return size, message, back[0] if back else None


def identity_query(link: MidiPorts, timeout_ms: float = 1000.0) -> tuple[bytes | None, float]:
    """Send the universal identity request; the first identity reply and its time (ms)."""
    link.arrived.clear()
    link.take()
    sent = link.send(IDENTITY_REQUEST)
    deadline = time.monotonic() + timeout_ms / 1000.0
    while (remaining := deadline - time.monotonic()) > 0:
        if not link.arrived.wait(remaining):
            break
        link.arrived.clear()
        for t_ns, message in link.take():
            if message[:2] == [0xF0, 0x7E] and message[3:5] == [0x06, 0x02]:
                return bytes(message), (t_ns - sent) / 1e6
    return None, timeout_ms
