"""The sim rig's services, through the same libraries real hardware uses: pyusb over
libusb (umockdev), sounddevice over PortAudio (JACK), python-rtmidi (JACK), QMP,
pyserial. Each check also knows what its fault should change, so
`test_sim_faults.py` runs this file again under the fault catalog."""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from pytest_usbgate.audio.delay import DelayEstimate, estimate_delay, log_spaced_multitone
from pytest_usbgate.audio.witness import stream_breaks
from pytest_usbgate.midi.ports import rtmidi_client
from pytest_usbgate.native import require
from pytest_usbgate.sim.jack_server import open_client
from pytest_usbgate.sim.session import SimSession

from .conftest import SIM_PERIOD, SIM_RATE

usb_core = require("usb.core")
RATE, PERIOD = SIM_RATE, SIM_PERIOD
TAKES = 5  # a take with an xrun is taken again: the machine may be busy, the sim is not wrong
DEVNODE_4I4 = "/sys/bus/usb/devices/1-1"


def active(sim: SimSession, fault: str) -> bool:
    return fault in sim.plan.faults


def test_record_processes(sim: SimSession) -> None:
    """For the lifecycle tests: which processes this session started."""
    assert all(service.running() for service in sim.services)
    out = os.environ.get("USBGATE_TEST_SIM_PIDS")
    if out:
        folders = [str(sim.workdir), sim.testbed.root if sim.testbed else ""]
        Path(out).write_text(
            json.dumps({"pids": sim.pids(), "server": sim.server, "folders": folders})
        )
    assert os.environ["JACK_DEFAULT_SERVER"] == sim.server


def test_usb_4i4_enumerates_with_its_full_configuration(sim: SimSession) -> None:
    dev = usb_core.find(idVendor=0x1235, idProduct=0x821A)
    assert dev is not None
    full = active(sim, "usb-full-speed")
    assert dev.speed == (usb_core.util.SPEED_FULL if full else usb_core.util.SPEED_HIGH)
    assert Path(DEVNODE_4I4, "speed").read_text().strip() == ("12" if full else "480")
    config = dev.get_active_configuration()
    classes = {
        (i.bInterfaceNumber, i.bAlternateSetting): (i.bInterfaceClass, i.bInterfaceSubClass)
        for i in config
    }
    assert classes[(0, 0)] == (1, 1) and classes[(1, 1)] == (1, 2) and classes[(2, 1)] == (1, 2)
    assert classes[(3, 0)] == (0xFF, 0) and classes[(4, 0)] == (1, 3)
    iso = [e.bEndpointAddress for i in config for e in i if e.bmAttributes & 0x3 == 1]
    assert sorted(iso) == [0x01, 0x81, 0x82]


def test_usb_keylab_full_speed_or_missing(sim: SimSession) -> None:
    dev = usb_core.find(idVendor=0x1C75, idProduct=0x02CB)
    if active(sim, "usb-missing"):
        assert dev is None
        return
    assert dev is not None and dev.speed == usb_core.util.SPEED_FULL
    interfaces = [(i.bInterfaceClass, i.bInterfaceSubClass) for i in dev.get_active_configuration()]
    assert interfaces == [(1, 1), (1, 3)]


def test_usb_power_policy(sim: SimSession) -> None:
    control = Path(DEVNODE_4I4, "power/control").read_text().strip()
    assert control == ("auto" if active(sim, "usb-autosuspend") else "on")


def test_usb_unplug_and_replug_gives_a_new_device_number(sim: SimSession) -> None:
    name = "arturia-keylab-mkii-88"
    assert sim.testbed is not None
    if active(sim, "usb-missing"):
        assert name not in sim.testbed.plugged
        return
    before = usb_core.find(idVendor=0x1C75).address
    sim.testbed.unplug(name)
    time.sleep(0.05)  # libusb's hotplug thread handles the uevent
    assert usb_core.find(idVendor=0x1C75) is None
    sim.testbed.plug(name)
    time.sleep(0.05)
    again = usb_core.find(idVendor=0x1C75)
    assert again is not None and again.address > before


def _round_trip(periods: int) -> tuple[np.ndarray, np.ndarray]:
    """Play the multitone out of output 1 and record input 3. Input 5, the digital
    loopback of output 1, must return it bit for bit whatever the cable's fault: the
    stream itself never breaks on the sim (jackd runs synchronously)."""
    sd = require("sounddevice")
    tone = log_spaced_multitone(RATE)
    stimulus = np.concatenate([np.zeros(2048), tone.signal(periods), np.zeros(4096)])
    out = np.zeros((len(stimulus), 6), dtype=np.float32)
    out[:, 0] = stimulus  # output 1: the cable's source
    capture = sd.playrec(
        out, samplerate=RATE, channels=6, device="Scarlett 4i4", blocksize=PERIOD, blocking=True
    )
    assert stream_breaks(out[:, 0], capture[:, 4]) == ()
    return stimulus, capture[:, 2].astype(np.float64)  # input 3: the cable's end


def _spread(values: list[float]) -> float:
    return max(values) - min(values)


def test_audio_round_trip_is_the_model_delay_plus_whole_periods(sim: SimSession) -> None:
    truth = sim.plan.model["audio"][0]["cable"]
    tone = log_spaced_multitone(RATE)
    fit = not (active(sim, "audio-unplugged") or active(sim, "audio-dropout"))
    windows: list[DelayEstimate] = []
    for _take in range(TAKES):
        stimulus, returned = _round_trip(16)
        if not fit:
            break
        windows = [
            estimate_delay(stimulus, returned, tone, start=2048, settle_periods=p)
            for p in range(1, 14)
        ]
        # an xrun disturbs some windows; PortAudio's flags may stay clear (DOMAIN.md), so
        # the take itself tells: every window agrees, or it is taken again
        steady = _spread([w.delay_samples for w in windows]) < 0.001
        steady = steady and _spread([w.gain_db for w in windows]) < 0.002
        if steady or active(sim, "audio-slip"):
            break
        time.sleep(0.2)  # let a load peak pass
    else:
        pytest.fail(
            f"each of {TAKES} takes was disturbed (its windows disagree): too busy to judge"
        )
    delays = [w.delay_samples for w in windows]
    signal = returned[2048 : 2048 + 16 * tone.period]
    if active(sim, "audio-unplugged"):
        assert 20 * np.log10(np.sqrt(np.mean(signal**2)) * np.sqrt(2)) < -95.0
        return
    zero_runs = _longest_zero_run(signal)
    if active(sim, "audio-dropout"):
        assert zero_runs >= 0.009 * RATE  # a 10 ms run of exact zeros
        return
    assert zero_runs < 8
    if active(sim, "audio-slip"):
        assert _spread(delays) == pytest.approx(1.0, abs=0.01)
        return
    estimate = windows[0]
    jack_part = estimate.delay_samples - truth["delay_samples"]
    periods = round(jack_part / PERIOD)
    assert periods in (1, 2, 3)
    assert abs(jack_part - periods * PERIOD) < 0.001, estimate
    assert _spread(delays) < 0.001
    assert estimate.gain_db == pytest.approx(truth["gain_db"], abs=0.01)
    assert estimate.polarity == 1


def _longest_zero_run(x: np.ndarray) -> int:
    zero = np.concatenate([[0], (x == 0.0).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(zero))
    return int(np.max(edges[1::2] - edges[::2])) if len(edges) else 0


class _MidiPair:
    """Out and in ports of one device on the session's JACK server, matched by name."""

    def __init__(self, client: str, port: str) -> None:
        self.out = rtmidi_client("out", "jack", "usbgate-test")
        self.inp = rtmidi_client("in", "jack", "usbgate-test")
        self.inp.ignore_types(sysex=False, timing=False, active_sense=False)
        self.out.open_port(self.out.get_ports().index(f"{client}:{port} playback"))
        self.inp.open_port(self.inp.get_ports().index(f"{client}:{port} capture"))

    def close(self) -> None:
        for port in (self.out, self.inp):
            port.close_port()
            port.delete()


def test_midi_identity_reply(sim: SimSession) -> None:
    if active(sim, "usb-missing"):  # the KeyLab is absent: its MIDI ports with it
        probe = rtmidi_client("out", "jack", "usbgate-test")
        try:
            assert not [p for p in probe.get_ports() if p.startswith("KeyLab mkII 88:")]
        finally:
            probe.delete()
        return
    pair = _MidiPair("KeyLab mkII 88", "MIDI")
    replies: list[list[int]] = []
    got = threading.Event()

    def on_message(event: tuple[list[int], float], _: object) -> None:
        replies.append(event[0])
        got.set()

    pair.inp.set_callback(on_message)
    try:
        pair.out.send_message([0xF0, 0x7E, 0x7F, 0x06, 0x01, 0xF7])
        got.wait(0.5)
    finally:
        pair.close()
    if active(sim, "midi-silent-identity"):
        assert replies == []
        return
    assert len(replies) == 1
    reply = bytes(replies[0])
    assert reply[:2] == b"\xf0\x7e" and reply[3:5] == b"\x06\x02" and reply[-1] == 0xF7
    assert reply[5:8] == bytes([0x00, 0x20, 0x6B])  # Arturia
    assert reply[8:12] == bytes([0x02, 0x00, 0x05, 0x68])  # KeyLab mkII family, 88 model
    assert len(reply) == 17


class _MidiProbe:
    """A JACK client of our own that sends one tagged note per cycle into a device's
    MIDI port and timestamps what comes back in JACK frames: exact, whatever the load,
    for every message no xrun came near. At an xrun JACK skips or drops a cycle (the
    sim is not wrong), so the frames of xruns are kept: those the server reports and
    the jumps of the probe's own frame clock."""

    def __init__(self, server: str, device_port: str, count: int) -> None:
        self.count = count
        self.sent_frame: dict[int, int] = {}
        self.back_frame: dict[int, int] = {}
        self.xrun_frames: list[int] = []
        self.client = open_client("usbgate-probe", server)
        self.period = self.client.blocksize
        out = self.client.midi_outports.register("out")
        inp = self.client.midi_inports.register("in")
        self._go = False
        self._last_cycle: int | None = None

        def process(frames: int) -> None:
            cycle = self.client.last_frame_time
            if self._last_cycle is not None and cycle != self._last_cycle + frames:
                self.xrun_frames.append(self._last_cycle)
            self._last_cycle = cycle
            out.clear_buffer()
            tag = len(self.sent_frame)
            if self._go and tag < count:
                offset = self.offset(tag)
                out.write_midi_event(offset, bytes([0x90, tag >> 7, tag & 0x7F]))
                self.sent_frame[tag] = cycle + offset
            for offset, data in inp.incoming_midi_events():
                back = bytes(data)
                self.back_frame.setdefault(back[1] << 7 | back[2], cycle + offset)

        def xrun(_delay_us: float) -> None:
            self.xrun_frames.append(self.client.last_frame_time)

        self.client.set_process_callback(process)
        self.client.set_xrun_callback(xrun)
        self.client.activate()
        self.client.connect(out, f"{device_port} playback")
        self.client.connect(f"{device_port} capture", inp)

    def offset(self, tag: int) -> int:
        """Where in its cycle a message goes: every offset of the period in turn (37 is
        coprime to a power-of-two period)."""
        return int(tag * 37 % self.period)

    def run(self, extra_s: float) -> None:
        self._go = True
        seconds = self.count * self.period / self.client.samplerate
        deadline = time.monotonic() + 10 * seconds + extra_s + 2
        while len(self.sent_frame) < self.count and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(extra_s + 0.1)  # the last ones come back

    def clear_of_xruns(self, flight_frames: int) -> dict[int, int | None]:
        """Latency in frames (None: lost) of each message no xrun came near: none from
        two periods before it was sent to four after it was due back (the server
        reports an xrun a cycle or two late)."""
        before, after = 2 * self.period, flight_frames + 4 * self.period
        return {
            tag: self.back_frame[tag] - sent if tag in self.back_frame else None
            for tag, sent in self.sent_frame.items()
            if not any(sent - before <= xrun <= sent + after for xrun in self.xrun_frames)
        }

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()


def test_midi_loopback_latency_is_exact_in_frames(sim: SimSession) -> None:
    """The loop adds its configured latency (8 ms under midi-late) plus the JACK graph's
    feedback period, to the frame, for every message at every offset."""
    extra_frames = round(8.0 * RATE / 1000) if active(sim, "midi-late") else 0
    # one message a cycle; 300 cover every offset of a 256-frame period; 1000 make a
    # 1 % loss all but certain to show (0.99 ** 1000 = 4e-5)
    count = 1000 if active(sim, "midi-drop") else 300
    judged: list[tuple[int, int | None]] = []  # (offset, latency in frames or None: lost)
    for _take in range(2 * TAKES):  # until `count` messages clear of xruns cover every offset
        probe = _MidiProbe(sim.server, "Scarlett 4i4 4th Gen:MIDI 1", count=count)
        try:
            probe.run(extra_s=extra_frames / RATE)
        finally:
            probe.close()
        assert len(probe.sent_frame) == count
        clear = probe.clear_of_xruns(flight_frames=extra_frames + 2 * PERIOD)
        judged += [(probe.offset(tag), latency) for tag, latency in clear.items()]
        if len(judged) >= count and len({offset for offset, _ in judged}) == PERIOD:
            break
        time.sleep(0.5)  # let a load peak pass
    else:
        pytest.fail(f"{2 * TAKES} takes of {count} left {len(judged)} messages clear of xruns")
    latencies = {latency for _, latency in judged if latency is not None}
    assert len(latencies) == 1, sorted(latencies)
    assert latencies.pop() - extra_frames in (0, PERIOD)
    lost = sum(latency is None for _, latency in judged)
    if active(sim, "midi-drop"):
        assert 1 <= lost <= 0.03 * len(judged)  # 1 %
    else:
        assert lost == 0


def _rtmidi_ping_pong(sim: SimSession, count: int) -> tuple[list[int], dict[int, float | None]]:
    """(tags in the order they came back, round trip in ms of each message no xrun came
    near: None if it was lost) of `count` messages, one in flight at a time."""
    pair = _MidiPair("Scarlett 4i4 4th Gen", "MIDI 1")
    back: list[int] = []
    rtt_ms: dict[int, float] = {}
    sent_at: dict[int, int] = {}
    arrived = threading.Event()

    def on_message(event: tuple[list[int], float], _: object) -> None:
        tag = event[0][2]
        back.append(tag)
        rtt_ms[tag] = (time.perf_counter_ns() - sent_at[tag]) / 1e6
        arrived.set()

    clear: dict[int, float | None] = {}
    pair.inp.set_callback(on_message)
    try:
        for tag in range(count):  # ping-pong: the next message leaves when one returns
            arrived.clear()
            before = sim.xruns()
            sent_at[tag] = time.perf_counter_ns()
            pair.out.send_message([0x90, 0x40, tag])
            arrived.wait(1.0)
            time.sleep(0.002)  # an xrun is reported a cycle or two late
            if sim.xruns() == before:
                clear[tag] = rtt_ms.get(tag)
    finally:
        pair.close()
    return back, clear


def test_midi_loopback_through_python_rtmidi(sim: SimSession) -> None:
    """The same loop through python-rtmidi: every message back, in order, and in the
    whole periods of the modelled latency at least. JACK loses MIDI at an xrun: a
    message an xrun came near is not judged, and takes go on until `count` messages are."""
    count = 50
    extra_ms = 8.0 if active(sim, "midi-late") else 0.0
    judged: list[float | None] = []
    for _take in range(TAKES):
        back, clear = _rtmidi_ping_pong(sim, count)
        assert back == sorted(back)
        judged += clear.values()
        if len(judged) >= count:
            break
        time.sleep(0.5)  # let a load peak pass
    else:
        pytest.fail(f"{TAKES} takes of {count} left only {len(judged)} messages clear of xruns")
    lost = sum(rtt is None for rtt in judged)
    if active(sim, "midi-drop"):
        assert lost <= 0.1 * len(judged)
    else:
        assert lost == 0
    # JACK delivers in whole periods: the added latency shows as its whole periods at
    # least. The median, not each: after a late cycle the dummy driver runs the cycles
    # it owes back to back, and a message then comes back sooner by the wall clock.
    whole_periods_ms = (round(extra_ms * RATE / 1000) // PERIOD) * PERIOD / RATE * 1000
    assert statistics.median(rtt for rtt in judged if rtt is not None) >= whole_periods_ms


def test_qmp_controls_the_stand_in_devices(sim: SimSession) -> None:
    qmp = sim.qmp
    assert qmp is not None
    assert qmp.execute("query-status")["status"] in ("prelaunch", "paused")
    listing = qmp.human("info usb")
    assert "ID: interface" in listing and "ID: controller" in listing
    qmp.execute("device_del", {"id": "controller"})
    qmp.wait_event("DEVICE_DELETED", device="controller")
    qmp.execute("device_add", {"driver": "usb-kbd", "id": "controller", "bus": "xhci.0"})
    assert qmp.execute(
        "qom-get", {"path": "/machine/peripheral/controller", "property": "attached"}
    )


def test_serial_port_echoes_through_pyserial(sim: SimSession, serial_port: Path) -> None:
    serial = require("serial")
    with serial.Serial(str(serial_port), 115200, timeout=1) as port:
        port.write(b"*IDN?\r\n")
        assert port.read(7) == b"*IDN?\r\n"


def test_kernel_log_and_guest_pnp_replay(sim: SimSession) -> None:
    deadline = time.monotonic() + 5
    while not all(r.finished() for r in sim.replayers.values()) and time.monotonic() < deadline:
        time.sleep(0.05)
    kernel = sim.kernel_log.read_text()
    assert "usb 1-1: New USB device found, idVendor=1235, idProduct=821a" in kernel
    errors = "usb 1-1: device descriptor read/64, error -110" in kernel
    assert errors == active(sim, "kernel-errors")
    pnp = [json.loads(line) for line in sim.guest_pnp.read_text().splitlines()]
    assert [p["ProblemCode"] for p in pnp] == [0, 0]
