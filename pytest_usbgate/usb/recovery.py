"""Plug-cycle recovery, pure: per-cycle times to re-enumeration and to the device being
usable again, their p95 and worst case, and the trace the cycles leave (DOMAIN.md §8:
timestamp, event, object, delta, reason)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class TraceEvent:
    t_s: float  # since the first cycle began
    cycle: int
    event: str  # "disconnect", "gone", "enumerated", "usable", "timeout", …
    object: str  # the device: "interface 1-1 #5"
    delta_s: float  # since the previous event of this cycle
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Cycle:
    number: int  # from 1
    enumerated_s: float | None  # from the reconnect to the new device in sysfs
    usable_s: float | None  # from the reconnect to its identity read back
    devnum_before: int | None
    devnum_after: int | None
    last_event: str  # what was last seen (for a cycle that never recovered)

    @property
    def recovered(self) -> bool:
        return self.usable_s is not None


def nearest_rank(values: Sequence[float], percent: float) -> float:
    """The nearest-rank percentile: the smallest value with at least `percent` % of the
    values at or below it (p95 of 20 values is the 19th smallest)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100.0 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class RecoveryStats:
    """The cycles of one run; `timeout_s` is how long each waited before giving up, so
    a cycle that never recovered counts as that long (a lower bound, and a FAIL against
    any limit below the timeout)."""

    cycles: tuple[Cycle, ...]
    timeout_s: float

    @property
    def failed(self) -> list[Cycle]:
        return [c for c in self.cycles if not c.recovered]

    def _times(self, name: str) -> list[float]:
        values = [getattr(c, name) for c in self.cycles]
        return [v for v in values if v is not None]

    def _bounded(self, name: str) -> list[float]:
        """Each cycle's time, the timeout for one that never got there."""
        values = [getattr(c, name) for c in self.cycles]
        return [self.timeout_s if v is None else v for v in values]

    @property
    def usable_p95_s(self) -> float | None:
        """None without cycles."""
        times = self._bounded("usable_s")
        return nearest_rank(times, 95) if times else None

    @property
    def usable_worst_s(self) -> float | None:
        return max(self._bounded("usable_s"), default=None)

    @property
    def enumerated_worst_s(self) -> float | None:
        return max(self._bounded("enumerated_s"), default=None)

    def describe(self) -> str:
        done = len(self.cycles) - len(self.failed)
        lines = [f"{done} of {len(self.cycles)} cycles recovered"]
        enumerated = self._times("enumerated_s")
        usable = self._times("usable_s")
        if enumerated:
            lines.append(
                f"re-enumeration: p95 {nearest_rank(enumerated, 95):.3f} s, "
                f"worst {max(enumerated):.3f} s"
            )
        if usable:
            lines.append(
                f"usable again: p50 {nearest_rank(usable, 50):.3f} s, "
                f"p95 {nearest_rank(usable, 95):.3f} s, worst {max(usable):.3f} s"
            )
        lines += [
            f"cycle {c.number} never recovered: last seen {c.last_event} "
            f"(counted as the {self.timeout_s:g} s timeout)"
            for c in self.failed
        ]
        return "\n".join(lines)
