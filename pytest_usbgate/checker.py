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
from typing import TYPE_CHECKING, Any, NoReturn, final

from pytest_usbgate.criteria import CriterionDef, Limit, Record, Verdict, failure_message
from pytest_usbgate.errors import InfrastructureError, UsbgateError
from pytest_usbgate.gates import resolve_limit

if TYPE_CHECKING:
    from pytest_usbgate.rig import Rig


class CriterionFailed(AssertionError):
    """A criterion judged FAIL; the message names value, limit, rig, gate and layer."""

    def __init__(
        self, records: Sequence[Record], rig_name: str, catalog: Mapping[str, CriterionDef]
    ) -> None:
        lines = []
        for record in records:
            lines.append(failure_message(record, rig_name))
            lines.append(
                f"  layer {record.layer} / domain {record.domain}: {catalog[record.id].fix}"
            )
            lines += [f"  {line}" for line in record.detail.splitlines()]
        self.records = tuple(records)
        super().__init__("\n".join(lines))


@final
class Criteria:
    """Checks criteria for one test in one gate and hands each record to `sink`."""

    __slots__ = ("_catalog", "_gate", "_rig", "_sink", "_test_id")

    def __init__(
        self,
        *,
        gate: str,
        rig: Rig,
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
        value: float | bool,
        *,
        detail: str = "",
        device: str | None = None,
        firmware: str | None = None,
        identity: dict[str, Any] | None = None,
        device_limit: tuple[Limit, str] | None = None,
    ) -> Record:
        """Judge and record without raising (see `check`)."""
        criterion = self._catalog.get(criterion_id)
        if criterion is None:
            raise UsbgateError(
                f"unknown criterion {criterion_id!r}: not in the catalog "
                "(pytest_usbgate/catalog.toml)"
            )
        if isinstance(value, bool):
            number = 1.0 if value else 0.0
        elif isinstance(value, int | float):
            number = float(value)
        else:
            raise UsbgateError(
                f"{criterion_id}: expected a number in {criterion.unit}, got {type(value).__name__}"
            )
        limit, source = resolve_limit(criterion, self._gate, self._rig)
        if device_limit is not None and source != "rig":
            limit, source = device_limit
        if limit is None:
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
        self,
        criterion_id: str,
        value: float | bool,
        *,
        detail: str = "",
        device: str | None = None,
        firmware: str | None = None,
        identity: dict[str, Any] | None = None,
        device_limit: tuple[Limit, str] | None = None,
    ) -> Record:
        """Judge `value` (in the criterion's unit) and record it; raise on FAIL.

        `detail` (lines of text) is kept with the record and shown on failure; `device`
        (a rig device id), the `firmware` it reported and its `identity` as the host
        saw it go into the sign-off's devices. `device_limit` (limit, source) is this
        device's own limit (its profile's speed, say); a rig threshold still wins.
        """
        record = self.judge(
            criterion_id,
            value,
            detail=detail,
            device=device,
            firmware=firmware,
            identity=identity,
            device_limit=device_limit,
        )
        if record.verdict is Verdict.FAIL:
            raise CriterionFailed([record], self._rig.name, self._catalog)
        return record

    def fail(self, *criterion_ids: str, detail: str) -> NoReturn:
        """Nothing could be measured (no signal, say): each criterion FAILs with `detail`."""
        records = [self.judge(c, math.nan, detail=detail) for c in criterion_ids]
        raise CriterionFailed(records, self._rig.name, self._catalog)

    def check_all(self, values: Mapping[str, float | bool], *, detail: str = "") -> list[Record]:
        """Judge and record every value (each keeps `detail`), then raise once listing
        all that FAIL."""
        records = [
            self.judge(criterion_id, value, detail=detail) for criterion_id, value in values.items()
        ]
        return self.raise_failed(records)

    def raise_failed(self, records: Sequence[Record]) -> list[Record]:
        """After judging several (one per device, say): raise once, listing every FAIL."""
        failed = [r for r in records if r.verdict is Verdict.FAIL]
        if failed:
            raise CriterionFailed(failed, self._rig.name, self._catalog)
        return list(records)
