"""Reading limit tables (`{ min = …, max = …, marginal = … }`) and threshold tables."""

from __future__ import annotations

from pytest_usbgate.config.reader import Section
from pytest_usbgate.gate.criteria import Limit
from pytest_usbgate.gate.names import GATES


def read_limit(section: Section) -> Limit:
    """A limit table, checked for impossible combinations."""
    low = section.number("min", None)
    high = section.number("max", None)
    marginal = section.number("marginal", 0.0)
    section.close()
    if low is None and high is None:
        raise section.error("", "expected at least one of min, max")
    if low is not None and high is not None and low > high:
        raise section.error("", f"min {low} is greater than max {high}: no value can pass")
    if marginal < 0:
        raise section.error("marginal", f"expected a guard band >= 0, got {marginal}")
    if low is not None and high is not None and marginal and 2 * marginal >= high - low:
        raise section.error(
            "marginal",
            f"guard band {marginal} leaves no PASS range between min {low} and max {high}",
        )
    return Limit(min=low, max=high, marginal=marginal)


def read_thresholds(section: Section | None, known: frozenset[str]) -> dict[str, dict[str, Limit]]:
    """`[thresholds.<gate>]` tables: gate -> criterion id -> Limit (ids must be known)."""
    out: dict[str, dict[str, Limit]] = {}
    if section is None:
        return out
    for gate, _ in list(section.entries()):
        if gate not in GATES:
            raise section.error(gate, f"unknown gate (expected one of: {', '.join(GATES)})")
        table = section.section(gate)
        assert table is not None
        out[gate] = {}
        for criterion_id, value in list(table.entries()):
            if criterion_id not in known:
                raise table.error(
                    criterion_id, "unknown criterion (see `usbgate criteria` for the catalog)"
                )
            if not isinstance(value, dict):
                raise table.error(criterion_id, "expected a limit table like { max = 6.0 }")
            limit_section = table.section(criterion_id)
            assert limit_section is not None
            out[gate][criterion_id] = read_limit(limit_section)
    return out
