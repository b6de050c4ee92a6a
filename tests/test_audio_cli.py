"""`usbgate audio stimulus|analyze` and the WAV reader: captures made elsewhere, bad
files answered with one line and a non-zero exit."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from pytest_usbgate.audio.stimulus import Stimulus
from pytest_usbgate.audio.synthetic import through_cable
from pytest_usbgate.audio.wav import WavError, read_wav, write_wav
from pytest_usbgate.cli import main


def _stimulus(tmp_path: Path, kind: str, *extra: str) -> tuple[Path, Stimulus]:
    path = tmp_path / f"{kind}.wav"
    assert (
        main(["audio", "stimulus", "--kind", kind, "--seconds", "2", "-o", str(path), *extra]) == 0
    )
    return path, Stimulus.from_json(read_wav(path).comment)


def _pcm(path: Path, frames: np.ndarray, bits: int, rate: int = 48000) -> None:
    """A plain PCM WAV written by hand (not by our writer)."""
    frames = np.atleast_2d(frames.T).T
    channels = frames.shape[1]
    scaled = np.round(frames * (2 ** (bits - 1) - 1)).astype(np.int64)
    if bits == 16:
        data = scaled.astype("<i2").tobytes()
    else:
        raw = scaled.astype("<i4").tobytes()
        data = b"".join(raw[i : i + 3] for i in range(0, len(raw), 4))
    align = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * align, align, bits)
    body = (
        b"WAVE"
        + b"fmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)


def test_analyze_a_capture_made_elsewhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stimulus_path, stimulus = _stimulus(tmp_path, "multitone")
    capsys.readouterr()
    capture = through_cable(stimulus.render(), 48000, 517.375, -2.0, -1, -90.0)
    stereo = np.stack([np.zeros_like(capture), capture], axis=1)
    capture_path = tmp_path / "capture.wav"
    _pcm(capture_path, stereo, 24)  # a DAW's 24-bit stereo recording, the return on channel 2
    args = ["audio", "analyze", str(capture_path), "--stimulus", str(stimulus_path), "--json"]
    assert main([*args, "--channel", "2"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["latency_samples"] == pytest.approx(517.375, abs=0.001)
    assert report["latency_ms"] == pytest.approx(517.375 / 48, abs=0.001)
    assert report["polarity"] == -1
    assert report["gain_db"] == pytest.approx(-2.0, abs=0.01)
    assert report["glitches"] == []


def test_analyze_a_sine_reports_thd_n_and_glitches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stimulus_path, stimulus = _stimulus(tmp_path, "sine")
    capture = through_cable(stimulus.render(), 48000, 100.0, noise_dbfs=-100.0)
    capture_path = tmp_path / "capture.wav"
    args = ["audio", "analyze", str(capture_path), "--stimulus", str(stimulus_path), "--json"]
    write_wav(capture_path, capture, 48000)
    capsys.readouterr()
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["thd_n_db"] == pytest.approx(-99.0, abs=1.0)  # the noise: -100 dBFS vs -1
    assert report["glitches"] == []
    capture[60_000] += 0.02
    write_wav(capture_path, capture, 48000)
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["glitches"] == [
        {"time_s": 1.25, "kind": "pop", "size": pytest.approx(-34.0, abs=0.5)}
    ]


def _bad(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    stimulus_path, stimulus = _stimulus(tmp_path, "sweep")
    text = tmp_path / "notes.wav"
    text.write_text("not audio")
    empty = tmp_path / "empty.wav"
    _pcm(empty, np.zeros((0, 1)), 16)
    stereo = tmp_path / "stereo.wav"
    _pcm(stereo, np.zeros((stimulus.total, 2)), 16)
    other_rate = tmp_path / "44k.wav"
    _pcm(other_rate, np.zeros(stimulus.total), 16, rate=44100)
    short = tmp_path / "short.wav"
    _pcm(short, np.zeros(1000), 16)
    plain = tmp_path / "plain.wav"
    _pcm(plain, np.zeros(1000), 16)
    s = str(stimulus_path)
    return {
        "not wav": ([str(text), "--stimulus", s], f"{text}: not a WAV file (no RIFF/WAVE header)"),
        "empty": ([str(empty), "--stimulus", s], f"{empty}: empty (no samples)"),
        "stereo": (
            [str(stereo), "--stimulus", s],
            f"{stereo}: 2 channels; choose one with --channel N",
        ),
        "channel": (
            [str(stereo), "--stimulus", s, "--channel", "3"],
            f"{stereo}: no channel 3 (it has 2)",
        ),
        "rate": (
            [str(other_rate), "--stimulus", s],
            f"{other_rate}: 44100 Hz, but the stimulus {s} is 48000 Hz",
        ),
        "short": (
            [str(short), "--stimulus", s],
            f"{short}: 1000 frames, shorter than the stimulus ({stimulus.total}): "
            "record as long as you play",
        ),
        "not a stimulus": (
            [s, "--stimulus", str(plain)],
            f"{plain}: not a usbgate stimulus (no description in its INFO comment); "
            "make one with: usbgate audio stimulus",
        ),
        "missing": (
            [s, "--stimulus", str(tmp_path / "nope.wav")],
            f"{tmp_path / 'nope.wav'}: cannot read: No such file or directory",
        ),
    }


def test_bad_files_get_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, (args, message) in _bad(tmp_path).items():
        capsys.readouterr()
        assert main(["audio", "analyze", *args]) == 2, name
        captured = capsys.readouterr()
        assert captured.err == message + "\n", name
        assert captured.out == "", name


def test_no_signal_exits_1_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stimulus_path, stimulus = _stimulus(tmp_path, "multitone")
    silent = tmp_path / "silent.wav"
    write_wav(silent, np.zeros(stimulus.total), 48000)
    capsys.readouterr()
    assert main(["audio", "analyze", str(silent), "--stimulus", str(stimulus_path)]) == 1
    assert capsys.readouterr().err.startswith(f"no signal on {silent} channel 1: -200.0 dBFS;")


def test_wav_round_trip_and_pcm_scaling(tmp_path: Path) -> None:
    x = np.array([0.0, 0.5, -0.5, 0.25])
    write_wav(tmp_path / "f.wav", x, 96000, comment="hello")
    back = read_wav(tmp_path / "f.wav")
    assert (back.samplerate, back.channels, back.frames, back.comment) == (96000, 1, 4, "hello")
    assert back.channel(0).tolist() == x.tolist()
    for bits in (16, 24):
        _pcm(tmp_path / f"p{bits}.wav", x, bits)
        got = read_wav(tmp_path / f"p{bits}.wav").channel(0)
        assert got == pytest.approx(x, abs=2.0 ** (1 - bits))
    with pytest.raises(WavError, match="no channel 2"):
        back.channel_view(1)
