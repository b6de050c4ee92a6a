"""WAV files without a dependency: 32-bit float out (with the stimulus description in
a LIST/INFO comment), and in: PCM 16/24/32-bit and float 32/64, plain or
WAVE_FORMAT_EXTENSIBLE. Reading maps the file: an hour-long capture is not loaded.
Every problem is one `WavError` line naming the file."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

import numpy as np
import numpy.typing as npt

PCM: Final = 1
FLOAT: Final = 3
EXTENSIBLE: Final = 0xFFFE


class WavError(ValueError):
    """A file that is not a WAV this reader understands, in one line."""


@dataclass(frozen=True, slots=True)
class Wav:
    path: Path
    samplerate: int
    channels: int
    frames: int
    comment: str
    _data: npt.NDArray[np.generic]  # frames x channels, as stored (a memory map)
    _scale: float  # stored value -> full scale 1.0

    def channel(self, index: int) -> npt.NDArray[np.float64]:
        """One channel (0-based) as float64, full scale 1.0, all in memory."""
        return self.channel_view(index)[:]

    def channel_view(self, index: int) -> _ChannelView:
        """One channel read lazily: slicing reads only the slice."""
        if not 0 <= index < self.channels:
            raise WavError(f"{self.path}: no channel {index + 1} (it has {self.channels})")
        return _ChannelView(self._data, index, self._scale)


class _ChannelView:
    """Slices of one channel of a mapped WAV as float64 arrays."""

    def __init__(self, data: npt.NDArray[np.generic], index: int, scale: float) -> None:
        self._data = data
        self._index = index
        self._scale = scale

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, key: slice) -> npt.NDArray[np.float64]:
        return np.asarray(self._data[key, self._index], dtype=np.float64) * self._scale


def write_wav(path: Path, samples: npt.ArrayLike, samplerate: int, comment: str = "") -> None:
    """Float32 WAV; `samples` is frames, or frames x channels."""
    data = np.asarray(samples, dtype=np.float32)
    if data.ndim == 1:
        data = data[:, None]
    channels = data.shape[1]
    fmt = struct.pack(
        "<HHIIHH", FLOAT, channels, samplerate, samplerate * 4 * channels, 4 * channels, 32
    )
    chunks = [_chunk(b"fmt ", fmt)]
    if comment:
        text = comment.encode() + b"\0"
        chunks.append(_chunk(b"LIST", b"INFO" + _chunk(b"ICMT", text)))
    chunks.append(_chunk(b"data", data.astype("<f4").tobytes()))
    body = b"WAVE" + b"".join(chunks)
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)


def _chunk(kind: bytes, payload: bytes) -> bytes:
    pad = b"\0" if len(payload) % 2 else b""
    return kind + struct.pack("<I", len(payload)) + payload + pad


def read_wav(path: Path) -> Wav:
    try:
        with path.open("rb") as handle:
            head = handle.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                raise WavError(f"{path}: not a WAV file (no RIFF/WAVE header)")
            fmt, comment, data_at, data_size = _walk(handle, path)
    except OSError as exc:
        raise WavError(f"{path}: cannot read: {exc.strerror or exc}") from None
    tag, channels, rate, _, align, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == EXTENSIBLE and len(fmt) >= 26:
        tag = struct.unpack("<H", fmt[24:26])[0]
    dtype, scale = _sample_type(path, tag, bits)
    if channels < 1 or align != channels * bits // 8:
        raise WavError(f"{path}: inconsistent format ({channels} channels, block {align} bytes)")
    frames = data_size // align
    if frames == 0:
        raise WavError(f"{path}: empty (no samples)")
    if bits == 24:
        data = _read_24(path, data_at, frames, channels)
    else:
        data = np.memmap(path, dtype=dtype, mode="r", offset=data_at, shape=(frames, channels))
    return Wav(path, rate, channels, frames, comment, data, scale)


def _walk(handle: BinaryIO, path: Path) -> tuple[bytes, str, int, int]:
    """(fmt payload, INFO comment, data offset, data size) from the chunk list."""
    fmt, comment = b"", ""
    while True:
        header = handle.read(8)
        if len(header) < 8:
            raise WavError(f"{path}: no data chunk")
        kind, size = header[:4], struct.unpack("<I", header[4:])[0]
        if kind == b"data":
            if not fmt:
                raise WavError(f"{path}: data before the fmt chunk")
            at = handle.tell()
            end = handle.seek(0, 2)
            return fmt, comment, at, min(size, end - at)
        payload = handle.read(size + size % 2)
        if kind == b"fmt ":
            if size < 16:
                raise WavError(f"{path}: fmt chunk of {size} bytes (expected 16 or more)")
            fmt = payload[:size]
        elif kind == b"LIST" and payload[:4] == b"INFO":
            comment = _info_comment(payload[4:size])


def _info_comment(info: bytes) -> str:
    at = 0
    while at + 8 <= len(info):
        kind, size = info[at : at + 4], struct.unpack("<I", info[at + 4 : at + 8])[0]
        if kind == b"ICMT":
            return info[at + 8 : at + 8 + size].rstrip(b"\0").decode(errors="replace")
        at += 8 + size + size % 2
    return ""


def _sample_type(path: Path, tag: int, bits: int) -> tuple[str, float]:
    if tag == PCM and bits in (16, 24, 32):
        return {16: "<i2", 24: "<i4", 32: "<i4"}[bits], 1.0 / 2 ** (bits - 1)
    if tag == FLOAT and bits in (32, 64):
        return {32: "<f4", 64: "<f8"}[bits], 1.0
    kind = {PCM: "PCM", FLOAT: "float"}.get(tag, f"format tag {tag:#x}")
    raise WavError(
        f"{path}: unsupported samples ({kind}, {bits} bits); expected PCM 16/24/32 or float 32/64"
    )


def _read_24(path: Path, offset: int, frames: int, channels: int) -> npt.NDArray[np.int32]:
    raw = np.memmap(path, dtype=np.uint8, mode="r", offset=offset, shape=(frames * channels, 3))
    value = (
        raw[:, 0].astype(np.int32)
        | raw[:, 1].astype(np.int32) << 8
        | raw[:, 2].astype(np.int32) << 16
    )
    value = np.where(value >= 1 << 23, value - (1 << 24), value)
    return value.reshape(frames, channels)
