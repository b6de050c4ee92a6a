"""What a take says about the cable, on recorded arrays (the stream itself is tested on
the sim in test_audio_gate.py): a return on the wrong input is named, crosstalk; and
what its digital loopback says about the stream."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from pytest_usbgate import takes
from pytest_usbgate.audio import stream as audio
from pytest_usbgate.audio.stimulus import Stimulus
from pytest_usbgate.audio.stream import AudioLoop, AudioTake, rig_audio
from pytest_usbgate.audio.synthetic import through_cable
from pytest_usbgate.audio.witness import stream_breaks
from pytest_usbgate.config.catalog import builtin_catalog
from pytest_usbgate.config.rig import Rig
from pytest_usbgate.errors import InfrastructureError
from pytest_usbgate.gate.checker import Criteria, CriterionFailed
from pytest_usbgate.gate.criteria import CriterionDef, Record


def _take(loop: AudioLoop, returns_on: int, other_db: float = -90.0) -> AudioTake:
    stimulus = loop.stimulus("multitone", 1.0)
    back = through_cable(stimulus.render(), loop.samplerate, 100.0)
    recorded = np.zeros((len(back), loop.inputs))
    rng = np.random.default_rng(0)
    for n in range(loop.inputs):
        recorded[:, n] = rng.standard_normal(len(back)) * 10 ** (other_db / 20)
    recorded[:, returns_on - 1] = back
    recorded[:, 4] = back  # input 5: the digital loopback of output 1, never "the cable"
    return AudioTake(loop, stimulus, recorded, flags=0, host_xruns=0, driver_latency_s=None)


def _criteria(rig: Rig, records: list[Record]) -> Criteria:
    def sink(record: Record, _: CriterionDef) -> None:
        records.append(record)

    return Criteria(gate="bringup", rig=rig, catalog=builtin_catalog(), test_id="t", sink=sink)


def test_a_return_on_another_analogue_input_is_named(sim_rig: Rig) -> None:
    loop = rig_audio(sim_rig)
    assert loop is not None and (loop.output, loop.input, loop.analogue_inputs) == (1, 3, 4)
    records: list[Record] = []
    with pytest.raises(CriterionFailed):
        _take(loop, returns_on=4).analyze(_criteria(sim_rig, records), "audio.rtl_ms")
    record, latency = records  # no usable return FAILs; the latency was not measured
    assert (record.id, record.verdict, latency.id, latency.verdict) == (
        "audio.return_usable",
        "FAIL",
        "audio.rtl_ms",
        "NOT_MEASURED",
    )
    assert latency.detail == record.detail and latency.value is None
    assert record.detail.startswith("no signal on input 3: ")
    assert record.detail.endswith(
        "; it came back on input 4 instead: check the cable or the rig's input"
    )


def test_no_return_anywhere_names_no_other_input(sim_rig: Rig) -> None:
    loop = rig_audio(sim_rig)
    assert loop is not None
    take = _take(loop, returns_on=3)
    take.recorded[:, 2] = 0.0  # nothing on input 3 either: only the digital loopback has it
    records: list[Record] = []
    with pytest.raises(CriterionFailed):
        take.analyze(_criteria(sim_rig, records), "audio.rtl_ms", "audio.gain_db")
    assert [(r.id, r.verdict) for r in records] == [
        ("audio.return_usable", "FAIL"),
        ("audio.rtl_ms", "NOT_MEASURED"),
        ("audio.gain_db", "NOT_MEASURED"),
    ]
    assert all("came back" not in r.detail for r in records)


def test_crosstalk_is_the_loudest_other_analogue_input(sim_rig: Rig) -> None:
    loop = rig_audio(sim_rig)
    assert loop is not None
    take = _take(loop, returns_on=3, other_db=-120.0)
    leak = take.recorded[:, 2] * 10 ** (-70 / 20)
    take.recorded[:, 1] = leak  # input 2 hears the return 70 dB down
    assert take.crosstalk_db() == pytest.approx(-70.0, abs=0.01)
    result = take.analyze(_criteria(sim_rig, []), "audio.rtl_ms")
    assert result.latency_samples == pytest.approx(100.0, abs=0.001)


def _played(stimulus: Stimulus) -> np.ndarray:
    return stimulus.render().astype(np.float32)


def _broken_take(loop: AudioLoop, stimulus: Stimulus, flags: int = 0) -> AudioTake:
    """A take whose loopback (input 5) repeats one buffer, as a host that dropped one
    would give; every other input silent."""
    x = _played(stimulus)
    recorded = np.zeros((len(x), loop.inputs), dtype=np.float64)
    recorded[512:, 4] = x[:-512]
    at = len(x) // 2
    recorded[at : at + 256, 4] = recorded[at - 256 : at, 4]
    breaks = stream_breaks(x, recorded[:, 4])
    return AudioTake(loop, stimulus, recorded, flags, 0, None, breaks=breaks)


def test_a_witness_decides_the_xruns_of_a_take(sim_rig: Rig) -> None:
    loop = rig_audio(sim_rig)
    assert loop is not None and loop.witness_input == 5
    stimulus = loop.stimulus("sine", 0.5)
    broken = _broken_take(loop, stimulus, flags=3)
    assert broken.breaks is not None and len(broken.breaks) == 1
    assert broken.xruns == 1  # the witness, not PortAudio's three flags
    late_but_whole = replace(broken, breaks=())
    assert late_but_whole.xruns == 0
    assert replace(broken, breaks=None, host_xruns=2).xruns == 5  # no witness: the counts
    assert replace(loop, output=3).witness_input is None  # outputs 3-6 have no loopback


def test_a_stream_broken_in_every_take(sim_rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    """The decision after the takes (the stream itself is checked on the sim, in
    test_sim_rig.py): on the sim, the host's fault; on a real rig, the last take stands."""
    loop = rig_audio(sim_rig)
    assert loop is not None
    monkeypatch.setattr(audio, "_take", _broken_take)
    monkeypatch.setattr(takes, "wait_quiet", lambda _xruns: None)
    stimulus = loop.stimulus("sine", 0.5)
    on_sim = replace(loop, host_xruns=lambda: 0)
    with pytest.raises(InfrastructureError) as failed:
        on_sim.take(stimulus)
    assert str(failed.value) == (
        "sim: the stream of Focusrite Scarlett 4i4 4th Gen (interface) broke in each of "
        f"{takes.TAKES} takes (the last at {(len(_played(stimulus)) // 2) / 48000:.3f} s; "
        "0 xrun flags, 0 host xruns): the host is too busy for the sim's JACK server"
    )
    stands = loop.take(stimulus)
    assert (stands.number, stands.xruns) == (takes.TAKES, 1)
