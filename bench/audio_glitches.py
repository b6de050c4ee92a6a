"""Glitch detector benchmark (issue 5): detection rate for single-sample slips (a
dropped and a repeated sample), 1 ms dropouts and -40 dBFS pops, each put at a random
place in a 997 Hz tone at -1 dBFS with -100 dBFS noise, band-limited like a converter;
false positives over one hour of clean tone; analysis speed in multiples of real time
for one 48 kHz channel; peak memory of the analysis of that hour (tracemalloc, numpy
allocations included), which streams: the hour is made and analyzed 10 s at a time.

    .venv/bin/python bench/audio_glitches.py --trials 100 --hours 1
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Iterator

import numpy as np

from pytest_usbgate.audio.analysis import analyze
from pytest_usbgate.audio.glitch import find_glitches, fit_blocks
from pytest_usbgate.audio.stimulus import Stimulus
from pytest_usbgate.audio.synthetic import through_cable

RATE, TONE_HZ, PEAK = 48000, 997.0, 10 ** (-1 / 20)
NOISE_SIGMA = 10 ** (-100 / 20) / np.sqrt(2)
CHUNK_S = 10


def damage(capture: np.ndarray, kind: str, at: int) -> np.ndarray:
    if kind == "dropped_sample":
        return np.concatenate([capture[:at], capture[at + 1 :], capture[-1:]])
    if kind == "repeated_sample":
        return np.concatenate([capture[: at + 1], capture[at:-1]])
    out = capture.copy()
    if kind == "dropout":
        out[at : at + RATE // 1000] = 0.0
    else:
        out[at] += 0.01  # -40 dBFS
    return out


def detection(trials: int, seed: int) -> None:
    stimulus = Stimulus("sine", RATE, 3.0, level_dbfs=-1.0)
    rng = np.random.default_rng(seed)
    for kind in ("dropped_sample", "repeated_sample", "dropout", "pop"):
        found = exact = 0
        for trial in range(trials):
            delay = float(rng.uniform(50, 2000))
            capture = through_cable(stimulus.render(), RATE, delay, noise_dbfs=-100.0, seed=trial)
            first = stimulus.start + int(delay) + RATE // 10  # well inside the steady tone
            at = int(rng.integers(first, first + 2 * RATE))
            glitches = analyze(stimulus, damage(capture, kind, at)).glitches
            hits = [g for g in glitches if abs(g.time_s - at / RATE) < 0.005]
            found += bool(hits) and all(g.kind == kind for g in hits)
            exact += len(glitches) == 1
        print(
            f"{kind:16} found with the right kind {found}/{trials} "
            f"({100 * found / trials:.0f} %); exactly one glitch reported {exact}/{trials}"
        )


def clean_hour(hours: float, seed: int) -> Iterator[np.ndarray]:
    rng = np.random.default_rng(seed)
    chunk = CHUNK_S * RATE
    omega = 2 * np.pi * TONE_HZ / RATE
    for start in range(0, int(hours * 3600 * RATE), chunk):
        n = np.arange(start, start + chunk, dtype=np.float64)
        x = PEAK * np.cos(omega * n) + rng.standard_normal(chunk) * NOISE_SIGMA
        yield x


def false_positives(hours: float, seed: int) -> None:
    began = time.perf_counter()
    for _ in clean_hour(hours, seed):
        pass
    making_s = time.perf_counter() - began
    tracemalloc.start()
    began = time.perf_counter()
    fits = fit_blocks(clean_hour(hours, seed), RATE, TONE_HZ)
    glitches = find_glitches(fits, RATE, TONE_HZ)
    total_s = time.perf_counter() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    analysis_s = max(total_s - making_s, 1e-9)
    audio_s = hours * 3600
    print(
        f"clean tone, {audio_s / 3600:g} h: {len(glitches)} false positives; analysis "
        f"{analysis_s:.1f} s = {audio_s / analysis_s:.0f}x real time (making the signal: "
        f"{making_s:.1f} s, not counted); peak traced memory {peak / 1e6:.0f} MB"
    )
    for glitch in glitches[:5]:
        print("  ", glitch.describe())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    detection(args.trials, args.seed)
    false_positives(args.hours, args.seed)


if __name__ == "__main__":
    main()
