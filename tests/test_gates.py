from dataclasses import replace

from pytest_usbgate.config.catalog import builtin_catalog
from pytest_usbgate.config.rig import Rig, required_criteria, resolve_limit
from pytest_usbgate.gate.criteria import Limit, Record, Verdict
from pytest_usbgate.gate.verdict import decide

CATALOG = builtin_catalog()
BUDGET = CATALOG["audio.buffer_latency_ms"]


def _with_profile_limit(rig: Rig, limit: Limit) -> Rig:
    first = rig.devices[0]
    profile = replace(first.profile, thresholds={"design": {"audio.buffer_latency_ms": limit}})
    device = replace(first, profile=profile)
    return replace(rig, devices=(device, *rig.devices[1:]))


def test_limit_resolves_rig_then_profile_then_default(sim_rig: Rig) -> None:
    bare = replace(sim_rig, thresholds={})
    assert resolve_limit(BUDGET, "design", bare) == (Limit(max=10.0, marginal=1.0), "default")
    profiled = _with_profile_limit(bare, Limit(max=7.0))
    assert resolve_limit(BUDGET, "design", profiled) == (
        Limit(max=7.0),
        "profile focusrite-scarlett-4i4-gen4",
    )
    rigged = replace(profiled, thresholds={"design": {"audio.buffer_latency_ms": Limit(max=5.0)}})
    assert resolve_limit(BUDGET, "design", rigged) == (Limit(max=5.0), "rig")
    assert resolve_limit(BUDGET, "bringup", rigged) == (None, "none")


def test_required_follows_catalog_when_and_rig_thresholds(sim_rig: Rig) -> None:
    host = ["usb.present", "usb.periodic_bandwidth_pct", "power.autosuspend_off"]
    assert required_criteria("design", sim_rig, CATALOG) == [
        "rig.config_errors",
        "rig.threshold_errors",
        "audio.buffer_latency_ms",
        *host,
        "power.port_budget_pct",
    ]
    no_audio = replace(sim_rig, audio_loopback=None, thresholds={}, devices=())
    assert required_criteria("design", no_audio, CATALOG) == [
        "rig.config_errors",
        "rig.threshold_errors",
    ]
    midi = [c for c in CATALOG if c.startswith("midi.")]  # catalog order
    audio = [c for c in CATALOG if c.startswith("audio.") and "bringup" in CATALOG[c].required]
    assert len(midi) == 8 and len(audio) == 8
    usb = [
        "usb.present",
        "usb.speed",
        "usb.descriptors_valid",
        "usb.enumeration_s",
        "usb.recovery_p95_s",
        "power.autosuspend_off",
        "kernel.usb_errors",
    ]
    assert required_criteria("bringup", sim_rig, CATALOG) == audio + midi + usb
    no_midi = replace(
        sim_rig,
        midi_loopback=None,
        midi_identity=None,
        audio_loopback=None,
        thresholds={},
        devices=(),
    )
    assert required_criteria("bringup", no_midi, CATALOG) == []
    asked = replace(no_midi, thresholds={"bringup": {"rig.config_errors": Limit(max=0)}})
    assert required_criteria("bringup", asked, CATALOG) == ["rig.config_errors"]


def _rec(criterion_id: str, value: float, limit: Limit, layer: str = "host") -> Record:
    domain = criterion_id.split(".")[0]
    return Record(
        id=criterion_id,
        layer=layer,
        domain=domain,
        unit="count",
        value=value,
        limit=limit,
        limit_source="default",
        verdict=limit.judge(value),
        test=f"t::{criterion_id}",
        gate="design",
    )


ALL_PASS = [
    _rec("rig.config_errors", 0, Limit(max=0)),
    _rec("rig.threshold_errors", 0, Limit(max=0)),
    _rec("audio.buffer_latency_ms", 9.5, Limit(max=10, marginal=1), "application"),
    _rec("usb.present", 1, Limit(min=1)),
    _rec("usb.periodic_bandwidth_pct", 8.5, Limit(max=80)),
    _rec("power.autosuspend_off", 1, Limit(min=1)),
    _rec("power.port_budget_pct", 50.0, Limit(max=100)),
]


def test_pass_with_marginal_record(sim_rig: Rig) -> None:
    result = decide("design", sim_rig, CATALOG, ALL_PASS)
    assert (result.verdict, result.diagnosis, result.reasons) == ("PASS", None, ())
    assert [r.verdict for r in result.records] == [Verdict.PASS] * 2 + [Verdict.MARGINAL] + [
        Verdict.PASS
    ] * 4


def test_fail_names_the_lowest_failing_layer(sim_rig: Rig) -> None:
    records = [
        _rec("audio.buffer_latency_ms", 12.0, Limit(max=10), "application"),
        _rec("rig.config_errors", 2, Limit(max=0)),
        _rec("rig.threshold_errors", 0, Limit(max=0)),
    ]
    result = decide("design", sim_rig, CATALOG, records, interrupted="SIGTERM")
    assert result.verdict == "FAIL"
    assert result.diagnosis is not None
    assert (result.diagnosis.layer, result.diagnosis.domain) == ("host", "rig")
    assert result.diagnosis.summary == (
        "host / rig: rig.config_errors = 2 (limit ≤ 0); correct the rig file; each problem "
        "is listed with its key"
    )


def test_not_measured_required_criterion_is_incomplete(sim_rig: Rig) -> None:
    result = decide("design", sim_rig, CATALOG, ALL_PASS[:2] + ALL_PASS[3:])
    assert result.verdict == "INCOMPLETE"
    missing = [r for r in result.records if r.verdict is Verdict.NOT_MEASURED]
    assert [(r.id, r.value, r.test, r.limit) for r in missing] == [
        ("audio.buffer_latency_ms", None, None, Limit(max=20.0, marginal=2.0))  # the sim's
    ]
    assert result.reasons == ("not measured: audio.buffer_latency_ms",)
    assert result.diagnosis is not None
    assert (result.diagnosis.layer, result.diagnosis.domain) == ("application", "audio")


def test_interrupted_or_broken_run_never_passes(sim_rig: Rig) -> None:
    interrupted = decide("design", sim_rig, CATALOG, ALL_PASS, interrupted="KeyboardInterrupt")
    assert interrupted.verdict == "INCOMPLETE"
    assert interrupted.reasons == ("run interrupted: KeyboardInterrupt",)
    assert interrupted.diagnosis is not None
    assert interrupted.diagnosis.summary == (
        "run interrupted: KeyboardInterrupt; the evidence so far is kept: re-run the gate"
    )
    broken = decide("design", sim_rig, CATALOG, ALL_PASS, broken_tests=["t::x (broken: boom)"])
    assert broken.verdict == "INCOMPLETE"
    assert broken.reasons == ("test broke before its criteria were judged: t::x (broken: boom)",)
    assert broken.diagnosis is not None
    assert broken.diagnosis.summary.endswith("; fix the rig or the test, then re-run")


def test_nothing_measured_is_incomplete(sim_rig: Rig) -> None:
    no_midi = replace(sim_rig, midi_loopback=None, midi_identity=None, thresholds={})
    no_audio = replace(no_midi, audio_loopback=None, devices=())
    result = decide("bringup", no_audio, CATALOG, [])
    assert (result.verdict, result.reasons) == ("INCOMPLETE", ("no criterion was measured",))
