"""Rig files: the bench described in TOML, validated on load.

Load-time validation covers structure (types, unknown keys, references, limits); the
design gate's checks judge the rest against the device profiles (`config/checks.py`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import final

from pytest_usbgate.config.catalog import builtin_catalog
from pytest_usbgate.config.limits import read_thresholds
from pytest_usbgate.config.profiles import Profile, load_profile, profile_names
from pytest_usbgate.config.reader import Section, load_toml
from pytest_usbgate.errors import ConfigError
from pytest_usbgate.gate.criteria import CriterionDef, Limit, empty

_ID = r"[a-z][a-z0-9_-]*"
_QMP = r"unix:/\S+|tcp:[A-Za-z0-9.\-\[\]:]+:\d+"


@final
@dataclass(frozen=True, slots=True)
class Device:
    id: str
    profile: Profile
    serial: str | None = None
    port: str | None = None


@final
@dataclass(frozen=True, slots=True)
class AudioLoopback:
    """An output->input cable on one device; channels count from 1."""

    device: str
    output: int
    input: int
    samplerate: int
    blocksize: int
    periods: int


@final
@dataclass(frozen=True, slots=True)
class MidiLink:
    """`[midi.loopback]` / `[midi.identity]`: the device, its port pattern (None: the
    profile's), and for a loop how many messages a take sends and how fast (None: each
    as the one before comes back); `soak_messages` is the production gate's longer take."""

    device: str
    port: str | None = None
    messages: int = 1000
    rate_per_s: float | None = None
    soak_messages: int = 20000


INJECTORS = ("authorized", "uhubctl", "reset")


@final
@dataclass(frozen=True, slots=True)
class UsbRecovery:
    """`[usb.recovery]`: which device the bring-up gate unplugs and replugs, how
    (`injector`; the sim rig always uses umockdev), how often, and how long a cycle may
    take before it counts as never recovering. Real rigs need root for every injector;
    uhubctl needs a hub with per-port power switching."""

    device: str
    injector: str = "authorized"
    cycles: int = 20
    timeout_s: float = 15.0


@final
@dataclass(frozen=True, slots=True)
class Stack:
    compose: Path | None = None
    container: str | None = None
    qmp: str | None = None
    qemu_args: tuple[str, ...] = ()  # what QEMU runs with beyond the stack's defaults


@final
@dataclass(frozen=True, slots=True)
class SimModel:
    """The sim rig's device models (`[sim.audio]`, `[sim.midi]`): the truth measurements
    on the sim are checked against."""

    delay_samples: float = 41.3
    gain_db: float = -0.5
    noise_dbfs: float = -100.0
    cutoff_hz: float = 22_000.0
    midi_extra_latency_ms: float = 0.0
    midi_jitter_ms: float = 0.0
    midi_drop_ratio: float = 0.0
    midi_duplicate_ratio: float = 0.0


@final
@dataclass(frozen=True, slots=True)
class Rig:
    name: str
    kind: str
    path: Path
    description: str = ""
    devices: tuple[Device, ...] = ()
    audio_loopback: AudioLoopback | None = None
    midi_loopback: MidiLink | None = None
    midi_identity: MidiLink | None = None
    stack: Stack | None = None
    usb_recovery: UsbRecovery | None = None  # None: the first device, by defaults
    sim: SimModel | None = None  # kind = "sim" only
    thresholds: Mapping[str, Mapping[str, Limit]] = field(default_factory=empty)

    def device(self, device_id: str) -> Device:
        for device in self.devices:
            if device.id == device_id:
                return device
        raise KeyError(device_id)

    def recovery(self) -> UsbRecovery | None:
        """The plug-cycle plan: `[usb.recovery]`, or the first device with defaults."""
        if self.usb_recovery is not None:
            return self.usb_recovery
        return UsbRecovery(device=self.devices[0].id) if self.devices else None

    def limit(self, criterion: CriterionDef, gate: str) -> tuple[Limit | None, str]:
        return resolve_limit(criterion, gate, self)

    def required(self, gate: str, catalog: Mapping[str, CriterionDef]) -> list[str]:
        return required_criteria(gate, self, catalog)

    def has(self, section: str) -> bool:
        """Whether an optional section ('audio.loopback', 'stack', …) is configured."""
        return {
            "audio.loopback": self.audio_loopback,
            "midi.loopback": self.midi_loopback,
            "midi.identity": self.midi_identity,
            "stack": self.stack,
            "stack.compose": self.stack.compose if self.stack else None,
            "devices": self.devices or None,
        }.get(section) is not None


def resolve_limit(criterion: CriterionDef, gate: str, rig: Rig) -> tuple[Limit | None, str]:
    """The limit for `criterion` in `gate`: rig thresholds -> device profiles -> default.

    Returns (limit, source) with source 'rig', 'profile <id>' or 'default';
    (None, 'none') when nobody sets one.
    """
    limit = rig.thresholds.get(gate, {}).get(criterion.id)
    if limit is not None:
        return limit, "rig"
    for device in rig.devices:
        limit = device.profile.thresholds.get(gate, {}).get(criterion.id)
        if limit is not None:
            return limit, f"profile {device.profile.id}"
    limit = criterion.limits.get(gate)
    if limit is not None:
        return limit, "default"
    return None, "none"


def required_criteria(gate: str, rig: Rig, catalog: Mapping[str, CriterionDef]) -> list[str]:
    """Criteria the gate cannot pass without: the catalog's (where the rig has the section
    they need) plus every criterion the rig sets a threshold for in this gate."""
    ids = [
        c.id for c in catalog.values() if gate in c.required and (c.when is None or rig.has(c.when))
    ]
    ids += [i for i in rig.thresholds.get(gate, {}) if i not in ids]
    return ids


def _read_devices(doc: Section) -> tuple[Device, ...]:
    devices: list[Device] = []
    for entry in doc.sections("devices"):
        device_id = entry.text("id", pattern=_ID, what="a lowercase id ([a-z][a-z0-9_-]*)")
        if any(d.id == device_id for d in devices):
            raise entry.error("id", f"duplicate device id {device_id!r}")
        profile_name = entry.text("profile")
        try:
            profile = load_profile(profile_name)
        except KeyError:
            raise entry.error(
                "profile",
                f"unknown device profile {profile_name!r} (known: {', '.join(profile_names())})",
            ) from None
        devices.append(
            Device(
                id=device_id,
                profile=profile,
                serial=entry.text("serial", None),
                port=entry.text(
                    "port", None, pattern=r"\d+-\d+(\.\d+)*", what="a bus-port path such as 1-4.2"
                ),
            )
        )
        entry.close()
    return tuple(devices)


def _device_ref(section: Section, devices: tuple[Device, ...]) -> str:
    name = section.text("device")
    if not any(d.id == name for d in devices):
        known = ", ".join(d.id for d in devices) or "none declared"
        raise section.error("device", f"unknown device {name!r} (devices: {known})")
    return str(name)


def _read_midi(section: Section | None, devices: tuple[Device, ...], loop: bool) -> MidiLink | None:
    if section is None:
        return None
    link = MidiLink(device=_device_ref(section, devices), port=section.text("port", None))
    if loop:
        link = replace(
            link,
            messages=section.integer("messages", link.messages, minimum=10, maximum=10**6),
            rate_per_s=section.number("rate_per_s", None, minimum=1.0, maximum=100_000.0),
            soak_messages=section.integer(
                "soak_messages", link.soak_messages, minimum=10, maximum=10**7
            ),
        )
    section.close()
    return link


def _read_sim(section: Section | None, kind: str, loop: AudioLoopback | None) -> SimModel:
    if section is None:
        return SimModel()
    if kind != "sim":
        raise section.error("", 'only a rig of kind = "sim" has device models')
    defaults = SimModel()
    values: dict[str, float] = {}
    audio = section.section("audio")
    if audio is not None:
        nyquist = (loop.samplerate if loop else 48000) / 2
        values.update(
            delay_samples=audio.number("delay_samples", defaults.delay_samples, minimum=31.0),
            gain_db=audio.number("gain_db", defaults.gain_db, minimum=-60.0, maximum=20.0),
            noise_dbfs=audio.number(
                "noise_dbfs", defaults.noise_dbfs, minimum=-160.0, maximum=-20.0
            ),
            cutoff_hz=audio.number(
                "cutoff_hz", defaults.cutoff_hz, minimum=1000.0, maximum=nyquist * 0.98
            ),
        )
        audio.close()
    midi = section.section("midi")
    if midi is not None:
        values.update(
            midi_extra_latency_ms=midi.number(
                "extra_latency_ms", defaults.midi_extra_latency_ms, minimum=0.0, maximum=1000.0
            ),
            midi_jitter_ms=midi.number(
                "jitter_ms", defaults.midi_jitter_ms, minimum=0.0, maximum=1000.0
            ),
            midi_drop_ratio=midi.number(
                "drop_ratio", defaults.midi_drop_ratio, minimum=0.0, maximum=1.0
            ),
            midi_duplicate_ratio=midi.number(
                "duplicate_ratio", defaults.midi_duplicate_ratio, minimum=0.0, maximum=1.0
            ),
        )
        midi.close()
    section.close()
    return SimModel(**values)


def parse_rig(data: dict[str, object], path: Path) -> Rig:
    source = str(path)
    doc = Section(data, "", source)
    head = doc.section("rig", required=True)
    assert head is not None
    name = head.text(
        "name",
        pattern=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
        what="a name of letters, digits, '.', '_' or '-'",
    )
    kind = head.text("kind", pattern="sim|real", what='"sim" or "real"')
    description = head.text("description", "")
    head.close()
    devices = _read_devices(doc)

    audio_loopback = None
    audio = doc.section("audio")
    if audio is not None:
        loop = audio.section("loopback")
        if loop is not None:
            audio_loopback = AudioLoopback(
                device=_device_ref(loop, devices),
                output=loop.integer("output", minimum=1),
                input=loop.integer("input", minimum=1),
                samplerate=loop.integer("samplerate", minimum=8000, maximum=768000),
                blocksize=loop.integer("blocksize", minimum=1),
                periods=loop.integer("periods", 2, minimum=1, maximum=16),
            )
            loop.close()
        audio.close()

    midi_loopback = midi_identity = None
    midi = doc.section("midi")
    if midi is not None:
        midi_loopback = _read_midi(midi.section("loopback"), devices, loop=True)
        midi_identity = _read_midi(midi.section("identity"), devices, loop=False)
        midi.close()

    stack = None
    stack_section = doc.section("stack")
    if stack_section is not None:
        compose = stack_section.text("compose", None)
        stack = Stack(
            compose=(path.parent / compose) if compose else None,
            container=stack_section.text("container", None),
            qmp=stack_section.text(
                "qmp", None, pattern=_QMP, what="unix:/path/to.sock or tcp:host:port"
            ),
            qemu_args=stack_section.texts("qemu_args", ()),
        )
        stack_section.close()

    usb_recovery = None
    usb = doc.section("usb")
    if usb is not None:
        recovery = usb.section("recovery")
        if recovery is not None:
            defaults = UsbRecovery(device="")
            usb_recovery = UsbRecovery(
                device=_device_ref(recovery, devices),
                injector=recovery.text(
                    "injector",
                    defaults.injector,
                    pattern="|".join(INJECTORS),
                    what=" or ".join(f'"{i}"' for i in INJECTORS),
                ),
                cycles=recovery.integer("cycles", defaults.cycles, minimum=1, maximum=10_000),
                timeout_s=recovery.number(
                    "timeout_s", defaults.timeout_s, minimum=0.1, maximum=600.0
                ),
            )
            recovery.close()
        usb.close()

    sim = _read_sim(doc.section("sim"), kind, audio_loopback)
    thresholds = read_thresholds(doc.section("thresholds"), frozenset(builtin_catalog()))
    doc.close()
    return Rig(
        name=name,
        kind=kind,
        path=path,
        description=description,
        devices=devices,
        audio_loopback=audio_loopback,
        midi_loopback=midi_loopback,
        midi_identity=midi_identity,
        stack=stack,
        usb_recovery=usb_recovery,
        sim=sim if kind == "sim" else None,
        thresholds=thresholds,
    )


def load_rig(path: Path) -> Rig:
    """Load and validate a rig file; ConfigError names file, key and expectation."""
    return parse_rig(load_toml(path), path)


def packaged_rig_dir() -> Path:
    return Path(__file__).with_name("rigs")


def resolve_rig(spec: str, rootdir: Path) -> Path:
    """`--rig` value -> file: a path, else NAME in <rootdir>/rigs/ then the packaged rigs."""
    if "/" in spec or spec.endswith(".toml"):
        for candidate in (Path(spec), rootdir / spec):
            if candidate.is_file():
                return candidate
        raise ConfigError(spec, "", "rig file not found")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", spec):
        raise ConfigError(
            "--rig", "", f"expected a rig name or a path to a .toml file, got {spec!r}"
        )
    candidates = [rootdir / "rigs" / f"{spec}.toml", packaged_rig_dir() / f"{spec}.toml"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ConfigError(
        "--rig",
        "",
        f"no rig named {spec!r} (looked in {candidates[0]} and the "
        f"packaged rigs: {', '.join(sorted(p.stem for p in packaged_rig_dir().glob('*.toml')))})",
    )
