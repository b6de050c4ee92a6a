"""The sim's pure parts, with exact expectations: cable model, MIDI models, delay
estimator, descriptors and their fixture files, fault catalog, replay parsing."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_usbgate.audio.delay import estimate_delay, log_spaced_multitone
from pytest_usbgate.sim.faults import FAULTS, parse_faults
from pytest_usbgate.sim.model.audio import Cable, CableParams, fractional_delay_kernel, noise_sigma
from pytest_usbgate.sim.model.midi import (
    IdentityParams,
    IdentityResponder,
    LoopParams,
    MidiLoop,
    keylab_identity_reply,
)
from pytest_usbgate.sim.replay import parse_json_lines, parse_kernel_log
from pytest_usbgate.sim.usb import descriptors as usbd
from pytest_usbgate.sim.usb.description import MODELS, fixture_path, render_fixture, renumber

RATE = 48000


def run_cable(params: CableParams, x: np.ndarray, block: int = 128) -> np.ndarray:
    cable = Cable(params)
    return np.concatenate([cable.process(x[i : i + block]) for i in range(0, len(x), block)])


def test_kernel_has_unity_dc_gain_and_linear_phase_to_3e4_sample() -> None:
    tone = log_spaced_multitone(RATE)
    omega = 2 * np.pi * np.array(tone.frequencies_hz) / RATE
    for frac in (0.0, 0.25, 0.5, 0.9):
        kernel = fractional_delay_kernel(frac, 64, 22000 / RATE)
        assert kernel.sum() == pytest.approx(1.0, abs=1e-12)
        response = np.array([np.sum(kernel * np.exp(-1j * w * np.arange(64))) for w in omega])
        misfit = np.angle(response * np.exp(1j * omega * (31 + frac))) / omega
        assert np.max(np.abs(misfit)) < 3e-4
        assert np.max(np.abs(20 * np.log10(np.abs(response)))) < 0.001


def test_impulse_comes_back_through_the_kernel_delayed_and_scaled() -> None:
    x = np.zeros(1024)
    x[100] = 1.0
    params = CableParams(RATE, delay_samples=40.0, gain_db=-6.0, noise_dbfs=-np.inf)
    y = run_cable(params, x)
    kernel = fractional_delay_kernel(0.0, 64, 22000 / RATE)
    np.testing.assert_allclose(y[109:173], kernel * 10 ** (-6 / 20), rtol=0, atol=1e-15)
    assert int(np.argmax(y)) == 140


def test_block_size_does_not_change_the_output() -> None:
    x = np.random.default_rng(5).standard_normal(4096)
    params = CableParams(RATE, delay_samples=41.3, noise_dbfs=-np.inf)
    np.testing.assert_array_equal(run_cable(params, x, 128), run_cable(params, x, 4096))


def test_multitone_estimate_recovers_the_model_delay_and_gain() -> None:
    tone = log_spaced_multitone(RATE)
    x = np.concatenate([np.zeros(1000), tone.signal(4), np.zeros(2000)])
    for delay in (41.3, 40.0, 37.77, 300.125):
        y = run_cable(CableParams(RATE, delay_samples=delay), x)
        found = estimate_delay(x, y, tone, start=1000)
        assert found.delay_samples == pytest.approx(delay, abs=1e-4)
        assert found.gain_db == pytest.approx(-0.5, abs=1e-3)
        assert found.polarity == 1
        inverted = estimate_delay(x, -y, tone, start=1000)
        assert inverted.polarity == -1
        assert inverted.delay_samples == pytest.approx(delay, abs=1e-4)


def test_noise_floor_is_the_configured_level() -> None:
    y = run_cable(CableParams(RATE, unplugged=True, noise_dbfs=-100.0), np.ones(96000))
    assert np.sqrt(np.mean(y**2)) == pytest.approx(noise_sigma(-100.0), rel=0.02)
    assert noise_sigma(-100.0) == pytest.approx(1e-5 / np.sqrt(2))


def test_dropouts_are_exact_runs_of_zeros_mid_interval() -> None:
    params = CableParams(RATE, noise_dbfs=-60.0, dropout_every_s=2.0, dropout_ms=10.0)
    y = run_cable(params, np.zeros(5 * RATE))
    zeros = np.flatnonzero(y == 0.0)
    expected = np.concatenate([np.arange(s, s + 480) for s in (RATE, 3 * RATE)])
    np.testing.assert_array_equal(zeros, expected)


def test_slips_repeat_then_drop_one_sample_each_second() -> None:
    x = np.arange(3 * RATE + 256, dtype=np.float64)
    params = CableParams(
        RATE, delay_samples=40.0, gain_db=0.0, noise_dbfs=-np.inf, slip_every_s=1.0
    )
    y = run_cable(params, x)
    lag = np.round(np.arange(len(y)) - y).astype(int)  # how far behind the input each sample is
    steady = slice(200, None)
    assert set(lag[steady]) == {40, 41}
    changes = np.flatnonzero(np.diff(lag[steady])) + 200
    assert list(changes) == [RATE, 2 * RATE, 3 * RATE]  # output sample index of each slip
    assert len(changes) == 3


def test_midi_loop_keeps_offset_adds_latency_and_keeps_order() -> None:
    loop = MidiLoop(LoopParams(RATE))
    assert loop.process(0, 128, [(17, b"\x90\x40\x7f")]) == [(17, b"\x90\x40\x7f")]
    late = MidiLoop(LoopParams(RATE, extra_latency_ms=8.0))  # 384 frames = 3 cycles
    assert late.process(0, 128, [(17, b"\x90\x01\x01")]) == []
    assert late.process(128, 128, []) == [] and late.process(256, 128, []) == []
    assert late.process(384, 128, []) == [(17, b"\x90\x01\x01")]
    jitter = MidiLoop(LoopParams(RATE, jitter_ms=5.0, seed=3))
    out: list[tuple[int, bytes]] = []
    for cycle in range(40):
        events = [(5, bytes([0x90, cycle, 1]))] if cycle < 20 else []
        out += jitter.process(cycle * 128, 128, events)
    assert [data[1] for _, data in out] == list(range(20))


def test_midi_loop_drops_and_duplicates_at_the_configured_ratio() -> None:
    loop = MidiLoop(LoopParams(RATE, drop_ratio=0.01, duplicate_ratio=0.02, seed=9))
    sent = 20000
    out = []
    for i in range(sent):
        out += loop.process(i * 128, 128, [(0, bytes([0x90, i % 128, 1]))])
    assert loop.dropped + sent - loop.dropped + loop.duplicated == len(out) + loop.dropped
    assert 140 < loop.dropped < 260  # binomial(20000, 0.01): mean 200, sd 14
    assert 320 < loop.duplicated < 480


def test_identity_responder_answers_after_its_response_time() -> None:
    reply = keylab_identity_reply(0x00, bytes([0x05, 0x68]), bytes([1, 2, 0, 0]))
    assert reply.hex(" ") == "f0 7e 00 06 02 00 20 6b 02 00 05 68 01 02 00 00 f7"
    responder = IdentityResponder(IdentityParams(RATE, reply, response_ms=1.0))
    request = bytes([0xF0, 0x7E, 0x7F, 0x06, 0x01, 0xF7])
    assert responder.process(0, 128, [(10, request)]) == [(58, reply)]
    assert responder.process(128, 128, [(0, bytes([0xF0, 0x7E, 0x05, 0x06, 0x01, 0xF7]))]) == []
    silent = IdentityResponder(IdentityParams(RATE, reply, silent=True))
    assert silent.process(0, 128, [(0, request)]) == [] and silent.requests == 1


def test_descriptor_sets_are_consistent() -> None:
    for model in MODELS.values():
        d = model.descriptors
        assert len(d.device) == 18 and d.device[0] == 18
        total = int.from_bytes(d.configuration[2:4], "little")
        assert total == len(d.configuration)
        offset = 0
        while offset < len(d.configuration):
            assert d.configuration[offset] >= 2
            offset += d.configuration[offset]
        assert offset == len(d.configuration)
    found = usbd.interfaces(MODELS["focusrite-scarlett-4i4-gen4"].descriptors.configuration)
    assert [(n, a, c, s) for n, a, c, s, _ in found] == [
        (0, 0, 1, 1),
        (1, 0, 1, 2),
        (1, 1, 1, 2),
        (2, 0, 1, 2),
        (2, 1, 1, 2),
        (3, 0, 0xFF, 0),
        (4, 0, 1, 3),
    ]


def test_fixture_files_match_the_builders() -> None:
    """sim/data/usb/ is generated (python -m pytest_usbgate.sim.usb.description)."""
    for model in MODELS.values():
        assert fixture_path(model.name).read_text() == render_fixture(model)


def test_renumber_moves_node_devnum_and_minor() -> None:
    text = renumber(render_fixture(MODELS["arturia-keylab-mkii-88"]), 9)
    assert "N: bus/usb/001/009=" in text and "A: devnum=9\n" in text
    assert "E: DEVNUM=009\n" in text and "A: dev=189:8\n" in text and "E: MINOR=8\n" in text


def test_fault_catalog_rejects_unknown_names() -> None:
    assert parse_faults(["midi-drop", "midi-drop"]) == frozenset({"midi-drop"})
    with pytest.raises(ValueError, match="unknown fault; the catalog: midi-drop, midi-late"):
        parse_faults(["midi-dorp"])
    assert {(f.layer, f.domain) for f in FAULTS.values()} == {
        ("application", "midi"),
        ("application", "audio"),
        ("host", "usb"),
        ("host", "power"),
        ("host", "kernel"),
    }


def test_replay_parsers_name_the_bad_line() -> None:
    assert parse_kernel_log("# c\n[ 1.5] a\n[ 2.0] b\n", "k.log") == [
        (0.0, "[ 1.5] a"),
        (0.5, "[ 2.0] b"),
    ]
    with pytest.raises(ValueError, match=r"k.log:2: expected '\[seconds\] message'"):
        parse_kernel_log("[ 1.5] a\nno time\n", "k.log")
    with pytest.raises(ValueError, match=r'p\.jsonl:1: expected a JSON object with "t"'):
        parse_json_lines('{"x": 1}\n', "p.jsonl")


def test_cli_lists_the_fault_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    from pytest_usbgate.cli import main

    assert main(["faults"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(FAULTS)
