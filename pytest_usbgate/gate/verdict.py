"""Gates, limit resolution, and the gate verdict with its diagnosis. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import final

from pytest_usbgate.gate.criteria import CriterionDef, Record, RigLimits, Verdict, format_value
from pytest_usbgate.gate.names import LAYERS


@final
@dataclass(frozen=True, slots=True)
class Diagnosis:
    layer: str
    domain: str
    summary: str

    def to_dict(self) -> dict[str, str]:
        return {"layer": self.layer, "domain": self.domain, "summary": self.summary}


@final
@dataclass(frozen=True, slots=True)
class GateResult:
    gate: str
    verdict: str  # PASS | FAIL | INCOMPLETE
    diagnosis: Diagnosis | None
    records: tuple[Record, ...]
    reasons: tuple[str, ...]  # why INCOMPLETE, one line each


def _layer_rank(layer: str) -> int:
    return LAYERS.index(layer) if layer in LAYERS else len(LAYERS)


def _explain(record: Record, catalog: Mapping[str, CriterionDef]) -> str:
    criterion = catalog.get(record.id)
    limit = record.limit.describe(record.unit) if record.limit else "no limit"
    fix = f"; {criterion.fix}" if criterion else ""
    return f"{record.label} = {format_value(record.value, record.unit)} (limit {limit}){fix}"


def decide(
    gate: str,
    rig: RigLimits,
    catalog: Mapping[str, CriterionDef],
    measured: Iterable[Record],
    broken_tests: Sequence[str] = (),
    interrupted: str | None = None,
) -> GateResult:
    """The gate verdict.

    FAIL when any criterion FAILs (diagnosis: the lowest failing layer). Otherwise
    INCOMPLETE when the run was interrupted, a test failed or broke outside any
    criterion, a required criterion was not measured,
    or nothing was measured.
    Otherwise PASS (MARGINAL records pass and stay flagged).
    """
    records = list(measured)
    seen = {r.id for r in records}
    for criterion_id in rig.required(gate, catalog):
        if criterion_id in seen:
            continue
        criterion = catalog[criterion_id]
        limit, source = rig.limit(criterion, gate)
        records.append(Record.judged(criterion, gate, None, limit, source, None))

    failed = sorted(
        (r for r in records if r.verdict is Verdict.FAIL), key=lambda r: _layer_rank(r.layer)
    )
    if failed:
        lowest = failed[0]
        same_layer = sum(1 for r in failed if r.layer == lowest.layer) - 1
        more = f" (+{same_layer} more in this layer)" if same_layer else ""
        summary = f"{lowest.layer} / {lowest.domain}: {_explain(lowest, catalog)}{more}"
        return GateResult(
            gate, "FAIL", Diagnosis(lowest.layer, lowest.domain, summary), tuple(records), ()
        )

    reasons: list[str] = []
    if interrupted:
        reasons.append(f"run interrupted: {interrupted}")
    reasons += [f"test broke before its criteria were judged: {t}" for t in broken_tests]
    missing = sorted(
        (r for r in records if r.verdict is Verdict.NOT_MEASURED),
        key=lambda r: _layer_rank(r.layer),
    )
    if missing:
        reasons.append(
            "not measured: "
            + ", ".join(r.label + (f" ({r.detail})" if r.detail else "") for r in missing)
        )
    if not records:
        reasons.append("no criterion was measured")
    if not reasons:
        return GateResult(gate, "PASS", None, tuple(records), ())

    if interrupted:
        diagnosis = Diagnosis(
            "host", "rig", f"{reasons[0]}; the evidence so far is kept: re-run the gate"
        )
    elif broken_tests or not missing:
        diagnosis = Diagnosis("host", "rig", reasons[0] + "; fix the rig or the test, then re-run")
    else:
        first = missing[0]
        diagnosis = Diagnosis(
            first.layer,
            first.domain,
            f"{first.layer} / {first.domain}: {reasons[-1]}; run the tests "
            "that measure them (deselected, skipped or broken?)",
        )
    return GateResult(gate, "INCOMPLETE", diagnosis, tuple(records), tuple(reasons))
