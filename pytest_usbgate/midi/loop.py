"""MIDI loopback statistics, pure: tagged messages out, timestamped arrivals back.

Each message is a Note On carrying its tag (0…16383) in the two data bytes and a check
nibble in the channel, so every reply is matched to its request and a damaged message
is seen as corrupted rather than as someone else's reply. Latency percentiles use the
nearest-rank rule (the value is one that was measured); jitter follows DOMAIN.md §7:
peak = max - min, average = mean |latency - mean|; the histogram has 0.1 ms bins.

On a host that reports its late cycles (the sim's JACK server), a message whose time in
the loop an xrun came near is left out: neither a latency nor a loss, since a late cycle
delays or drops MIDI before it reaches the device. "Near" is from `XRUN_BEFORE_NS`
before the message left until `XRUN_AFTER_NS` after it came back (or, lost, after it
left): the server reports a late cycle once it is over, and its report reaches this
process later still when the host is busy.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MAX_TAG = (1 << 14) - 1
HISTOGRAM_BIN_MS = 0.1
XRUN_BEFORE_NS = 10_000_000
XRUN_AFTER_NS = 100_000_000


def _check_nibble(high: int, low: int) -> int:
    return (high * 5 + low * 3 + 7) & 0x0F


def encode_tag(tag: int) -> bytes:
    if not 0 <= tag <= MAX_TAG:
        raise ValueError(f"tag {tag} outside 0…{MAX_TAG}")
    high, low = tag >> 7, tag & 0x7F
    return bytes([0x90 | _check_nibble(high, low), high, low])


def decode_tag(message: Sequence[int]) -> int | None:
    """The tag of an intact tagged message, None for anything else."""
    if len(message) != 3 or message[0] & 0xF0 != 0x90:
        return None
    high, low = message[1], message[2]
    if high > 0x7F or low > 0x7F or message[0] & 0x0F != _check_nibble(high, low):
        return None
    return high << 7 | low


@dataclass(frozen=True, slots=True)
class LoopStats:
    sent: int
    latencies_ms: tuple[float, ...]  # one per message back, in the order they were sent
    lost: int
    duplicated: int
    reordered: int
    corrupted: int
    takes_again: int = 0  # takes the host disturbed (xruns on the sim), measured again
    left_out: int = 0  # messages sent that an xrun came near: not judged

    @property
    def received(self) -> int:
        return len(self.latencies_ms)

    @property
    def judged(self) -> int:
        """Messages judged: back (a latency) or lost, none an xrun came near."""
        return self.sent - self.left_out

    def percentile_ms(self, p: float) -> float:
        """Nearest rank: the smallest latency with at least p % of them at or below it."""
        if not self.latencies_ms:
            return math.nan
        ordered = sorted(self.latencies_ms)
        rank = max(1, math.ceil(p / 100.0 * len(ordered)))
        return ordered[rank - 1]

    @property
    def max_ms(self) -> float:
        return max(self.latencies_ms, default=math.nan)

    @property
    def min_ms(self) -> float:
        return min(self.latencies_ms, default=math.nan)

    @property
    def jitter_peak_ms(self) -> float:
        return self.max_ms - self.min_ms

    @property
    def mean_abs_dev_ms(self) -> float:
        if not self.latencies_ms:
            return math.nan
        mean = sum(self.latencies_ms) / len(self.latencies_ms)
        return sum(abs(x - mean) for x in self.latencies_ms) / len(self.latencies_ms)

    def histogram(self, bin_ms: float = HISTOGRAM_BIN_MS) -> list[tuple[float, int]]:
        """(bin start in ms, count) from 0 to the bin of the largest latency."""
        if not self.latencies_ms:
            return []
        # the small offset keeps 0.3 ms in the 0.3 bin despite binary floating point
        index = [math.floor(x / bin_ms + 1e-9) for x in self.latencies_ms]
        counts = [0] * (max(index) + 1)
        for i in index:
            counts[i] += 1
        return [(round(i * bin_ms, 6), c) for i, c in enumerate(counts)]

    def host_note(self) -> str:
        """What the host's xruns cost, for a criterion's detail ("" when nothing)."""
        told = [f"{self.takes_again} takes again"] if self.takes_again else []
        told += [f"{self.left_out} messages left out"] if self.left_out else []
        return f"; {', '.join(told)} after host xruns" if told else ""

    def criteria(self) -> dict[str, float | None]:
        """The loop's values under their criterion names (catalog.toml); the latencies are
        None (not measured) when nothing came back."""
        timed = bool(self.latencies_ms)
        return {
            "midi.rtt_p99_ms": self.percentile_ms(99) if timed else None,
            "midi.rtt_max_ms": self.max_ms if timed else None,
            "midi.jitter_peak_ms": self.jitter_peak_ms if timed else None,
            "midi.lost": self.lost,
            "midi.reordered": self.reordered,
        }

    def summary(self) -> dict[str, float | int]:
        return {
            "sent": self.sent,
            "received": self.received,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "reordered": self.reordered,
            "corrupted": self.corrupted,
            "takes_again": self.takes_again,
            "left_out": self.left_out,
            "p50_ms": self.percentile_ms(50),
            "p95_ms": self.percentile_ms(95),
            "p99_ms": self.percentile_ms(99),
            "min_ms": self.min_ms,
            "max_ms": self.max_ms,
            "jitter_peak_ms": self.jitter_peak_ms,
            "mean_abs_dev_ms": self.mean_abs_dev_ms,
        }


def near_xruns(
    sent_ns: Sequence[int], back_ns: Mapping[int, int], xruns_ns: Sequence[int]
) -> set[int]:
    """The indexes of the messages an xrun came near (module doc). `back_ns`: when each
    message that came back did, by index; `xruns_ns`: when the host reported each late
    cycle, in order."""
    near = set()
    for i, sent in enumerate(sent_ns):
        first = bisect.bisect_left(xruns_ns, sent - XRUN_BEFORE_NS)
        if first < len(xruns_ns) and xruns_ns[first] <= back_ns.get(i, sent) + XRUN_AFTER_NS:
            near.add(i)
    return near


def loop_stats(
    sent_ns: Sequence[int],
    arrivals: Sequence[tuple[int, Sequence[int]]],
    first_tag: int = 0,
    xruns_ns: Sequence[int] = (),
) -> LoopStats:
    """`sent_ns[i]`: when the message tagged `first_tag + i` was sent; `arrivals`: (time
    ns, message) in the order they came back. A tag seen again is a duplicate; a tag
    arriving after a later one already did is reordered; a message that does not decode
    (or names a tag not sent in this take) is corrupted. A message an xrun came near
    (`xruns_ns`, in order) is left out."""
    first: dict[int, int] = {}
    duplicated = reordered = corrupted = 0
    highest = -1
    for t_ns, message in arrivals:
        tag = decode_tag(message)
        if tag is None or not 0 <= tag - first_tag < len(sent_ns):
            corrupted += 1
            continue
        tag -= first_tag
        if tag in first:
            duplicated += 1
            continue
        first[tag] = t_ns
        if tag < highest:
            reordered += 1
        highest = max(highest, tag)
    near = near_xruns(sent_ns, first, xruns_ns)
    kept = sorted(tag for tag in first if tag not in near)
    return LoopStats(
        sent=len(sent_ns),
        latencies_ms=tuple((first[tag] - sent_ns[tag]) / 1e6 for tag in kept),
        lost=len(sent_ns) - len(near) - len(kept),
        duplicated=duplicated,
        reordered=reordered,
        corrupted=corrupted,
        left_out=len(near),
    )


def combined(takes: Sequence[LoopStats]) -> LoopStats:
    """Several takes as one (a run longer than the tag space is taken in parts)."""
    return LoopStats(
        sent=sum(t.sent for t in takes),
        latencies_ms=tuple(x for t in takes for x in t.latencies_ms),
        lost=sum(t.lost for t in takes),
        duplicated=sum(t.duplicated for t in takes),
        reordered=sum(t.reordered for t in takes),
        corrupted=sum(t.corrupted for t in takes),
        takes_again=sum(t.takes_again for t in takes),
        left_out=sum(t.left_out for t in takes),
    )


def sysex_pattern(size: int) -> bytes:
    """A SysEx message of `size` bytes in all (F0, non-commercial ID 7D, data, F7) whose
    data bytes differ from their neighbours, so a lost or repeated byte shows."""
    if size < 4:
        raise ValueError("a SysEx test message needs at least 4 bytes")
    return bytes([0xF0, 0x7D, *((i * 37 + size) & 0x7F for i in range(size - 3)), 0xF7])
