"""The audio capability end to end: the bring-up gate's audio suite on the sim rig,
clean and under each audio fault, each run as its own pytest process (its own sim)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pytest_usbgate.config.rig import Rig

from .conftest import (
    CHECKOUT,
    SIM_PERIOD,
    assert_only_domain_fails,
    attachments,
    detail_of,
    run_gate,
    verdicts,
)

SUITE = CHECKOUT / "suites" / "bringup" / "test_audio.py"
AUDIO_CRITERIA = {
    "audio.rtl_ms",
    "audio.rtl_stability_samples",
    "audio.gain_db",
    "audio.snr_db",
    "audio.thd_n_db",
    "audio.fr_deviation_db",
    "audio.glitches",
    "audio.xruns",
    "audio.return_usable",
    "audio.crosstalk_db",
}


def test_bringup_audio_passes_on_the_sim_at_the_models_delay(tmp_path: Path, sim_rig: Rig) -> None:
    _, output, signoff = run_gate(tmp_path, SUITE, "bringup")
    found = verdicts(signoff)
    assert {k: v for k, v in found.items() if k.startswith("audio.")} == dict.fromkeys(
        AUDIO_CRITERIA, "PASS"
    ), output[-3000:]
    found_latency = re.search(r"latency ([0-9.]+) samples", detail_of(signoff, "audio.rtl_ms"))
    assert found_latency, detail_of(signoff, "audio.rtl_ms")
    latency = float(found_latency.group(1))
    assert sim_rig.sim is not None
    truth = sim_rig.sim.delay_samples
    # JACK adds whole periods (one to three, as it schedules the clients); the cable the rest
    periods = round((latency - truth) / SIM_PERIOD)
    assert periods in (1, 2, 3), latency
    assert latency == pytest.approx(truth + periods * SIM_PERIOD, abs=0.01)
    assert [k for k, v in found.items() if v == "FAIL"] == []
    evidence = {
        "test_audio_round_trip_latency": "correlation peak",
        "test_audio_thd_n_and_glitches": "spectrum",
        "test_audio_frequency_response": "frequency response",
    }
    for test, plot in evidence.items():
        attached = attachments(tmp_path, "bringup", test)
        assert attached[plot][0] == "image/png", attached
        assert attached[plot][1].read_bytes()[:4] == b"\x89PNG"
        summary = json.loads(attached["audio summary"][1].read_text())
        assert summary["latency_samples"] == pytest.approx(latency, abs=0.01)


@pytest.mark.parametrize(
    ("fault", "failing", "message"),
    [
        ("audio-dropout", "audio.glitches", ": dropout ("),
        ("audio-slip", "audio.glitches", ": repeated_sample (-1.00 frames)"),
        (
            "audio-unplugged",
            "audio.return_usable",
            "no signal on input 3: -100.0 dBFS; expected a return from output 1",
        ),
    ],
)
def test_each_audio_fault_fails_its_criterion_and_only_audio(
    tmp_path: Path, fault: str, failing: str, message: str
) -> None:
    run = run_gate(tmp_path, SUITE, "bringup", "--usbgate-fault", fault)
    assert_only_domain_fails("audio", run, failing, message)
    if fault == "audio-dropout":  # a WAV around each glitch, and their timeline
        attached = attachments(tmp_path, "bringup", "test_audio_thd_n_and_glitches")
        wavs = {name: f for name, (_, f) in attached.items() if name.startswith("glitch at")}
        assert wavs, attached
        assert all(attached[name][0] == "audio/wav" for name in wavs)
        assert all(f.suffix == ".wav" and f.read_bytes()[:4] == b"RIFF" for f in wavs.values())
        assert attached["glitch timeline"][0] == "image/png"
