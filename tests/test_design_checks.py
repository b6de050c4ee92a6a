from dataclasses import replace
from pathlib import Path

from pytest_usbgate.audio.budget import buffer_latency_ms, buffer_latency_samples
from pytest_usbgate.config.catalog import builtin_catalog
from pytest_usbgate.config.checks import rig_problems, threshold_problems
from pytest_usbgate.config.rig import Rig, Stack
from pytest_usbgate.gate.criteria import Limit

from .conftest import CHECKOUT


def test_buffer_latency_is_periods_plus_one_blocks() -> None:
    assert buffer_latency_samples(128, 2) == 384
    assert buffer_latency_ms(128, 2, 48000) == 8.0
    assert buffer_latency_ms(64, 3, 96000) == 256 / 96


def test_sim_and_example_rigs_have_no_problems(sim_rig: Rig) -> None:
    from pytest_usbgate.config.rig import load_rig

    studio = load_rig(CHECKOUT / "rigs" / "studio-passthrough.toml")
    for rig in (sim_rig, studio):
        assert rig_problems(rig) == []
        assert threshold_problems(rig, builtin_catalog()) == []


def test_rig_contradicting_its_profiles(sim_rig: Rig, tmp_path: Path) -> None:
    assert sim_rig.audio_loopback is not None
    loop = replace(sim_rig.audio_loopback, samplerate=50000, output=7, input=9, blocksize=100)
    keylab = sim_rig.device("controller")
    rig = replace(
        sim_rig,
        audio_loopback=loop,
        stack=Stack(compose=tmp_path / "missing.yml"),
        devices=(*sim_rig.devices, replace(keylab, id="controller2")),
    )
    assert rig_problems(rig) == [
        "audio.loopback.samplerate: 50000 Hz is not supported by Focusrite Scarlett 4i4 4th Gen "
        "(supported: 44100, 48000, 88200, 96000, 176400, 192000)",
        "audio.loopback.output: Focusrite Scarlett 4i4 4th Gen has outputs 1-6, not 7",
        "audio.loopback.input: Focusrite Scarlett 4i4 4th Gen has inputs 1-6, not 9",
        "audio.loopback.blocksize: expected a power of two from 16 to 4096, got 100",
        f"stack.compose: {tmp_path / 'missing.yml'} does not exist",
        "devices: controller and controller2 are both Arturia KeyLab mkII 88; set serial or "
        "port to tell them apart",
    ]


def test_audio_and_midi_on_devices_without_them(sim_rig: Rig) -> None:
    assert sim_rig.audio_loopback is not None and sim_rig.midi_loopback is not None
    rig = replace(
        sim_rig,
        audio_loopback=replace(sim_rig.audio_loopback, device="controller"),
    )
    assert rig_problems(rig)[0] == (
        "audio.loopback.device: controller (Arturia KeyLab mkII 88) has no audio"
    )


def test_thresholds_that_can_never_pass(sim_rig: Rig) -> None:
    rig = replace(
        sim_rig,
        audio_loopback=None,
        thresholds={
            "design": {
                "rig.config_errors": Limit(max=-1.0),
                "audio.buffer_latency_ms": Limit(max=-2.0),
            },
        },
    )
    assert threshold_problems(rig, builtin_catalog()) == [
        "thresholds.design.rig.config_errors (rig): max -1 is below 0, the least any "
        "measurement can read: it can never pass",
        "thresholds.design.audio.buffer_latency_ms (rig): max -2.0 ms is below 0.0 ms, the "
        "least any measurement can read: it can never pass",
        "thresholds.design.audio.buffer_latency_ms (rig): the rig has no [audio.loopback], so "
        "nothing can measure it",
    ]
