"""The MIDI capability end to end: the bring-up gate's MIDI suite on the sim rig, clean
and under each MIDI fault, each run as its own pytest process (its own sim)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import (
    CHECKOUT,
    assert_only_domain_fails,
    detail_of,
    one_period,
    run_gate,
    verdicts,
)

SUITE = CHECKOUT / "suites" / "bringup" / "test_midi.py"
MIDI_CRITERIA = {
    "midi.rtt_p99_ms",
    "midi.rtt_max_ms",
    "midi.jitter_peak_ms",
    "midi.lost",
    "midi.reordered",
    "midi.sysex_integrity",
    "midi.identity",
    "midi.burst_rate",
}


def run_midi(
    root: Path, *args: str, suite: Path = SUITE, gate: str = "bringup"
) -> tuple[int, str, dict[str, Any]]:
    return run_gate(root, suite, gate, *args)


def test_bringup_midi_passes_on_the_sim_with_a_one_period_median(tmp_path: Path) -> None:
    _, output, signoff = run_midi(tmp_path)  # INCOMPLETE: the audio suite did not run
    midi = {k: v for k, v in verdicts(signoff).items() if k.startswith("midi.")}
    assert midi == dict.fromkeys(MIDI_CRITERIA, "PASS"), output[-3000:]
    detail = detail_of(signoff, "midi.rtt_p99_ms")
    median = float(re.search(r"p50 ([0-9.]+) ms", detail).group(1))  # type: ignore[union-attr]
    assert one_period(median), detail
    controller = next(d for d in signoff["devices"] if d["id"] == "controller")
    assert controller["firmware"] == "1.2.0.0"  # what the sim KeyLab reports


@pytest.mark.parametrize(
    ("fault", "failing", "message"),
    [
        ("midi-drop", "midi.lost", "midi.lost = "),
        ("midi-late", "midi.rtt_p99_ms", "midi.rtt_p99_ms = "),
        (
            "midi-silent-identity",
            "midi.identity",
            "no reply from KeyLab mkII 88 in 1000 ms",
        ),
    ],
)
def test_each_midi_fault_fails_its_criterion_and_only_midi(
    tmp_path: Path, fault: str, failing: str, message: str
) -> None:
    assert_only_domain_fails("midi", run_midi(tmp_path, "--usbgate-fault", fault), failing, message)


def test_unknown_port_fails_naming_the_pattern_and_the_ports(tmp_path: Path) -> None:
    rig = tmp_path / "rig.toml"
    text = (CHECKOUT / "rigs" / "sim.toml").read_text()
    rig.write_text(
        text.replace(
            "[midi.loopback]           # the modelled DIN out -> DIN in cable\n"
            'device = "interface"\n',
            '[midi.loopback]\ndevice = "interface"\nport = "Nowhere MIDI 9"\n',
        )
    )
    assert "Nowhere" in rig.read_text()
    code, output, signoff = run_midi(tmp_path, f"--rig={rig}", "-k", "round_trip")
    assert code != 0
    assert "FAILED" in output and "test_midi_loopback_round_trip" in output
    assert "no ports match 'Nowhere MIDI 9'" in output
    assert "'Scarlett 4i4 4th Gen:MIDI 1 playback'" in output  # what does exist
    assert signoff["tests"]["failed"] == 1, signoff["tests"]


def test_production_soak_paced_at_the_rigs_rate(tmp_path: Path) -> None:
    rig = tmp_path / "rig.toml"
    text = (CHECKOUT / "rigs" / "sim.toml").read_text()
    rig.write_text(text.replace("soak_messages = 5000 ", "soak_messages = 300\nrate_per_s = 50 "))
    assert "rate_per_s = 50" in rig.read_text()
    soak = CHECKOUT / "suites" / "production" / "test_midi_soak.py"
    code, output, signoff = run_midi(tmp_path, f"--rig={rig}", suite=soak, gate="production")
    assert code == 0, output[-3000:]
    soaked = {"midi.rtt_p99_ms", "midi.rtt_max_ms", "midi.jitter_peak_ms", "midi.lost"}
    assert verdicts(signoff) == dict.fromkeys(soaked | {"midi.reordered"}, "PASS")
    detail = detail_of(signoff, "midi.lost")
    found = re.match(r"(\d+) sent in ([0-9.]+) s, 300 back", detail)
    assert found, detail
    left_out = re.search(r"(\d+) messages left out after host xruns", detail)
    assert int(found.group(1)) == 300 + (int(left_out.group(1)) if left_out else 0), detail
    # three takes of 100, each 99 gaps of 1/50 s: 5.94 s at least; ping-pong would take
    # 1.8 s, and under 5.9 s with two takes again (each after a quiet second, takes.py)
    assert float(found.group(2)) >= 5.9, detail
