"""WAV files without a dependency: 32-bit float out (with the stimulus description in
a LIST/INFO comment), and in: PCM 16/24/32-bit and float 32/64, plain or
WAVE_FORMAT_EXTENSIBLE. Reading is by slices: an hour-long capture is never loaded.
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
class _Samples:
    """Where a WAV's samples are and how they are stored; read by frame ranges."""

    path: Path
    offset: int  # of the first frame, bytes
    channels: int
    frames: int
    bits: int
    dtype: str  # numpy's, for 16/32/64-bit samples
    scale: float  # stored value -> full scale 1.0

    def read(self, start: int, stop: int, channel: int) -> npt.NDArray[np.float64]:
        """Frames `start`..`stop` of one channel, read from the file (not mapped: only
        the piece asked for is in memory)."""
        start, stop = max(0, start), min(stop, self.frames)
        count = max(0, stop - start)
        width = self.bits // 8
        with self.path.open("rb") as handle:
            handle.seek(self.offset + start * width * self.channels)
            raw = handle.read(count * width * self.channels)
        if self.bits == 24:
            b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
            value = b[:, 0] | b[:, 1] << 8 | b[:, 2] << 16
            samples = np.where(value >= 1 << 23, value - (1 << 24), value)
        else:
            samples = np.frombuffer(raw, dtype=self.dtype)
        frames = samples.reshape(-1, self.channels)[:, channel]
        return np.asarray(frames, dtype=np.float64) * self.scale


@dataclass(frozen=True, slots=True)
class Wav:
    path: Path
    samplerate: int
    channels: int
    frames: int
    comment: str
    _samples: _Samples

    def channel(self, index: int) -> npt.NDArray[np.float64]:
        """One channel (0-based) as float64, full scale 1.0, all in memory."""
        return self.channel_view(index)[:]

    def channel_view(self, index: int) -> _ChannelView:
        """One channel read lazily: slicing reads only the slice."""
        if not 0 <= index < self.channels:
            raise WavError(f"{self.path}: no channel {index + 1} (it has {self.channels})")
        return _ChannelView(self._samples, index)


class _ChannelView:
    """Slices (step 1) of one channel of a WAV file, as float64 arrays."""

    def __init__(self, samples: _Samples, index: int) -> None:
        self._samples = samples
        self._index = index

    def __len__(self) -> int:
        return self._samples.frames

    def __getitem__(self, key: slice) -> npt.NDArray[np.float64]:
        start, stop, step = key.indices(self._samples.frames)
        if step != 1:
            raise ValueError("a WAV channel is read in contiguous slices")
        return self._samples.read(start, stop, self._index)


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
    samples = _Samples(path, data_at, channels, frames, bits, dtype, scale)
    return Wav(path, rate, channels, frames, comment, samples)


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
