"""MIDI evidence for Allure: latencies as CSV, the summary as JSON, the histogram as a
PNG (matplotlib, Agg backend: no display needed), an identity reply in hex."""

from __future__ import annotations

import io
import json

import allure

from pytest_usbgate.midi.loop import HISTOGRAM_BIN_MS, LoopStats


def latencies_csv(stats: LoopStats) -> str:
    rows = ["message,latency_ms"] + [f"{i},{x:.4f}" for i, x in enumerate(stats.latencies_ms)]
    return "\n".join(rows) + "\n"


def histogram_png(stats: LoopStats, title: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    bins = stats.histogram()
    figure = Figure(figsize=(7, 3.5), dpi=100)
    axes = figure.add_subplot()
    axes.bar(
        [start for start, _ in bins],
        [count for _, count in bins],
        width=HISTOGRAM_BIN_MS,
        align="edge",
        color="#3b6ea5",
    )
    axes.set_xlabel("round trip (ms), 0.1 ms bins")
    axes.set_ylabel("messages")
    axes.set_title(
        f"{title}: p50 {stats.percentile_ms(50):.2f} ms, p99 {stats.percentile_ms(99):.2f} ms, "
        f"lost {stats.lost}"
    )
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def attach_loop(stats: LoopStats, title: str) -> None:
    allure.attach(
        histogram_png(stats, title),
        name="round-trip histogram",
        attachment_type=allure.attachment_type.PNG,
    )
    allure.attach(
        latencies_csv(stats), name="round trips", attachment_type=allure.attachment_type.CSV
    )
    allure.attach(
        json.dumps(stats.summary(), indent=2),
        name="round-trip summary",
        attachment_type=allure.attachment_type.JSON,
    )


def attach_hex(name: str, data: bytes) -> None:
    allure.attach(data.hex(" "), name=name, attachment_type=allure.attachment_type.TEXT)
