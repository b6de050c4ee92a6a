import math

import pytest

from pytest_usbgate.config.catalog import builtin_catalog
from pytest_usbgate.config.rig import Rig
from pytest_usbgate.gate.checker import Criteria, CriterionFailed, NotMeasured
from pytest_usbgate.gate.criteria import Limit, Record, Verdict, failure_message, format_value


@pytest.mark.parametrize(
    ("limit", "value", "verdict"),
    [
        (Limit(max=6.0), 5.99, Verdict.PASS),
        (Limit(max=6.0), 6.0, Verdict.PASS),  # bounds are inclusive
        (Limit(max=6.0), 6.000001, Verdict.FAIL),
        (Limit(max=10.0, marginal=1.0), 9.0, Verdict.PASS),  # edge of the band passes clean
        (Limit(max=10.0, marginal=1.0), 9.5, Verdict.MARGINAL),
        (Limit(max=10.0, marginal=1.0), 10.0, Verdict.MARGINAL),
        (Limit(max=10.0, marginal=1.0), 10.5, Verdict.FAIL),
        (Limit(min=100.0, marginal=3.0), 102.0, Verdict.MARGINAL),
        (Limit(min=100.0, marginal=3.0), 103.0, Verdict.PASS),
        (Limit(min=100.0, marginal=3.0), 99.9, Verdict.FAIL),
        (Limit(min=-1.0, max=1.0), -1.0, Verdict.PASS),
        (Limit(min=-1.0, max=1.0), 1.5, Verdict.FAIL),
        (Limit(max=6.0), math.nan, Verdict.FAIL),
        (Limit(min=0.0), math.inf, Verdict.PASS),
    ],
)
def test_limit_judges(limit: Limit, value: float, verdict: Verdict) -> None:
    assert limit.judge(value) is verdict


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (7.41, "ms", "7.41 ms"),
        (6.0, "ms", "6.0 ms"),
        (3.0, "count", "3"),
        (0.0, "count", "0"),
        (1.0, "bool", "true"),
        (0.0, "bool", "false"),
        (-104.25, "dB", "-104.25 dB"),
        (5.333333333, "ms", "5.33333 ms"),
        (0.5, "ratio", "0.5"),
        (None, "ms", "—"),
    ],
)
def test_format_value(value: float | None, unit: str, text: str) -> None:
    assert format_value(value, unit) == text


def _record(value: float, limit: Limit) -> Record:
    return Record(
        id="midi.rtt_p99_ms",
        layer="application",
        domain="midi",
        unit="ms",
        value=value,
        limit=limit,
        limit_source="rig",
        verdict=limit.judge(value),
        test="t",
        gate="bringup",
    )


def test_failure_message_above_max() -> None:
    message = failure_message(_record(7.41, Limit(max=6.0)), "studio-a")
    assert message == "midi.rtt_p99_ms = 7.41 ms > 6.0 ms (rig studio-a, bringup)"


def test_failure_message_below_min() -> None:
    message = failure_message(_record(0.5, Limit(min=1.0, max=6.0)), "studio-a")
    assert message == "midi.rtt_p99_ms = 0.5 ms < 1.0 ms (rig studio-a, bringup)"


def test_what_could_not_be_measured_is_not_measured_with_its_reason(sim_rig: Rig) -> None:
    kept: list[Record] = []
    criteria = Criteria(
        gate="design",
        rig=sim_rig,
        catalog=builtin_catalog(),
        test_id="t",
        sink=lambda record, _: kept.append(record),
    )
    with pytest.raises(NotMeasured) as info:
        criteria.not_measured("usb.periodic_bandwidth_pct", reason="no rig device on the host")
    (record,) = kept
    assert (record.verdict, record.value, record.detail) == (
        Verdict.NOT_MEASURED,
        None,
        "no rig device on the host",
    )
    fix = builtin_catalog()["usb.periodic_bandwidth_pct"].fix
    assert str(info.value) == (
        "usb.periodic_bandwidth_pct not measured (rig sim, design)\n"
        f"  layer host / domain usb: {fix}\n"
        "  no rig device on the host"
    )
    nan = criteria.judge("power.autosuspend_off", math.nan, detail="sysfs said nothing")
    assert (nan.verdict, nan.value) == (Verdict.NOT_MEASURED, None)
    assert nan.detail == "the measurement gave no number (nan); sysfs said nothing"
    with pytest.raises(NotMeasured):
        criteria.check_all({"rig.config_errors": 0, "rig.threshold_errors": None})
    with pytest.raises(CriterionFailed):  # a FAIL is raised before what was not measured
        criteria.check_all({"rig.config_errors": 2, "rig.threshold_errors": None})


def test_record_round_trips_through_json_dict() -> None:
    record = _record(5.6, Limit(min=1.0, max=6.0, marginal=0.5))
    assert Record.from_dict(record.to_dict()) == record
    assert record.to_dict()["limit"] == {"min": 1.0, "max": 6.0, "marginal": 0.5}
    assert record.verdict is Verdict.MARGINAL


def test_limit_describe() -> None:
    assert Limit(max=6.0).describe("ms") == "≤ 6.0 ms"
    assert Limit(min=100.0).describe("dB") == "≥ 100.0 dB"
    assert Limit(min=0.0, max=1.0).describe("ratio") == "0.0 … 1.0"
    assert Limit(min=1.0, max=1.0).describe("bool") == "= true"
