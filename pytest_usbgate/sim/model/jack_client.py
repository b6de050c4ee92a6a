"""The device-model process: JACK clients named like the real devices, running the pure
models of `audio` and `midi` in their process callbacks.

Started by the sim as `python -m pytest_usbgate.sim.model.jack_client CONFIG.json`;
prints one JSON line when its ports are live, exits cleanly on SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from pytest_usbgate.sim.jack_server import open_client
from pytest_usbgate.sim.model.audio import Cable, CableParams
from pytest_usbgate.sim.model.midi import (
    Event,
    IdentityParams,
    IdentityResponder,
    LoopParams,
    MidiLoop,
)


def _audio_device(server: str, spec: dict[str, Any]) -> Any:
    client = open_client(spec["client"], server)
    inputs = [client.inports.register(f"playback_{i}") for i in range(1, spec["outputs"] + 1)]
    outputs = [client.outports.register(f"capture_{i}") for i in range(1, spec["inputs"] + 1)]
    cable = Cable(CableParams(samplerate=client.samplerate, **spec["cable"]))
    src, dst = spec["cable_output"] - 1, spec["cable_input"] - 1
    mirrors = {dst_ch - 1: src_ch - 1 for dst_ch, src_ch in spec["digital_loopback"]}
    midi = _midi_ports(client, spec.get("midi", []))
    rng = np.random.default_rng(spec["cable"].get("seed", 1) + 100)

    def process(frames: int) -> None:
        returned = cable.process(inputs[src].get_array())
        for index, port in enumerate(outputs):
            out = port.get_array()
            if index == dst:
                out[:] = returned
            elif index in mirrors:
                out[:] = inputs[mirrors[index]].get_array()
            else:
                out[:] = (
                    rng.standard_normal(frames) * cable.sigma
                )  # the same noise floor on unconnected inputs
        midi(frames)

    client.set_process_callback(process)
    return client


def _midi_ports(client: Any, specs: list[dict[str, Any]]) -> Callable[[int], None]:
    """Register each MIDI port pair and return the per-cycle function that runs its model."""
    stages: list[tuple[Any, Any, Callable[[int, int, list[Event]], list[Event]]]] = []
    rate = client.samplerate
    for spec in specs:
        inport = client.midi_inports.register(f"{spec['port']} playback")
        outport = client.midi_outports.register(f"{spec['port']} capture")
        model: Callable[[int, int, list[Event]], list[Event]]
        if "loop" in spec:
            model = MidiLoop(LoopParams(samplerate=rate, **spec["loop"])).process
        elif "identity" in spec:
            ident = dict(spec["identity"])
            ident["reply"] = bytes.fromhex(ident["reply"])
            model = IdentityResponder(IdentityParams(samplerate=rate, **ident)).process
        else:

            def model(start: int, frames: int, events: list[Event]) -> list[Event]:
                return []

        stages.append((inport, outport, model))
    clock = [0]

    def run(frames: int) -> None:
        start = clock[0]
        for inport, outport, model in stages:
            events = [(offset, bytes(data)) for offset, data in inport.incoming_midi_events()]
            outport.clear_buffer()
            for offset, data in model(start, frames, events):
                outport.write_midi_event(offset, data)
        clock[0] = start + frames

    return run


def main(argv: list[str]) -> int:
    config = json.loads(Path(argv[1]).read_text())
    server = config["server"]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    clients = [_audio_device(server, spec) for spec in config["audio"]]
    for spec in config["midi"]:
        client = open_client(spec["client"], server)
        client.set_process_callback(_midi_ports(client, spec["ports"]))
        clients.append(client)
    for client in clients:
        client.activate()
    first = clients[0]
    print(
        json.dumps(
            {
                "ready": True,
                "clients": [c.name for c in clients],
                "samplerate": first.samplerate,
                "blocksize": first.blocksize,
            }
        ),
        flush=True,
    )
    stop.wait()
    # the server may be going down too (pytest died): never hang in cleanup
    watchdog = threading.Timer(1.0, os._exit, args=(0,))
    watchdog.daemon = True  # a clean exit does not wait for it
    watchdog.start()
    for client in clients:
        client.deactivate()
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
