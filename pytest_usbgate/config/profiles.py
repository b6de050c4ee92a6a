"""Device profiles shipped with the package: identity, capabilities, default thresholds."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import final

from pytest_usbgate.config.catalog import builtin_catalog
from pytest_usbgate.config.limits import read_thresholds
from pytest_usbgate.config.reader import Section, load_toml
from pytest_usbgate.gate.criteria import Limit, empty

_HEX4 = r"[0-9a-f]{4}"


@final
@dataclass(frozen=True, slots=True)
class AudioCaps:
    samplerates: tuple[int, ...]
    inputs: int
    outputs: int
    analogue_inputs: int  # the first ones; the rest are digital loopbacks of outputs
    device_names: Mapping[str, str] = field(default_factory=empty)  # platform -> re (PortAudio)


@final
@dataclass(frozen=True, slots=True)
class MidiCaps:
    """How the device's MIDI ports are named (a regular expression per host platform, per
    port: "main", "daw", …) and what its identity reply must say (hex bytes)."""

    ports: int
    port_names: Mapping[str, Mapping[str, str]] = field(
        default_factory=empty
    )  # port -> platform -> re
    manufacturer: str | None = None
    family: str | None = None
    model: str | None = None


@final
@dataclass(frozen=True, slots=True)
class Profile:
    id: str
    name: str  # with the maker: "Arturia KeyLab mkII 88"
    product: str  # as the device names itself (its MIDI ports): "KeyLab mkII 88"
    vendor_id: str
    product_id: str
    speed_mbps: float
    audio: AudioCaps | None
    midi: MidiCaps | None
    thresholds: Mapping[str, Mapping[str, Limit]] = field(default_factory=empty)


def parse_profile(data: Mapping[str, object], source: str) -> Profile:
    doc = Section(data, "", source)
    head = doc.section("profile", required=True)
    assert head is not None
    audio = doc.section("audio")
    midi = doc.section("midi")
    caps = None
    if audio is not None:
        names = audio.section("device_names")
        inputs = audio.integer("inputs", minimum=1)
        caps = AudioCaps(
            samplerates=audio.integers("samplerates"),
            inputs=inputs,
            outputs=audio.integer("outputs", minimum=1),
            analogue_inputs=audio.integer("analogue_inputs", inputs, minimum=1, maximum=inputs),
            device_names={} if names is None else _read_names(names),
        )
        audio.close()
    midi_caps = None if midi is None else _read_midi(midi)
    profile = Profile(
        id=head.text("id"),
        name=head.text("name"),
        product=head.text("product"),
        vendor_id=head.text("vendor_id", pattern=_HEX4, what="4 lowercase hex digits"),
        product_id=head.text("product_id", pattern=_HEX4, what="4 lowercase hex digits"),
        speed_mbps=head.number("speed_mbps"),
        audio=caps,
        midi=midi_caps,
        thresholds=read_thresholds(doc.section("thresholds"), frozenset(builtin_catalog())),
    )
    head.close()
    doc.close()
    return profile


_PLATFORMS = ("linux", "windows")
_HEX_BYTES = r"([0-9a-f]{2})+"


def _read_names(section: Section) -> dict[str, str]:
    """A regular expression per host platform; closes `section`."""
    names = {
        platform: section.text(platform, pattern=r".+", what="a regular expression")
        for platform in _PLATFORMS
    }
    for platform, regex in names.items():
        try:
            re.compile(regex)
        except re.error as exc:
            raise section.error(platform, f"not a regular expression: {exc}") from None
    section.close()
    return names


def _read_midi(midi: Section) -> MidiCaps:
    names: dict[str, dict[str, str]] = {}
    table = midi.section("port_names")
    if table is not None:
        for port, _ in list(table.entries()):
            per_platform = table.section(port, required=True)
            assert per_platform is not None
            names[port] = _read_names(per_platform)
    identity = midi.section("identity")
    fields: dict[str, str | None] = {"manufacturer": None, "family": None, "model": None}
    if identity is not None:
        for key in fields:
            fields[key] = identity.text(key, pattern=_HEX_BYTES, what="hex bytes, e.g. '00206b'")
        identity.close()
    caps = MidiCaps(ports=midi.integer("ports", minimum=1), port_names=names, **fields)
    midi.close()
    return caps


def _profile_dir() -> Path:
    return Path(__file__).with_name("profiles")


def profile_names() -> list[str]:
    return sorted(p.stem for p in _profile_dir().glob("*.toml"))


@functools.cache
def load_profile(name: str) -> Profile:
    """A shipped profile by name; KeyError if there is none."""
    path = _profile_dir() / f"{name}.toml"
    if not path.is_file():
        raise KeyError(name)
    profile = parse_profile(load_toml(path), str(path))
    if profile.id != name:
        raise Section({}, "profile", str(path)).error("id", f"expected {name!r} (the file name)")
    return profile
