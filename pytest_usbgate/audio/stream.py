"""The rig's audio loop through sounddevice (PortAudio): one duplex stream per take,
playback padded with silence (the stimulus's tail), every input recorded so a return
on the wrong input is named. The device's digital loopback of the output witnesses the
stream (`audio.witness`): a take with a break in it is taken again; without such a
loopback, xrun flags stand in. The analysis is pure (`audio.analysis`); this module
only moves samples.

The sim rig's device is a JACK client (PortAudio's JACK host API); a real rig's is
found by the profile's `[audio.device_names]` for this platform.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, final

import numpy as np
import numpy.typing as npt

from pytest_usbgate.audio.analysis import AudioAnalysis, SignalError, analyze, return_levels
from pytest_usbgate.audio.quality import crosstalk_db
from pytest_usbgate.audio.stimulus import Stimulus
from pytest_usbgate.audio.witness import stream_breaks
from pytest_usbgate.errors import InfrastructureError
from pytest_usbgate.native import host_platform, require
from pytest_usbgate.takes import undisturbed

if TYPE_CHECKING:
    from pytest_usbgate.config.rig import Rig
    from pytest_usbgate.gate.checker import Criteria


class DeviceNotFound(AssertionError):
    """The rig lacks the audio device a test needs: the test FAILs."""


@final
@dataclass(frozen=True, slots=True)
class AudioLoop:
    """The rig's `[audio.loopback]` as a test gets it (`audio_loopback`)."""

    label: str  # "Focusrite Scarlett 4i4 4th Gen (interface)"
    pattern: str  # PortAudio device name, re.search
    output: int  # channels count from 1
    input: int
    samplerate: int
    blocksize: int
    outputs: int
    inputs: int
    analogue_inputs: int  # inputs beyond these are digital loopbacks of the outputs
    host_xruns: Callable[[], int] | None = field(default=None, compare=False)

    def stimulus(self, kind: str, seconds: float, **settings: Any) -> Stimulus:
        return Stimulus(kind, self.samplerate, seconds, **settings)

    @property
    def witness_input(self) -> int | None:
        """The digital loopback input that returns `output`, if the device has one."""
        n = self.analogue_inputs + self.output
        return n if n <= self.inputs else None

    def take(self, stimulus: Stimulus) -> AudioTake:
        """Play `stimulus` out of `output` and record every input, in one duplex stream;
        again (`takes`) while the stream breaks during it. On the sim (the host counts
        xruns) a device model cannot break the stream, so a break in every take is the
        host's: an InfrastructureError, not a measurement."""
        taken = undisturbed(
            self.host_xruns, lambda: _take(self, stimulus), clean=lambda t: t.xruns == 0
        )
        take, number = taken.result, taken.number
        if take.breaks and self.host_xruns is not None:
            at = ", ".join(f"{frame / self.samplerate:.3f} s" for frame in take.breaks)
            raise InfrastructureError(
                f"sim: the stream of {self.label} broke in each of {number} takes (the last "
                f"at {at}; {take.flags} xrun flags, {take.host_xruns} host xruns): the host "
                "is too busy for the sim's JACK server"
            )
        return replace(take, number=number)


def rig_audio(rig: Rig) -> AudioLoop | None:
    loop = rig.audio_loopback
    if loop is None:
        return None
    device = rig.device(loop.device)
    caps = device.profile.audio
    pattern = caps.device_names.get(host_platform()) if caps else None
    if caps is None or pattern is None:
        raise InfrastructureError(
            f"{rig.path}: [audio.loopback] device {loop.device} ({device.profile.name}): its "
            f"profile names no PortAudio device for {host_platform()}"
        )
    return AudioLoop(
        label=f"{device.profile.name} ({loop.device})",
        pattern=pattern,
        output=loop.output,
        input=loop.input,
        samplerate=loop.samplerate,
        blocksize=loop.blocksize,
        outputs=caps.outputs,
        inputs=caps.inputs,
        analogue_inputs=caps.analogue_inputs,
    )


@final
@dataclass(frozen=True, slots=True)
class AudioTake:
    loop: AudioLoop
    stimulus: Stimulus
    recorded: npt.NDArray[np.float64]  # frames x inputs
    flags: int  # PortAudio callbacks with input overflow / output underflow
    host_xruns: int  # the host's own count during the take (the sim's JACK server)
    driver_latency_s: float | None  # what PortAudio says input + output latency is, if sane
    breaks: tuple[int, ...] | None = None  # frames where the witness broke; None: no witness
    number: int = 1  # of the takes (earlier ones had breaks)

    @property
    def xruns(self) -> int:
        """Breaks in the stream: those the loopback witnessed, or without a witness the
        over/underruns reported (a late cycle that lost nothing is not one)."""
        if self.breaks is not None:
            return len(self.breaks)
        return self.flags + self.host_xruns

    def channel(self, input_number: int) -> npt.NDArray[np.float64]:
        return np.asarray(self.recorded[:, input_number - 1], dtype=np.float64)

    def returned(self) -> npt.NDArray[np.float64]:
        return self.channel(self.loop.input)

    def analyze(self, criteria: Criteria, *judged: str) -> AudioAnalysis:
        """The analysis of the loop's input, with `audio.return_usable` judged. No usable
        return: that FAILs with the reason (naming the input that got the stimulus
        instead, if any), and each criterion in `judged` is NOT_MEASURED."""
        output = f"output {self.loop.output}"
        try:
            analysis = analyze(self.stimulus, self.returned(), f"input {self.loop.input}", output)
        except SignalError as exc:
            reason = str(exc) + self._elsewhere()
            records = [criteria.judge("audio.return_usable", False, detail=reason)]
            records += [criteria.judge(c, None, detail=reason) for c in judged]
            criteria.raise_failed(records)
            raise AssertionError("unreachable") from exc
        criteria.check(
            "audio.return_usable",
            True,
            detail=f"input {self.loop.input}: {analysis.level_dbfs:.1f} dBFS, "
            f"peak {analysis.peak_dbfs:.1f} dBFS",
        )
        return analysis

    def _elsewhere(self) -> str:
        """Where the stimulus came back instead, if on another analogue input."""
        for n in self._other_analogue():
            if return_levels(self.stimulus, self.channel(n))[2]:
                return f"; it came back on input {n} instead: check the cable or the rig's input"
        return ""

    def crosstalk_db(self) -> float | None:
        """The loudest undriven analogue input against the driven one; None with no
        other analogue input."""
        rate = self.loop.samplerate
        return max(
            (crosstalk_db(self.returned(), self.channel(n), rate) for n in self._other_analogue()),
            default=None,
        )

    def _other_analogue(self) -> list[int]:
        return [n for n in range(1, self.loop.analogue_inputs + 1) if n != self.loop.input]


def _sane_latency_s(reported_s: float) -> float | None:
    """PortAudio's latency, or None where a host API reports nonsense (DOMAIN.md §7: wrong
    or zero on several; JACK's reads as days)."""
    return reported_s if 0.0 < reported_s < 10.0 else None


def _pick_device(sd: Any, loop: AudioLoop) -> int:
    devices: Sequence[dict[str, Any]] = sd.query_devices()
    matches = [
        i
        for i, d in enumerate(devices)
        if re.search(loop.pattern, d["name"])
        and d["max_input_channels"] >= loop.inputs
        and d["max_output_channels"] >= loop.outputs
    ]
    if len(matches) != 1:
        found = "no" if not matches else str(len(matches))
        listing = ", ".join(repr(d["name"]) for d in devices) or "none"
        raise DeviceNotFound(
            f"audio device of {loop.label}: {found} devices with {loop.inputs} inputs and "
            f"{loop.outputs} outputs match {loop.pattern!r}; the devices that exist: {listing}"
        )
    return matches[0]


def _take(loop: AudioLoop, stimulus: Stimulus) -> AudioTake:
    sd = require("sounddevice")
    signal = stimulus.render().astype(np.float32)
    frames = len(signal)
    played = np.zeros((frames, loop.outputs), dtype=np.float32)
    played[:, loop.output - 1] = signal
    recorded = np.zeros((frames, loop.inputs), dtype=np.float32)
    position = [0]
    flags = [0]
    done = threading.Event()

    def callback(indata: Any, outdata: Any, count: int, _time: Any, status: Any) -> None:
        if status.input_overflow or status.output_underflow:
            flags[0] += 1
        at = position[0]
        n = max(0, min(count, frames - at))
        outdata[:n] = played[at : at + n]
        outdata[n:] = 0
        recorded[at : at + n] = indata[:n]
        position[0] = at + count
        if at + count >= frames:
            done.set()

    device = _pick_device(sd, loop)
    before = loop.host_xruns() if loop.host_xruns else 0
    stream = sd.Stream(
        samplerate=loop.samplerate,
        blocksize=loop.blocksize,
        device=(device, device),
        channels=(loop.inputs, loop.outputs),
        dtype="float32",
        dither_off=True,  # bit-exact output (DOMAIN.md §7)
        callback=callback,
    )
    with stream:
        latency = stream.latency  # (input, output) seconds: reported, not measured
        if not done.wait(frames / loop.samplerate + 5.0):
            raise InfrastructureError(
                f"audio stream on {loop.label} stopped: {position[0]} of {frames} frames"
            )
    after = loop.host_xruns() if loop.host_xruns else 0
    witness = loop.witness_input
    return AudioTake(
        loop=loop,
        stimulus=stimulus,
        recorded=recorded.astype(np.float64),
        flags=flags[0],
        host_xruns=after - before,
        driver_latency_s=_sane_latency_s(float(latency[0]) + float(latency[1])),
        breaks=None if witness is None else stream_breaks(signal, recorded[:, witness - 1]),
    )
