"""Gates, limit resolution, and the gate verdict with its diagnosis. Pure: no I/O."""

# No `from __future__ import annotations` here: a NamedTuple's fields would be strings,
# each compiled at import (what it cost: bench/RESULTS.md, session 20).

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Final, NamedTuple, final

from pytest_usbgate.criteria import LAYERS, CriterionDef, Limit, Record, Verdict, format_value

if TYPE_CHECKING:
    from pytest_usbgate.rig import Rig

GATES: Final = ("design", "bringup", "production")


def resolve_limit(criterion: CriterionDef, gate: str, rig: "Rig") -> tuple[Limit | None, str]:
    """The limit for `criterion` in `gate`: rig thresholds -> device profiles -> default.

    Returns (limit, source) with source 'rig', 'profile <id>' or 'default';
    (None, 'none') when nobody sets one.
    """
    limit = rig.thresholds.get(gate, {}).get(criterion.id)
    if limit is not None:
        return limit, "rig"
    for device in rig.devices:
        limit = device.profile.thresholds.get(gate, {}).get(criterion.id)
        if limit is not None:
            return limit, f"profile {device.profile.id}"
    limit = criterion.limits.get(gate)
    if limit is not None:
        return limit, "default"
    return None, "none"


def required_criteria(gate: str, rig: "Rig", catalog: Mapping[str, CriterionDef]) -> list[str]:
    """Criteria the gate cannot pass without: the catalog's (where the rig has the section
    they need) plus every criterion the rig sets a threshold for in this gate."""
    ids = [
        c.id for c in catalog.values() if gate in c.required and (c.when is None or rig.has(c.when))
    ]
    ids += [i for i in rig.thresholds.get(gate, {}) if i not in ids]
    return ids


@final
class Diagnosis(NamedTuple):
    layer: str
    domain: str
    summary: str

    def to_dict(self) -> dict[str, str]:
        return {"layer": self.layer, "domain": self.domain, "summary": self.summary}


@final
class GateResult(NamedTuple):
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
    rig: "Rig",
    catalog: Mapping[str, CriterionDef],
    measured: Iterable[Record],
    broken_tests: Sequence[str] = (),
    interrupted: str | None = None,
    evidence_errors: Sequence[str] = (),
) -> GateResult:
    """The gate verdict.

    FAIL when any criterion FAILs (diagnosis: the lowest failing layer). Otherwise
    INCOMPLETE when the run was interrupted, a test failed or broke outside any
    criterion, evidence could not be written, a required criterion was not measured,
    or nothing was measured.
    Otherwise PASS (MARGINAL records pass and stay flagged).
    """
    records = list(measured)
    seen = {r.id for r in records}
    for criterion_id in required_criteria(gate, rig, catalog):
        if criterion_id in seen:
            continue
        criterion = catalog[criterion_id]
        limit, source = resolve_limit(criterion, gate, rig)
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
    if evidence_errors:
        others = len(evidence_errors) - 1
        reasons.append(
            f"evidence not written: {evidence_errors[0]}" + (f" (+{others} more)" if others else "")
        )
    missing = sorted(
        (r for r in records if r.verdict is Verdict.NOT_MEASURED),
        key=lambda r: _layer_rank(r.layer),
    )
    if missing:
        reasons.append("not measured: " + ", ".join(r.id for r in missing))
    if not records:
        reasons.append("no criterion was measured")
    if not reasons:
        return GateResult(gate, "PASS", None, tuple(records), ())

    if interrupted or broken_tests or evidence_errors or not missing:
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
