"""The sim rig's services for one test session: jackd, the device models, an umockdev
testbed, QEMU with QMP, a pty serial port and replayed logs. Started in parallel,
stopped in reverse; each session has its own names, sockets and folder, so parallel
sessions (xdist workers, separate pytest processes) never meet."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import select
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pytest_usbgate.config.rig import Rig, SimModel
from pytest_usbgate.errors import InfrastructureError
from pytest_usbgate.qemu.qmp import QmpClient
from pytest_usbgate.sim.jack_server import client_env, open_client, start_jackd
from pytest_usbgate.sim.model.midi import keylab_identity_reply
from pytest_usbgate.sim.preload import closing_preload_leaks
from pytest_usbgate.sim.procs import Service, remove_if_killed, removed, wait_until
from pytest_usbgate.sim.qemu import start_qemu
from pytest_usbgate.sim.replay import Replayer, parse_json_lines, parse_kernel_log
from pytest_usbgate.sim.serial_port import PtyPort
from pytest_usbgate.sim.usb.description import MODELS
from pytest_usbgate.sim.usb.injector import SimReplug
from pytest_usbgate.sim.usb.testbed import Testbed

DATA: Final = Path(__file__).resolve().parent / "data"
INTERFACE: Final = "focusrite-scarlett-4i4-gen4"
CONTROLLER: Final = "arturia-keylab-mkii-88"
START_TIMEOUT_S: Final = 20.0
KERNEL_CLOCK_S: Final = 520.0  # the sim kernel's clock at session start: after the replayed log
KEYLAB_88_MODEL: Final = bytes([0x05, 0x68])
KEYLAB_FIRMWARE: Final = bytes([0x01, 0x02, 0x00, 0x00])  # placeholder: confirm on a unit


@dataclass(frozen=True, slots=True)
class SimPlan:
    """What the sim runs: derived from the rig and the chosen faults, nothing started."""

    samplerate: int
    blocksize: int
    model: dict[str, Any]  # the device-model process's configuration
    usb: dict[str, dict[str, str]]  # profile id -> attribute overrides, for plugged devices
    kernel_log: str
    qemu_args: tuple[str, ...]
    faults: frozenset[str] = field(default_factory=frozenset)


def plan(rig: Rig, faults: frozenset[str]) -> SimPlan:
    truth = rig.sim or SimModel()
    loop = rig.audio_loopback
    samplerate, blocksize = (loop.samplerate, loop.blocksize) if loop else (48000, 128)
    profiles = {d.id: d.profile.id for d in rig.devices}

    cable: dict[str, Any] = {
        "delay_samples": truth.delay_samples,
        "gain_db": truth.gain_db,
        "noise_dbfs": truth.noise_dbfs,
        "cutoff_hz": truth.cutoff_hz,
        "unplugged": "audio-unplugged" in faults,
        "dropout_every_s": 2.0 if "audio-dropout" in faults else 0.0,
        "slip_every_s": 1.0 if "audio-slip" in faults else 0.0,
    }
    loop_params = {
        "extra_latency_ms": truth.midi_extra_latency_ms + (8.0 if "midi-late" in faults else 0.0),
        "jitter_ms": truth.midi_jitter_ms,
        "drop_ratio": 0.01 if "midi-drop" in faults else truth.midi_drop_ratio,
        "duplicate_ratio": truth.midi_duplicate_ratio,
    }
    midi_loop_device = profiles.get(rig.midi_loopback.device) if rig.midi_loopback else None
    identity_device = profiles.get(rig.midi_identity.device) if rig.midi_identity else None

    audio: list[dict[str, Any]] = []
    midi: list[dict[str, Any]] = []
    usb: dict[str, dict[str, str]] = {}
    for device in rig.devices:
        name = device.profile.id
        if name not in MODELS:
            continue
        product = MODELS[name].descriptors.strings[2]
        if name == INTERFACE:
            port: dict[str, Any] = {"port": "MIDI 1"}
            if midi_loop_device == name:
                port["loop"] = loop_params
            on_cable = loop is not None and profiles[loop.device] == name
            audio.append(
                {
                    "client": product,
                    "inputs": device.profile.audio.inputs if device.profile.audio else 6,
                    "outputs": device.profile.audio.outputs if device.profile.audio else 6,
                    "cable_output": loop.output if loop and on_cable else 1,
                    "cable_input": loop.input if loop and on_cable else 3,
                    "digital_loopback": [[5, 1], [6, 2]],  # PCM in 5-6 mirror out 1-2
                    "cable": cable,
                    "midi": [port],
                }
            )
            attributes = {}
            if "usb-full-speed" in faults:
                attributes["speed"] = "12"
            if "usb-autosuspend" in faults:
                attributes["power/control"] = "auto"
            usb[name] = attributes
        elif name == CONTROLLER:
            main: dict[str, Any] = {"port": "MIDI"}
            if identity_device == name:
                main["identity"] = {
                    "reply": keylab_identity_reply(0x00, KEYLAB_88_MODEL, KEYLAB_FIRMWARE).hex(),
                    "device_id": 0x00,
                    "silent": "midi-silent-identity" in faults,
                }
            if midi_loop_device == name:
                main["loop"] = loop_params
            if "usb-missing" in faults:
                continue  # absent from the bus: no USB device, no MIDI ports
            midi.append({"client": product, "ports": [main, {"port": "DAW"}]})
            usb[name] = {}
    stack_args = rig.stack.qemu_args if rig.stack else ()
    return SimPlan(
        samplerate=samplerate,
        blocksize=blocksize,
        model={"audio": audio, "midi": midi},
        usb=usb,
        kernel_log="enumeration-errors.log" if "kernel-errors" in faults else "enumeration.log",
        qemu_args=tuple(stack_args),
        faults=faults,
    )


class SimSession:
    """Start with `start()`, stop with `stop()` (idempotent, also after a failed start)."""

    def __init__(self, plan: SimPlan) -> None:
        self.plan = plan
        self.server = ""  # the JACK server's name, once it runs
        self.workdir = Path(tempfile.mkdtemp(prefix="usbgate-sim-"))
        remove_if_killed(self.workdir)
        self.services: list[Service] = []
        self.testbed: Testbed | None = None
        self.qmp: QmpClient | None = None
        self._watch: Any = None  # a JACK client that only notes the server's xruns
        self._xruns_ns: list[int] = []  # when each xrun was reported (perf_counter)
        self.serial: PtyPort | None = None
        self.replayers: dict[str, Replayer] = {}
        self.startup_s = 0.0
        self.ready: dict[str, Any] = {}
        self._saved_env: dict[str, str | None] = {}
        self._kernel_lock = threading.Lock()
        self._began = time.monotonic()

    @property
    def kernel_log(self) -> Path:
        return self.workdir / "kmsg.log"

    def replug(self, profile_id: str) -> SimReplug:
        """What unplugs and replugs the device of `profile_id` in the testbed, logging
        what the kernel would."""
        if self.testbed is None:
            raise InfrastructureError("sim: no umockdev testbed")
        return SimReplug(self.testbed, profile_id, self.kernel_line)

    def kernel_line(self, text: str) -> None:
        """What the sim's "kernel" says now (plug cycles), in dmesg form, after the
        replayed boot log's clock."""
        seconds = KERNEL_CLOCK_S + time.monotonic() - self._began
        with self._kernel_lock, self.kernel_log.open("a") as log:
            log.write(f"[{seconds:12.6f}] {text}\n")

    @property
    def guest_pnp(self) -> Path:
        return self.workdir / "guest-pnp.jsonl"

    def pids(self) -> list[int]:
        return [s.pid for s in self.services]

    def start(self) -> SimSession:
        began = time.monotonic()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.monotonic() - began
        return self

    def _start(self) -> None:
        p = self.plan
        channels = max([a["inputs"] for a in p.model["audio"]] + [2])
        qemu, qmp_socket = start_qemu(p.qemu_args, self.workdir)
        self.services.append(qemu)
        jackd, self.server = start_jackd(p.samplerate, p.blocksize, channels, self.workdir)
        self.services.append(jackd)
        config = self.workdir / "model.json"
        config.write_text(json.dumps({"server": self.server, **p.model}))
        model = Service(
            "device model",
            [sys.executable, "-m", "pytest_usbgate.sim.model.jack_client", str(config)],
            self.workdir / "model.log",
            env=client_env(self.server),
            stdout_pipe=True,
        )
        self.services.append(model)

        # in-process parts while the processes start
        self.serial = PtyPort(self.workdir / "ttyACM0")
        kernel = DATA / "kernel-log" / p.kernel_log
        pnp = DATA / "guest-pnp" / "present.jsonl"
        self.replayers = {
            "kernel log": Replayer(
                parse_kernel_log(kernel.read_text(), str(kernel)), self.kernel_log
            ),
            "guest pnp": Replayer(parse_json_lines(pnp.read_text(), str(pnp)), self.guest_pnp),
        }
        for replayer in self.replayers.values():
            replayer.start()

        self.ready = self._wait_model(model, jackd)
        self._watch_xruns()
        self._point_clients_here()
        # after PortAudio's start: its ALSA probe aborts inside a testbed (libumockdev 0.17)
        self.testbed = Testbed()
        for name, attributes in p.usb.items():
            self.testbed.plug(name, attributes)
        wait_until("QEMU's QMP socket", qmp_socket.exists, [qemu], START_TIMEOUT_S)
        self.qmp = QmpClient(f"unix:{qmp_socket}")

    def _wait_model(self, model: Service, jackd: Service) -> dict[str, Any]:
        """The model prints one line once its JACK clients are live (it waits for jackd)."""
        assert model.proc.stdout is not None
        poller = select.poll()
        poller.register(model.proc.stdout, select.POLLIN)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            jackd.check_alive()
            model.check_alive()
            if poller.poll(50):
                line = model.proc.stdout.readline()
                if line:
                    ready: dict[str, Any] = json.loads(line)
                    return ready
        raise InfrastructureError(
            f"sim: device model not ready after {START_TIMEOUT_S:.0f} s: "
            f"{model.log_tail() or jackd.log_tail()}"
        )

    def _watch_xruns(self) -> None:
        def note(_delay_us: float) -> None:
            self._xruns_ns.append(time.perf_counter_ns())

        with _stderr_silenced():  # libjack's metadata-database complaints
            self._watch = open_client("usbgate-xruns", self.server)
        self._watch.set_xrun_callback(note)
        self._watch.activate()  # no ports, no process callback: nothing of ours runs per cycle

    def xruns(self) -> int:
        """Cycles the JACK server reported as late so far. A take with an xrun is not
        evidence about the device models: measurements on the sim take it again."""
        return len(self._xruns_ns)

    def xruns_ns(self) -> Sequence[int]:
        """When (perf_counter ns) the JACK server reported each late cycle so far, in
        order: a MIDI message one came near is left out (`midi.loop`). The list
        itself, not a copy: the JACK client's thread only ever appends to it."""
        return self._xruns_ns

    def _point_clients_here(self) -> None:
        """PortAudio and python-rtmidi in this process talk to this session's server."""
        _terminate_portaudio()
        for key, value in client_env(self.server).items():
            self._saved_env[key] = os.environ.get(key)
            os.environ[key] = value
        # JACK2 refuses a new client for a moment now and then while two servers start:
        # PortAudio then lists no JACK devices, so initialise it again until it does
        expected = [a["client"] for a in self.plan.model["audio"]]
        deadline = time.monotonic() + 5.0
        while True:
            with closing_preload_leaks():
                _initialize_portaudio()
            if _portaudio_lists(expected) or time.monotonic() > deadline:
                return
            _terminate_portaudio()
            time.sleep(0.1)

    def stop(self) -> None:
        if self.qmp is not None:
            self.qmp.close()
            self.qmp = None
        for replayer in self.replayers.values():
            replayer.stop()
        if self.serial is not None:
            self.serial.close()
            self.serial = None
        if self.testbed is not None:
            self.testbed.close()
            self.testbed = None
        if self._watch is not None:
            self._watch.deactivate()
            self._watch.close()
            self._watch = None
        # PortAudio's JACK client must leave before the server does. It stays terminated:
        # a later import (pytester drops modules between runs) initialises it afresh.
        _terminate_portaudio()
        for service in reversed(self.services):
            service.stop()
        for key, value in self._saved_env.items():
            if key == "JACK_NO_START_SERVER":
                continue  # never let a later JACK client start a server of its own
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()
        shutil.rmtree(self.workdir, ignore_errors=True)
        removed(self.workdir)

    def describe(self) -> str:
        qemu = (
            ".".join(
                str(self.qmp.version.get("qemu", {}).get(k, "?"))
                for k in ("major", "minor", "micro")
            )
            if self.qmp
            else "?"
        )
        plugged = self.testbed.plugged if self.testbed else {}
        return (
            f"sim: jackd '{self.server}' {self.plan.samplerate} Hz / {self.plan.blocksize} frames, "
            f"device models {', '.join(self.ready.get('clients', []))}, "
            f"umockdev {', '.join(f'{n} #{d}' for n, d in plugged.items())}, "
            f"QEMU {qemu}; ready in {self.startup_s:.2f} s"
        )


def _initialize_portaudio() -> None:
    """PortAudio lists JACK devices when it initialises: import sounddevice now, with the
    server running (or initialise it again if it was imported before). A missing
    PortAudio is reported where audio is used, not here."""
    module = sys.modules.get("sounddevice")
    if module is None:
        try:
            importlib.import_module("sounddevice")  # initialises PortAudio
        except (ImportError, OSError):
            return
    elif not module._initialized:
        module._initialize()


def _portaudio_lists(names: list[str]) -> bool:
    """Whether PortAudio (if importable) has a device for each JACK client in `names`."""
    sounddevice = sys.modules.get("sounddevice")
    if sounddevice is None or not sounddevice._initialized:
        return True  # no PortAudio here: audio tests report it where they need it
    devices = [d["name"] for d in sounddevice.query_devices()]
    return all(any(name in device for device in devices) for name in names)


@contextlib.contextmanager
def _stderr_silenced() -> Iterator[None]:
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _terminate_portaudio() -> None:
    sounddevice = sys.modules.get("sounddevice")
    while sounddevice is not None and sounddevice._initialized:
        sounddevice._terminate()
