"""The sign-off record (`signoff.json`, schema usbgate.signoff/1), its human twin
(`signoff.md`), and the sha256 manifest that makes tampering visible.

The manifest in signoff.json covers every file in the gate folder except signoff.json
itself, whose own hash is kept beside it in `signoff.json.sha256` (sha256sum format).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from pytest_usbgate.evidence.files import sha256_file, write_atomic, write_json
from pytest_usbgate.gate.criteria import Record, Verdict, format_value
from pytest_usbgate.gate.verdict import GateResult

SCHEMA: Final = "usbgate.signoff/1"
SIGNOFF: Final = "signoff.json"
SIDECAR: Final = "signoff.json.sha256"
MARKDOWN: Final = "signoff.md"


def manifest(gate_dir: Path, known: Mapping[str, str] | None = None) -> dict[str, str]:
    """relative path -> sha256 of every file under `gate_dir` but signoff.json and its hash.
    `known` gives the hash of files this run wrote itself (relative path -> sha256): those
    are listed without being read back."""
    known = known or {}
    out = {}
    for folder, _, names in os.walk(gate_dir):
        inside = Path(folder).relative_to(gate_dir).as_posix()
        prefix = "" if inside == "." else inside + "/"
        for name in names:  # strings, not a path per file: 1.5 ms, not 4.6, per 1000 files
            rel = prefix + name
            if rel not in (SIGNOFF, SIDECAR):
                out[rel] = known.get(rel) or sha256_file(Path(folder, name))
    return dict(sorted(out.items()))


def document(
    result: GateResult,
    *,
    rig: str,
    rig_file: str,
    build: str,
    started: str,
    finished: str | None,
    devices: Sequence[Mapping[str, Any]],
    tests: Mapping[str, int],
    manifest_: Mapping[str, str],
) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "gate": result.gate,
        "rig": rig,
        "rig_file": rig_file,
        "build": build,
        "started": started,
        "finished": finished,
        "verdict": result.verdict,
        "diagnosis": result.diagnosis.to_dict() if result.diagnosis else None,
        "incomplete_reasons": list(result.reasons),
        "criteria": [r.to_dict() for r in result.records],
        "devices": [dict(d) for d in devices],
        "tests": dict(tests),
        "manifest": dict(manifest_),
    }


def _row(record: Record) -> str:
    limit = record.limit.describe(record.unit) if record.limit else "—"
    return (
        f"| `{record.label}` | {format_value(record.value, record.unit)} | {limit} | "
        f"**{record.verdict.value}** | {record.limit_source} | {record.layer} / "
        f"{record.domain} | `{record.test or '—'}` |"
    )


def markdown(doc: Mapping[str, Any], records: Sequence[Record]) -> str:
    lines = [
        f"# Sign-off: {doc['gate']} gate — {doc['verdict']}",
        "",
        f"Build `{doc['build']}` on rig `{doc['rig']}` ({doc['rig_file']}); "
        f"started {doc['started']}, finished {doc['finished'] or '— (did not finish)'}.",
        "",
    ]
    diagnosis = doc["diagnosis"]
    lines.append(f"**Diagnosis:** {diagnosis['summary']}" if diagnosis else "**Diagnosis:** none")
    lines += [f"- {reason}" for reason in doc["incomplete_reasons"]]
    marginal = [r.id for r in records if r.verdict is Verdict.MARGINAL]
    if marginal:
        lines.append(f"**Marginal (pass, look closer):** {', '.join(marginal)}")
    lines += [
        "",
        "## Criteria",
        "",
        "| criterion | measured | limit | verdict | limit from | layer / domain | test |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [_row(r) for r in records]
    lines += [
        "",
        "## Devices",
        "",
        "| id | device | VID:PID | serial | firmware | port | speed |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {d['id']} | {d['name']} | {d['vid']}:{d['pid']} | {d.get('serial') or '—'} | "
        f"{d.get('firmware') or '—'} | {_port(d)} | {_speed(d)} |"
        for d in doc["devices"]
    ]
    tests = doc["tests"]
    lines += [
        "",
        "## Tests",
        "",
        ", ".join(f"{n} {k}" for k, n in tests.items()),
        "",
        "## Evidence",
        "",
        "Every file in this folder is hashed (sha256) in the manifest of `signoff.json`; "
        "check it with `usbgate signoff verify <this folder>`.",
        "",
    ]
    return "\n".join(lines)


def write_signoff(
    gate_dir: Path,
    doc: dict[str, Any],
    records: Sequence[Record],
    *,
    sealed: bool = True,
    known: Mapping[str, str] | None = None,
) -> None:
    """signoff.md, and signoff.json with (sealed) the manifest over the folder and a
    file holding its hash.

    An unsealed sign-off (a run still going) vouches for nothing yet: no manifest, no hash
    file, so it never verifies; it is not forced to disk (fsync), since a machine that
    stops leaves no PASS either way.
    """
    write_atomic(gate_dir / MARKDOWN, markdown(doc, records), fsync=sealed)
    doc["manifest"] = manifest(gate_dir, known) if sealed else {}
    write_json(gate_dir / SIGNOFF, doc, fsync=sealed)
    if sealed:
        write_atomic(gate_dir / SIDECAR, f"{sha256_file(gate_dir / SIGNOFF)}  {SIGNOFF}\n")


def verify(gate_dir: Path) -> list[str]:
    """Every difference between the folder and its sign-off, one line each; [] = intact."""
    signoff = gate_dir / SIGNOFF
    try:
        doc = json.loads(signoff.read_text(encoding="utf-8"))
        recorded = doc["manifest"]
        if not isinstance(recorded, dict):
            raise TypeError
    except FileNotFoundError:
        return [f"{SIGNOFF}: missing"]
    except (ValueError, KeyError, TypeError):
        return [f"{SIGNOFF}: unreadable or without a manifest"]
    problems = []
    sidecar = gate_dir / SIDECAR
    if not sidecar.is_file():
        problems.append(f"{SIDECAR}: missing (the sign-off never finished, or it was removed)")
    elif sidecar.read_text(encoding="utf-8").split()[:1] != [sha256_file(signoff)]:
        problems.append(f"changed: {SIGNOFF}")
    actual = manifest(gate_dir)
    for rel in sorted(recorded.keys() | actual.keys()):
        if rel not in actual:
            problems.append(f"removed: {rel}")
        elif rel not in recorded:
            problems.append(f"added: {rel}")
        elif recorded[rel] != actual[rel]:
            problems.append(f"changed: {rel}")
    return problems


def _port(device: Mapping[str, Any]) -> str:
    port = device.get("port")
    return f"{port} #{device.get('devnum')}" if port else "—"


def _speed(device: Mapping[str, Any]) -> str:
    speed = device.get("speed_mbps")
    return f"{speed:g} Mb/s" if isinstance(speed, int | float) else "—"
