"""One gate run on the controller: collects records and outcomes, keeps the journal,
and writes the sign-off. Workers never write here; pytest-free."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from pytest_usbgate.config.catalog import builtin_catalog
from pytest_usbgate.config.rig import Rig
from pytest_usbgate.evidence import allure, signoff
from pytest_usbgate.evidence.files import append_line
from pytest_usbgate.gate.criteria import Record, Verdict
from pytest_usbgate.gate.verdict import GateResult, decide

JOURNAL: Final = "criteria.jsonl"
OUTCOMES: Final = ("passed", "failed", "broken", "skipped")
UNMET: Final = (Verdict.FAIL, Verdict.NOT_MEASURED)


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def device_identities(rig: Rig, records: Iterable[Record] = ()) -> list[dict[str, Any]]:
    """Identity of each rig device as far as the rig and profile know it, completed by
    what checks read from the device: its identity on the host (serial, port, device
    number, speed) and its firmware (the last one reported wins)."""
    firmware: dict[str, str] = {}
    seen: dict[str, dict[str, Any]] = {}
    for r in records:
        if r.device and r.firmware:
            firmware[r.device] = r.firmware
        if r.device and r.identity:
            seen.setdefault(r.device, {}).update(r.identity)
    out = []
    for d in rig.devices:
        host = seen.get(d.id, {})
        out.append(
            {
                "id": d.id,
                "profile": d.profile.id,
                "name": d.profile.name,
                "vid": d.profile.vendor_id,
                "pid": d.profile.product_id,
                "serial": d.serial or host.get("serial"),
                "firmware": firmware.get(d.id) or host.get("firmware"),
                **{k: v for k, v in host.items() if k not in ("serial", "firmware")},
            }
        )
    return out


def prepare_gate_dir(reports_dir: Path, build_id: str, gate: str) -> Path:
    """reports/<build>/<gate>/ with allure-results/, empty. An earlier run's folder for the
    same build and gate is kept, renamed <gate>.superseded-<time>, never deleted."""
    gate_dir = reports_dir / build_id / gate
    if gate_dir.exists() and any(gate_dir.iterdir()):
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        gate_dir.rename(gate_dir.with_name(f"{gate}.superseded-{stamp}"))
    (gate_dir / "allure-results").mkdir(parents=True, exist_ok=True)
    return gate_dir


class GateRun:
    """State of a gate run as the controller sees it."""

    def __init__(
        self,
        *,
        gate: str,
        rig: Rig,
        build_id: str,
        gate_dir: Path,
        executor: Mapping[str, Any],
        allure_dir: Path | None = None,
    ) -> None:
        self.gate = gate
        self.rig = rig
        self.build_id = build_id
        self.gate_dir = gate_dir
        self.allure_dir = allure_dir or gate_dir / "allure-results"
        self.executor = executor
        self.started = now_iso()
        self.records: list[Record] = []
        self.outcomes: Counter[str] = Counter({k: 0 for k in OUTCOMES})
        self.broken: list[str] = []
        self.interrupted: str | None = None
        self.result: GateResult | None = None

    def environment(self) -> dict[str, str]:
        env = {
            "gate": self.gate,
            "rig": self.rig.name,
            "rig.file": str(self.rig.path),
            "rig.kind": self.rig.kind,
            "build": self.build_id,
        }
        for device in device_identities(self.rig):
            env[f"device.{device['id']}"] = f"{device['name']} {device['vid']}:{device['pid']}" + (
                f" serial {device['serial']}" if device["serial"] else ""
            )
        return env

    def begin(self) -> None:
        """Allure metadata, and a sign-off that reads INCOMPLETE until the run finishes."""
        allure.write_allure_metadata(
            self.allure_dir,
            self.gate_dir,
            allure.environment(self.environment()),
            self.executor,
            report_name=f"usbgate {self.gate} gate, rig {self.rig.name}, build {self.build_id}",
            history=allure.history_file(self.gate_dir.parent.parent, self.rig.name, self.gate),
        )
        signoff.write_signoff(self.gate_dir, self._document(None), [], sealed=False)

    def discard(self) -> None:
        """Remove what `begin` wrote (this process hands the run to another one)."""
        shutil.rmtree(self.gate_dir, ignore_errors=True)
        with contextlib.suppress(OSError):
            self.gate_dir.parent.rmdir()  # the build's folder, if this left it empty

    def add(self, records: Iterable[Record]) -> None:
        for record in records:
            self.records.append(record)
            append_line(self.gate_dir / JOURNAL, json.dumps(record.to_dict()))

    def outcome(self, kind: str, test: str = "", message: str = "") -> None:
        """One test's outcome (one of OUTCOMES); a failed or broken `test` (node id) that
        no failed or unmeasured criterion explains is listed with `message`."""
        self.outcomes[kind] += 1
        if kind in ("failed", "broken") and not any(
            r.test == test and r.verdict in UNMET for r in self.records
        ):
            self.broken.append(f"{test} ({kind}: {message})" if message else test)

    def finish(self) -> GateResult:
        """The verdict and the sealed sign-off (allure-pytest has written each test's
        results as it finished)."""
        self.result = decide(
            self.gate,
            self.rig,
            builtin_catalog(),
            self.records,
            self.broken,
            self.interrupted,
        )
        signoff.write_signoff(self.gate_dir, self._document(now_iso()), self.result.records)
        return self.result

    def _document(self, finished: str | None) -> dict[str, Any]:
        result = self.result or GateResult(
            self.gate, "INCOMPLETE", None, (), ("the run has not finished",)
        )
        return signoff.document(
            result,
            rig=self.rig.name,
            rig_file=str(self.rig.path),
            build=self.build_id,
            started=self.started,
            finished=finished,
            devices=device_identities(self.rig, self.records),
            tests=dict(self.outcomes),
            manifest_={},
        )
