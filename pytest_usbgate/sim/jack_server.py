"""jackd with the dummy driver, under a server name no running session uses.

JACK2 keeps servers in a shared registry of 8 slots and reclaims a dead server's slot
only for a server of the same name. So names come from a fixed pool (`usbgate-0` …),
each guarded by a lock file the session holds while it lives (the kernel drops the lock
when the process dies, however it dies): a session killed with SIGKILL leaves a slot
the next session of that name reclaims.
"""

from __future__ import annotations

import fcntl
import shutil
import tempfile
import time
from pathlib import Path
from typing import IO, Any, Final

from pytest_usbgate.errors import InfrastructureError
from pytest_usbgate.sim.procs import Service

NAME_POOL: Final = tuple(f"usbgate-{i}" for i in range(8))
EARLY_EXIT_S: Final = 0.25  # jackd refusing a taken name exits within this
OPEN_TIMEOUT_S: Final = 10.0


def open_client(name: str, server: str, timeout_s: float = OPEN_TIMEOUT_S) -> Any:
    """A JACK-Client client of `server`, trying again while the server starts or refuses
    for a moment (with two servers starting at once JACK2 answers "server_error" now
    and then)."""
    import jack  # type: ignore[import-untyped]  # JACK-Client (no types); needs libjack

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return jack.Client(name, servername=server, no_start_server=True)
        except jack.JackOpenError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def client_env(server: str) -> dict[str, str]:
    """What every JACK client of the session (PortAudio, python-rtmidi, the model) reads."""
    return {
        "JACK_DEFAULT_SERVER": server,
        "JACK_NO_START_SERVER": "1",
        "JACK_NO_AUDIO_RESERVATION": "1",
    }


def _claim(server: str) -> IO[bytes] | None:
    """Hold `server`'s lock file, or None if another live session holds it."""
    lock = (Path(tempfile.gettempdir()) / f"{server}.usbgate.lock").open("ab")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        return None
    return lock


def start_jackd(
    samplerate: int, blocksize: int, channels: int, workdir: Path
) -> tuple[Service, str]:
    """jackd starting under the first free name of the pool, and that name; the service
    holds the name's lock until it stops. Its first client (the device model) waits for it."""
    binary = shutil.which("jackd")
    if binary is None:
        raise InfrastructureError("sim: jackd not found: apt-get install jackd2")
    for server in NAME_POOL:
        lock = _claim(server)
        if lock is None:
            continue
        argv = [
            binary,
            "--name",
            server,
            "--no-mlock",
            # synchronous: a client late in a cycle delays it, where asynchronous mode goes
            # on without it and a reader gets a stale buffer (a break in the stream that no
            # device made). The dummy driver has no hardware clock to keep up with.
            "--sync",
            "-d",
            "dummy",
            "-r",
            str(samplerate),
            "-p",
            str(blocksize),
            "-C",
            str(channels),
            "-P",
            str(channels),
        ]
        service = Service("jackd", argv, workdir / f"jackd-{server}.log", env=client_env(server))
        service.hold(lock)
        deadline = time.monotonic() + EARLY_EXIT_S
        while service.running() and time.monotonic() < deadline:
            time.sleep(0.01)
        if service.running():
            return service, server
        service.stop()  # refused the name (a server not of ours holds it): next one
    raise InfrastructureError(
        f"sim: no JACK server name free ({', '.join(NAME_POOL)}): too many JACK servers run "
        "on this machine (JACK2 allows 8)"
    )
