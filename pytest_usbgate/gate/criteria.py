"""Criterion, Limit and the record of one check: value + unit + limit -> verdict.

Pure value types and the judging rule; no pytest, no I/O.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Protocol, final

# Units whose values cannot leave a range, whatever the device: a limit outside it can never pass.
UNIT_RANGE: Final[dict[str, tuple[float, float]]] = {
    "count": (0.0, math.inf),
    "ratio": (0.0, 1.0),
    "%": (0.0, 100.0),
    "bool": (0.0, 1.0),
    "ms": (0.0, math.inf),
    "s": (0.0, math.inf),
    "Mb/s": (0.0, math.inf),
    "msg/s": (0.0, math.inf),
}
_BARE_UNITS: Final = ("count", "ratio", "bool")
# the default of a mapping field in an immutable record: a shared one nobody can change
EMPTY: Final[Mapping[str, Any]] = MappingProxyType({})


def empty() -> Mapping[str, Any]:
    """`EMPTY`, as a dataclass field's default factory."""
    return EMPTY


class Verdict(enum.StrEnum):
    PASS = "PASS"
    MARGINAL = "MARGINAL"
    FAIL = "FAIL"
    NOT_MEASURED = "NOT_MEASURED"


@final
@dataclass(frozen=True, slots=True)
class Limit:
    """Inclusive bounds; `marginal` is a guard band (same unit) inside each bound."""

    min: float | None = None
    max: float | None = None
    marginal: float = 0.0

    def judge(self, value: float) -> Verdict:
        """FAIL outside [min, max]; MARGINAL within `marginal` of a bound; else PASS.

        A bound itself passes (limits are inclusive); NaN fails.
        """
        if math.isnan(value):
            return Verdict.FAIL
        if (self.min is not None and value < self.min) or (
            self.max is not None and value > self.max
        ):
            return Verdict.FAIL
        if self.marginal > 0 and (
            (self.min is not None and value < self.min + self.marginal)
            or (self.max is not None and value > self.max - self.marginal)
        ):
            return Verdict.MARGINAL
        return Verdict.PASS

    def to_dict(self) -> dict[str, float]:
        out: dict[str, float] = {}
        if self.min is not None:
            out["min"] = self.min
        if self.max is not None:
            out["max"] = self.max
        if self.marginal:
            out["marginal"] = self.marginal
        return out

    def describe(self, unit: str) -> str:
        """'≤ 6.0 ms', '≥ 100.0 dB', '0.0 … 1.0'."""
        if self.min is not None and self.max is not None:
            if self.min == self.max:
                return f"= {format_value(self.max, unit)}"
            return f"{format_value(self.min, unit)} … {format_value(self.max, unit)}"
        if self.max is not None:
            return f"≤ {format_value(self.max, unit)}"
        if self.min is not None:
            return f"≥ {format_value(self.min, unit)}"
        return "(none)"


@final
@dataclass(frozen=True, slots=True)
class CriterionDef:
    """A declared criterion: what it measures, in which unit, at which layer of the stack."""

    id: str
    layer: str
    unit: str
    title: str
    fix: str
    domain: str  # the id's prefix, unless that names the layer (`container.running`)
    required: tuple[str, ...] = ()
    when: str | None = None
    severity: str = "critical"
    limits: Mapping[str, Limit] = field(default_factory=empty)


@final
@dataclass(frozen=True, slots=True)
class Record:
    """One criterion judged (or not measured) in one test."""

    id: str
    layer: str
    domain: str
    unit: str
    value: float | None
    limit: Limit | None
    limit_source: str
    verdict: Verdict
    test: str | None
    gate: str
    detail: str = ""
    device: str | None = None  # the rig device the check read, and what it said of itself
    firmware: str | None = None
    identity: dict[str, Any] | None = None  # serial, port, devnum, speed… as the host saw it

    @property
    def label(self) -> str:
        """The id, with the rig device it judged when there is one: `usb.speed [interface]`."""
        return f"{self.id} [{self.device}]" if self.device else self.id

    @classmethod
    def judged(
        cls,
        criterion: CriterionDef,
        gate: str,
        value: float | None,
        limit: Limit | None,
        limit_source: str,
        test: str | None,
        detail: str = "",
        device: str | None = None,
        firmware: str | None = None,
        identity: dict[str, Any] | None = None,
    ) -> Record:
        """A record of `criterion` in `gate`: judged against `limit`, or NOT_MEASURED when
        `value` is None."""
        verdict = Verdict.NOT_MEASURED
        if value is not None and limit is not None:
            verdict = limit.judge(value)
        return cls(
            id=criterion.id,
            layer=criterion.layer,
            domain=criterion.domain,
            unit=criterion.unit,
            value=value,
            limit=limit,
            limit_source=limit_source,
            verdict=verdict,
            test=test,
            gate=gate,
            detail=detail,
            device=device,
            firmware=firmware,
            identity=identity,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "layer": self.layer,
            "domain": self.domain,
            "value": self.value,
            "unit": self.unit,
            "limit": self.limit.to_dict() if self.limit else None,
            "limit_source": self.limit_source,
            "verdict": self.verdict.value,
            "test": self.test,
            "gate": self.gate,
            "detail": self.detail,
            "device": self.device,
            "firmware": self.firmware,
            "identity": self.identity,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        limit = data["limit"]
        return cls(
            id=data["id"],
            layer=data["layer"],
            domain=data["domain"],
            unit=data["unit"],
            value=data["value"],
            limit=Limit(**limit) if limit is not None else None,
            limit_source=data["limit_source"],
            verdict=Verdict(data["verdict"]),
            test=data["test"],
            gate=data["gate"],
            detail=data.get("detail", ""),
            device=data.get("device"),
            firmware=data.get("firmware"),
            identity=data.get("identity"),
        )


def format_value(value: float | None, unit: str) -> str:
    """A number as a person reads it: 7.41 ms, 6.0 ms, 3, true."""
    if value is None:
        return "—"
    if unit == "bool":
        return "true" if value else "false"
    if unit == "count" and float(value).is_integer():
        text = str(int(value))
    else:
        text = f"{value:.6g}"
        if text.lstrip("-").isdigit():
            text += ".0"
    return text if unit in _BARE_UNITS else f"{text} {unit}"


def failure_message(record: Record, rig_name: str) -> str:
    """`midi.rtt_p99_ms = 7.41 ms > 6.0 ms (rig studio-a, bringup)`."""
    assert record.limit is not None and record.value is not None
    value, limit, unit = record.value, record.limit, record.unit
    if limit.max is not None and value > limit.max:
        relation = f"{format_value(value, unit)} > {format_value(limit.max, unit)}"
    else:
        assert limit.min is not None
        relation = f"{format_value(value, unit)} < {format_value(limit.min, unit)}"
    return f"{record.label} = {relation} (rig {rig_name}, {record.gate})"


class RigLimits(Protocol):
    """What the engine asks of a rig: its name and file for messages, the limit of a
    criterion in a gate (with where it came from), and what a gate requires."""

    @property
    def name(self) -> str: ...

    @property
    def path(self) -> Path: ...

    def limit(self, criterion: CriterionDef, gate: str) -> tuple[Limit | None, str]: ...

    def required(self, gate: str, catalog: Mapping[str, CriterionDef]) -> list[str]: ...
