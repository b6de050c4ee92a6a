"""MIDI harness floor: what our own code adds to a round trip (target p99 <= 20 us each),
and the run time of a 1000-message loopback on the sim rig.

- receive: from the input callback firing to the arrival being recorded and the sender
  woken (the callback stamps the time first, appends, decodes the tag, sets the event);
- send: from deciding to send (encode the next tag) to the send call itself.

Both are timed around our code with a null output port, so rtmidi's own send cost is
not counted; the loopback run uses the real sim (jackd, device model, python-rtmidi).

    LD_PRELOAD=libumockdev-preload.so.0 .venv/bin/python bench/midi_floor.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from pytest_usbgate.config.rig import load_rig
from pytest_usbgate.midi.loop import encode_tag
from pytest_usbgate.midi.ports import MidiPorts, PortSpec, _PingPong, rig_midi, round_trip
from pytest_usbgate.sim.session import SimSession, plan

RIG = Path(__file__).resolve().parent.parent / "pytest_usbgate" / "config" / "rigs" / "sim.toml"
ROUNDS = 16_000  # tags are 14 bits


class _NullOut:
    def send_message(self, message: object) -> None:
        pass


def _p99_us(samples_ns: list[int]) -> tuple[float, float]:
    ordered = sorted(samples_ns)
    return statistics.median(ordered) / 1e3, ordered[int(0.99 * len(ordered)) - 1] / 1e3


def harness_floor() -> None:
    link = MidiPorts(PortSpec("bench", "none"))
    link._out = _NullOut()
    game = _PingPong(link, first_tag=0)
    link.on_arrival = game.on_arrival
    receive, send = [], []
    for tag in range(ROUNDS):
        game.send(tag)
        event = (list(encode_tag(tag)), 0.0)
        began = time.perf_counter_ns()
        link._on_message(event, None)  # records the arrival, wakes the sender
        receive.append(time.perf_counter_ns() - began)
    for tag in range(ROUNDS):
        began = time.perf_counter_ns()
        message = encode_tag(tag % 16384)
        link.send(message)
        send.append(time.perf_counter_ns() - began)
    median, p99 = _p99_us(receive)
    print(f"receive (callback, sender woken):   median {median:.1f} us  p99 {p99:.1f} us")
    median, p99 = _p99_us(send)
    print(f"send (decide -> send call):         median {median:.1f} us  p99 {p99:.1f} us")


def loopback_run_time(rounds: int = 5) -> None:
    rig = load_rig(RIG)
    session = SimSession(plan(rig, frozenset())).start()
    try:
        device = rig_midi(rig, "midi.loopback")
        assert device is not None
        times, medians = [], []
        for _ in range(rounds):
            began = time.monotonic()
            with device.port.open() as ports:
                stats = round_trip(ports, count=1000)
            times.append(time.monotonic() - began)
            medians.append(stats.percentile_ms(50))
        print(
            f"1000-message loopback on the sim: median {statistics.median(times):.2f} s, "
            f"max {max(times):.2f} s; p50 round trip {statistics.median(medians):.3f} ms "
            f"(JACK period {session.plan.blocksize / session.plan.samplerate * 1000:.3f} ms); "
            f"xruns during the runs: {session.xruns()}"
        )
    finally:
        session.stop()


if __name__ == "__main__":
    harness_floor()
    loopback_run_time()
