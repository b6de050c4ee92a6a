"""Glitches in a steady sine, pure and streaming: every block of about two cycles gets a
least-squares fit of the tone (cosine, sine and DC at the tone's frequency), which is
a notch that follows the tone's phase; from the fits:

- slip: the tone's phase steps by one frame (2 pi f / rate) from one block to the
  block after next: a dropped sample steps it forward, a repeated one back (DOMAIN.md
  §7: a plain sample-difference test cannot see this);
- dropout: a block's amplitude falls below 0.9 of the tone's (1 ms of silence takes at
  least a quarter of a block), or its residual
  (what the notch leaves) is too large and spread over many samples;
- pop: a residual that is too large (above `POP_FACTOR` times the typical residual RMS
  of a block) and mostly in one sample, where no slip explains it.

Only the blocks inside the given region are judged, so a tone's own fade-in and
fade-out are never glitches. Long captures are read in chunks: memory holds a few
numbers per block (about 70 MB per hour at 48 kHz), not the capture.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from pytest_usbgate.audio.delay import Samples
from pytest_usbgate.audio.quality import db

POP_FACTOR: Final = 12.0  # x the median block residual RMS: Gaussian noise stays under 7
DROPOUT_RATIO: Final = 0.9  # block amplitude / the tone's: a slip leaves it above 0.99
SPREAD_SHARE: Final = 0.5  # below: the largest residual sample holds under half its energy
CHUNK_BLOCKS: Final = 8192
DEPTH_FLOOR_DB: Final = -120.0  # a dropout to exact zeros reads as this


@dataclass(frozen=True, slots=True)
class Glitch:
    time_s: float
    kind: str  # "dropped_sample" | "repeated_sample" | "dropout" | "pop"
    size: float  # phase step in frames (slip), dB re the tone (dropout), peak dBFS (pop)

    def describe(self) -> str:
        unit = {"dropout": "dB re the tone", "pop": "dBFS"}.get(self.kind, "frames")
        return f"{self.time_s:.4f} s: {self.kind} ({self.size:+.2f} {unit})"


@dataclass(frozen=True, slots=True)
class BlockFits:
    """Per block (`length` samples each, the first at sample `first`): amplitude, phase
    at the block start (rad, wrapped, referred to sample 0), residual RMS, largest
    residual and its offset in the block. Single precision: 20 bytes a block."""

    first: int
    length: int
    amplitude: npt.NDArray[np.float32]
    phase_rad: npt.NDArray[np.float32]
    residual_rms: npt.NDArray[np.float32]
    residual_peak: npt.NDArray[np.float32]
    peak_offset: npt.NDArray[np.int32]

    @property
    def start(self) -> npt.NDArray[np.int64]:
        return self.first + np.arange(len(self.amplitude), dtype=np.int64) * self.length

    @property
    def peak_at(self) -> npt.NDArray[np.int64]:
        return self.start + self.peak_offset


def block_length(samplerate: int, frequency_hz: float) -> int:
    return max(8, math.ceil(2 * samplerate / frequency_hz))


def fit_blocks(
    chunks: Iterable[Samples], samplerate: int, frequency_hz: float, first_sample: int = 0
) -> BlockFits:
    """Fit every whole block in `chunks` (consecutive pieces of one signal whose first
    sample is sample `first_sample` of the capture)."""
    length = block_length(samplerate, frequency_hz)
    omega = 2 * np.pi * frequency_hz / samplerate
    m = np.arange(length)
    basis = np.stack([np.cos(omega * m), np.sin(omega * m), np.ones(length)])  # 3 x L
    solve = np.linalg.pinv(basis.T)  # 3 x L: coefficients = blocks @ solve.T
    parts: list[tuple[npt.NDArray[np.generic], ...]] = []
    for start, blocks in _blocks(chunks, length, first_sample):
        coef = blocks @ solve.T
        residual = blocks - coef @ basis
        peak_index = np.argmax(np.abs(residual), axis=1)
        rows = np.arange(len(blocks))
        starts = start + rows * length
        phase = np.arctan2(-coef[:, 1], coef[:, 0]) - omega * starts
        parts.append(
            (
                np.hypot(coef[:, 0], coef[:, 1]).astype(np.float32),
                np.angle(np.exp(1j * phase)).astype(np.float32),
                np.sqrt(np.mean(residual * residual, axis=1)).astype(np.float32),
                residual[rows, peak_index].astype(np.float32),
                peak_index.astype(np.int32),
            )
        )
    kinds = (np.float32, np.float32, np.float32, np.float32, np.int32)
    columns = [
        np.concatenate([part[i] for part in parts]) if parts else np.zeros(0, dtype=kind)
        for i, kind in enumerate(kinds)
    ]
    return BlockFits(first_sample, length, *columns)


def _blocks(
    chunks: Iterable[Samples], length: int, first_sample: int
) -> Iterator[tuple[int, Samples]]:
    """(first sample, blocks as rows) in groups of at most CHUNK_BLOCKS."""
    carry = np.zeros(0)
    at = first_sample
    for chunk in chunks:
        data = np.concatenate([carry, np.asarray(chunk, dtype=np.float64)])
        whole = len(data) // length
        for lo in range(0, whole, CHUNK_BLOCKS):
            hi = min(whole, lo + CHUNK_BLOCKS)
            yield at + lo * length, data[lo * length : hi * length].reshape(hi - lo, length)
        carry = data[whole * length :]
        at += whole * length


def find_glitches(fits: BlockFits, samplerate: int, frequency_hz: float) -> list[Glitch]:
    """The glitches in fitted blocks of a steady tone, in time order."""
    if len(fits.amplitude) < 8:
        return []
    omega = 2 * np.pi * frequency_hz / samplerate
    tone = float(np.median(fits.amplitude))
    low = fits.amplitude < DROPOUT_RATIO * tone
    glitches = [
        Glitch(
            (fits.first + i * fits.length) / samplerate,
            "dropout",
            db(float(fits.amplitude[i]) / tone, DEPTH_FLOOR_DB),
        )
        for i in _first_of_runs(low)
    ]
    disturbed = _dilate(low, 2)

    # phase: the step from block k-1 to k+1, less the tone's own drift (a clock offset)
    phase = np.unwrap(fits.phase_rad)
    step = phase[2:] - phase[:-2]
    drift = float(np.median(step))
    frames = (step - drift) / omega
    slipped = np.zeros(len(phase), dtype=bool)
    slipped[1:-1] = np.abs(frames) > 0.5
    slipped &= ~disturbed
    for i in _first_of_runs(slipped):
        run_end = i
        while run_end + 1 < len(slipped) and slipped[run_end + 1]:
            run_end += 1
        k = i + int(np.argmax(np.abs(frames[i - 1 : run_end])))
        size = float(frames[k - 1])
        kind = "dropped_sample" if size > 0 else "repeated_sample"
        glitches.append(Glitch((fits.first + k * fits.length) / samplerate, kind, size))
    disturbed |= _dilate(slipped, 2)

    floor = float(np.median(fits.residual_rms))
    loud = (np.abs(fits.residual_peak) > POP_FACTOR * max(floor, 1e-9)) & ~disturbed
    energy = fits.residual_rms**2 * block_length(samplerate, frequency_hz)
    share = fits.residual_peak**2 / np.maximum(energy, 1e-30)
    for i in _first_of_runs(loud):
        at_s = (fits.first + i * fits.length + int(fits.peak_offset[i])) / samplerate
        if share[i] < SPREAD_SHARE:
            depth = db(float(fits.residual_rms[i]) * math.sqrt(2) / tone, DEPTH_FLOOR_DB)
            glitches.append(Glitch(at_s, "dropout", depth))
        else:
            level = 20 * math.log10(abs(float(fits.residual_peak[i])))
            glitches.append(Glitch(at_s, "pop", level))
    return sorted(glitches, key=lambda g: g.time_s)


def _first_of_runs(mask: npt.NDArray[np.bool_]) -> list[int]:
    edges = np.flatnonzero(np.diff(np.concatenate([[False], mask]).astype(np.int8)) == 1)
    return [int(i) for i in edges]


def _dilate(mask: npt.NDArray[np.bool_], blocks: int) -> npt.NDArray[np.bool_]:
    out = mask.copy()
    for shift in range(1, blocks + 1):
        out[shift:] |= mask[:-shift]
        out[:-shift] |= mask[shift:]
    return out
