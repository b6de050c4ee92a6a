"""The `criteria` object a test uses: measure, then check a named criterion.

    rtt = measure_midi_loopback(ports, messages=1000)
    criteria.check("midi.rtt_p99_ms", rtt.p99_ms)

Limit, unit, layer and domain come from the rig -> profile -> catalog; the record
keeps where the limit came from. A FAIL raises CriterionFailed (an AssertionError,
so the test fails rather than breaks).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn, TypedDict, Unpack, final

from pytest_usbgate.errors import InfrastructureError, UsbgateError
from pytest_usbgate.gate.criteria import (
    CriterionDef,
    Limit,
    Record,
    RigLimits,
    Verdict,
    failure_message,
)


def _explained(
    records: Sequence[Record], rig_name: str, catalog: Mapping[str, CriterionDef]
) -> str:
    lines = []
    for record in records:
        if record.verdict is Verdict.NOT_MEASURED:
            lines.append(f"{record.label} not measured (rig {rig_name}, {record.gate})")
        else:
            lines.append(failure_message(record, rig_name))
        lines.append(f"  layer {record.layer} / domain {record.domain}: {catalog[record.id].fix}")
        lines += [f"  {line}" for line in record.detail.splitlines()]
    return "\n".join(lines)


class CriterionFailed(AssertionError):
    """A criterion judged FAIL; the message names value, limit, rig, gate and layer."""

    def __init__(
        self, records: Sequence[Record], rig_name: str, catalog: Mapping[str, CriterionDef]
    ) -> None:
        self.records = tuple(records)
        super().__init__(_explained(records, rig_name, catalog))


class NotMeasured(AssertionError):
    """A criterion the test could not measure: NOT_MEASURED with its reason, so the gate
    cannot pass; the message names the criterion, its layer and why."""

    def __init__(
        self, records: Sequence[Record], rig_name: str, catalog: Mapping[str, CriterionDef]
    ) -> None:
        self.records = tuple(records)
        super().__init__(_explained(records, rig_name, catalog))


class About(TypedDict, total=False):
    """What a record may say beyond its value (see `Criteria.check`)."""

    detail: str
    device: str | None
    firmware: str | None
    identity: dict[str, Any] | None
    device_limit: tuple[Limit, str] | None


@final
class Criteria:
    """Checks criteria for one test in one gate and hands each record to `sink`."""

    __slots__ = ("_catalog", "_gate", "_rig", "_sink", "_test_id")

    def __init__(
        self,
        *,
        gate: str,
        rig: RigLimits,
        catalog: Mapping[str, CriterionDef],
        test_id: str,
        sink: Callable[[Record, CriterionDef], None],
    ) -> None:
        self._gate = gate
        self._rig = rig
        self._catalog = catalog
        self._test_id = test_id
        self._sink = sink

    def judge(
        self,
        criterion_id: str,
        value: float | bool | None,
        *,
        detail: str = "",
        device: str | None = None,
        firmware: str | None = None,
        identity: dict[str, Any] | None = None,
        device_limit: tuple[Limit, str] | None = None,
    ) -> Record:
        """Judge and record without raising (see `check`); a `value` of None is NOT_MEASURED,
        `detail` saying why."""
        criterion = self._catalog.get(criterion_id)
        if criterion is None:
            raise UsbgateError(
                f"unknown criterion {criterion_id!r}: not in the catalog "
                "(pytest_usbgate/config/catalog.toml)"
            )
        number: float | None
        if value is None:
            number = None
        elif isinstance(value, bool):
            number = 1.0 if value else 0.0
        elif isinstance(value, int | float) and math.isfinite(value):
            number = float(value)
        elif isinstance(value, int | float):  # NaN or infinite: no measurement
            number = None
            detail = f"the measurement gave no number ({value})" + (f"; {detail}" if detail else "")
        else:
            raise UsbgateError(
                f"{criterion_id}: expected a number in {criterion.unit}, got {type(value).__name__}"
            )
        limit, source = self._rig.limit(criterion, self._gate)
        if device_limit is not None and source != "rig":
            limit, source = device_limit
        if limit is None and number is not None:
            raise InfrastructureError(
                f"{criterion_id} has no limit for the {self._gate} gate: set "
                f'[thresholds.{self._gate}] "{criterion_id}" = {{ max = … }} in {self._rig.path}'
            )
        record = Record.judged(
            criterion,
            self._gate,
            number,
            limit,
            source,
            self._test_id,
            detail,
            device,
            firmware,
            identity,
        )
        self._sink(record, criterion)
        return record

    def check(
        self, criterion_id: str, value: float | bool | None, **about: Unpack[About]
    ) -> Record:
        """Judge `value` (in the criterion's unit) and record it; raise on FAIL (or when
        it is NOT_MEASURED).

        `detail` (lines of text) is kept with the record and shown on failure; `device`
        (a rig device id), the `firmware` it reported and its `identity` as the host
        saw it go into the sign-off's devices. `device_limit` (limit, source) is this
        device's own limit (its profile's speed, say); a rig threshold still wins.
        """
        record = self.judge(criterion_id, value, **about)
        self.raise_failed([record])
        return record

    def not_measured(self, *criterion_ids: str, reason: str) -> NoReturn:
        """Nothing could be measured (no rig device on the host, say): each criterion is
        NOT_MEASURED with `reason`, and the test stops saying so."""
        records = [self.judge(c, None, detail=reason) for c in criterion_ids]
        raise NotMeasured(records, self._rig.name, self._catalog)

    def check_all(
        self, values: Mapping[str, float | bool | None], *, detail: str = ""
    ) -> list[Record]:
        """Judge and record every value (each keeps `detail`), then raise once listing
        all that FAIL (or, with none failed, all NOT_MEASURED)."""
        records = [
            self.judge(criterion_id, value, detail=detail) for criterion_id, value in values.items()
        ]
        return self.raise_failed(records)

    def raise_failed(self, records: Sequence[Record]) -> list[Record]:
        """After judging several (one per device, say): raise once, listing every FAIL;
        with none, every NOT_MEASURED."""
        failed = [r for r in records if r.verdict is Verdict.FAIL]
        if failed:
            raise CriterionFailed(failed, self._rig.name, self._catalog)
        unmeasured = [r for r in records if r.verdict is Verdict.NOT_MEASURED]
        if unmeasured:
            raise NotMeasured(unmeasured, self._rig.name, self._catalog)
        return list(records)
