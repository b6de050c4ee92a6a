"""The terminal summary of a gate run: lines of text, no pytest."""

from __future__ import annotations

from pathlib import Path

from pytest_usbgate.gate.criteria import Verdict, format_value
from pytest_usbgate.gate.verdict import GateResult

_HEADER = ("criterion", "measured", "limit", "verdict", "limit from", "layer / domain")


def summary_lines(result: GateResult, rig_name: str, signoff_path: Path) -> list[str]:
    rows = [_HEADER] + [
        (
            r.label,
            format_value(r.value, r.unit),
            r.limit.describe(r.unit) if r.limit else "—",
            r.verdict.value,
            r.limit_source,
            f"{r.layer} / {r.domain}",
        )
        for r in result.records
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADER))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    counts = {v: sum(1 for r in result.records if r.verdict is v) for v in Verdict}
    tally = ", ".join(f"{n} {v.value}" for v, n in counts.items() if n)
    lines.append("")
    lines.append(
        f"gate {result.gate} on rig {rig_name}: {result.verdict}" + (f" ({tally})" if tally else "")
    )
    if result.diagnosis is not None:
        lines.append(f"diagnosis: {result.diagnosis.summary}")
    lines += [f"incomplete: {reason}" for reason in result.reasons]
    lines.append(f"sign-off: {signoff_path}")
    return lines
