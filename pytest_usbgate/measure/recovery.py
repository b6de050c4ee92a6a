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
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100.0 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class RecoveryStats:
    cycles: tuple[Cycle, ...]

    @property
    def failed(self) -> list[Cycle]:
        return [c for c in self.cycles if not c.recovered]

    def _times(self, name: str) -> list[float]:
        values = [getattr(c, name) for c in self.cycles]
        return [v for v in values if v is not None]

    @property
    def usable_p95_s(self) -> float:
        """NaN when a cycle never recovered (so the criterion FAILs)."""
        return (
            math.nan
            if self.failed or not self.cycles
            else nearest_rank(self._times("usable_s"), 95)
        )

    @property
    def usable_worst_s(self) -> float:
        return math.nan if self.failed or not self.cycles else max(self._times("usable_s"))

    @property
    def enumerated_worst_s(self) -> float:
        times = self._times("enumerated_s")
        if len(times) < len(self.cycles) or not times:
            return math.nan
        return max(times)

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
            f"cycle {c.number} never recovered: last seen {c.last_event}" for c in self.failed
        ]
        return "\n".join(lines)
