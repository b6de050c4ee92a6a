"""`usbgate audio stimulus` and `usbgate audio analyze`: make a stimulus WAV, and
analyze a capture of it made elsewhere (a DAW on the Windows guest, another meter).

Exit codes: 0 analyzed, 1 no usable return (no signal, clipping), 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pytest_usbgate.audio.analysis import SignalError, analyze
from pytest_usbgate.audio.stimulus import KINDS, Stimulus
from pytest_usbgate.audio.wav import Wav, WavError, read_wav, write_wav


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audio = commands.add_parser("audio", help="offline audio stimulus and analysis")
    actions = audio.add_subparsers(dest="action", required=True)

    make = actions.add_parser("stimulus", help="write a stimulus WAV (32-bit float)")
    make.add_argument("--kind", choices=KINDS, required=True)
    make.add_argument("--rate", type=int, default=48000, help="sample rate, Hz")
    make.add_argument("--seconds", type=float, default=3.0, help="of signal, without silences")
    make.add_argument("--level", type=float, default=None, help="peak level, dBFS")
    make.add_argument("--frequency", type=float, default=None, help="sine frequency, Hz")
    make.add_argument("-o", "--output", required=True, help="FILE.wav")
    make.set_defaults(run=_stimulus)

    check = actions.add_parser("analyze", help="analyze a capture against its stimulus")
    check.add_argument("capture", help="CAPTURE.wav")
    check.add_argument("--stimulus", required=True, help="the STIMULUS.wav that was played")
    check.add_argument("--channel", type=int, default=None, help="capture channel (from 1)")
    check.add_argument("--json", action="store_true", help="print JSON")
    check.set_defaults(run=_analyze)


def _stimulus(args: argparse.Namespace) -> int:
    extra: dict[str, Any] = {}
    if args.level is not None:
        extra["level_dbfs"] = args.level
    elif args.kind == "sine":
        extra["level_dbfs"] = -1.0
    if args.frequency is not None:
        extra["frequency_hz"] = args.frequency
    try:
        stimulus = Stimulus(args.kind, args.rate, args.seconds, **extra)
    except ValueError as exc:
        print(f"usbgate audio stimulus: {exc}", file=sys.stderr)
        return 2
    out = Path(args.output)
    try:
        write_wav(out, stimulus.render(), stimulus.samplerate, stimulus.to_json())
    except OSError as exc:
        print(f"{out}: cannot write: {exc.strerror or exc}", file=sys.stderr)
        return 2
    seconds = stimulus.total / stimulus.samplerate
    print(f"{out}: {stimulus.kind}, {stimulus.samplerate} Hz, {seconds:.2f} s")
    return 0


def _analyze(args: argparse.Namespace) -> int:
    try:
        stimulus_wav = read_wav(Path(args.stimulus))
        capture = read_wav(Path(args.capture))
        stimulus = _described(stimulus_wav)
        channel = _channel(capture, args.channel)
        if capture.samplerate != stimulus_wav.samplerate:
            raise WavError(
                f"{capture.path}: {capture.samplerate} Hz, but the stimulus "
                f"{stimulus_wav.path} is {stimulus_wav.samplerate} Hz"
            )
        if capture.frames < stimulus.total:
            raise WavError(
                f"{capture.path}: {capture.frames} frames, shorter than the stimulus "
                f"({stimulus.total}): record as long as you play"
            )
        result = analyze(
            stimulus,
            capture.channel_view(channel),  # type: ignore[arg-type]  # sliced lazily
            input_label=f"{capture.path} channel {channel + 1}",
            output_label=f"{stimulus_wav.path}",
        )
    except WavError as exc:
        print(exc, file=sys.stderr)
        return 2
    except SignalError as exc:
        print(exc, file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"{args.capture}: {exc}", file=sys.stderr)
        return 2
    report = result.to_dict()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key:24} {value}")
    return 0


def _described(wav: Wav) -> Stimulus:
    try:
        stimulus = Stimulus.from_json(wav.comment)
    except ValueError:
        raise WavError(
            f"{wav.path}: not a usbgate stimulus (no description in its INFO comment); "
            "make one with: usbgate audio stimulus"
        ) from None
    if stimulus.samplerate != wav.samplerate or wav.channels != 1:
        raise WavError(f"{wav.path}: its description does not match its samples")
    return stimulus


def _channel(wav: Wav, channel: int | None) -> int:
    if channel is None:
        if wav.channels > 1:
            raise WavError(f"{wav.path}: {wav.channels} channels; choose one with --channel N")
        return 0
    if not 1 <= channel <= wav.channels:
        raise WavError(f"{wav.path}: no channel {channel} (it has {wav.channels})")
    return channel - 1
