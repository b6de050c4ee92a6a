"""The sim rig as sessions see it: every fault in the catalog changes what its layer
reports (test_sim_rig.py, re-run under faults), sessions run side by side, and no
process of ours outlives its session."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pytest_usbgate.sim.faults import FAULTS
from pytest_usbgate.sim.procs import STOP_GRACE_S

from .conftest import CHECKOUT, survivors, write_rig

RIG_CHECKS = CHECKOUT / "tests" / "test_sim_rig.py"
GONE_WITHIN_S = STOP_GRACE_S + 5  # the reaper SIGKILLs after STOP_GRACE_S
# Faults that can share a session: each touches a different part of the sim.
GROUPS = [
    (
        "midi-drop",
        "midi-late",
        "midi-silent-identity",
        "audio-dropout",
        "usb-missing",
        "usb-autosuspend",
        "kernel-errors",
    ),
    ("audio-slip", "usb-full-speed"),
    ("audio-unplugged",),
]


def test_groups_cover_the_catalog() -> None:
    assert sorted(f for group in GROUPS for f in group) == sorted(FAULTS)


def _pytest(args: list[str], pids: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, USBGATE_TEST_SIM_PIDS=str(pids))
    env.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            str(RIG_CHECKS),
            "-p",
            "no:cacheprovider",
            "-q",
            "-p",
            "no:randomly",
            *args,
        ],
        cwd=CHECKOUT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.parametrize("faults", GROUPS, ids=["+".join(g) for g in GROUPS])
def test_each_fault_changes_what_its_layer_reports(faults: tuple[str, ...], tmp_path: Path) -> None:
    args = [arg for fault in faults for arg in ("--usbgate-fault", fault)]
    proc = _pytest(args, tmp_path / "pids.json")
    output, _ = proc.communicate(timeout=240)
    assert proc.returncode == 0, output[-3000:]
    recorded = json.loads((tmp_path / "pids.json").read_text())
    assert len(recorded["pids"]) == 3  # jackd, QEMU, device model
    assert not survivors(recorded["pids"], GONE_WITHIN_S)


def test_two_sessions_run_side_by_side_and_leave_nothing(tmp_path: Path) -> None:
    # what shows each session reaching its own services, without the frame-exact MIDI
    # timing that three sims on two cores (this pair and another worker's) can upset
    selection = ["-k", "record or audio or midi_identity or usb_unplug"]
    procs = [_pytest(selection, tmp_path / f"pids{i}.json") for i in range(2)]
    outputs = [p.communicate(timeout=240)[0] for p in procs]
    for proc, output in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, output[-3000:]
    sessions = [json.loads((tmp_path / f"pids{i}.json").read_text()) for i in range(2)]
    assert sessions[0]["server"] != sessions[1]["server"]
    assert not survivors(sessions[0]["pids"] + sessions[1]["pids"], GONE_WITHIN_S)


def test_xdist_workers_each_get_their_own_sim(tmp_path: Path) -> None:
    proc = _pytest(["-n", "2", "-k", "record or audio or usb"], tmp_path / "pids.json")
    output, _ = proc.communicate(timeout=240)
    assert proc.returncode == 0, output[-3000:]
    assert "passed" in output


def test_killed_pytest_takes_its_services_along(tmp_path: Path) -> None:
    pids = tmp_path / "pids.json"
    proc = _pytest(["-k", "record or midi_loopback"], pids)
    deadline = time.monotonic() + 60
    while not pids.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pids.exists(), "the session never started"
    time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    recorded = json.loads(pids.read_text())
    assert not survivors(recorded["pids"], GONE_WITHIN_S)
    folders = [Path(f) for f in recorded["folders"]]  # the session's and umockdev's
    assert len(folders) == 2 and all(f.is_absolute() for f in folders), folders
    deadline = time.monotonic() + GONE_WITHIN_S
    while any(f.exists() for f in folders) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [f for f in folders if f.exists()], "the killed session left its folders"


def test_unknown_fault_is_a_usage_error_listing_the_catalog(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("--usbgate-fault", "midi-dorp")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--usbgate-fault 'midi-dorp': unknown fault; the catalog: midi-drop*"]
    )
    result.stderr.fnmatch_lines(["usb-autosuspend * host / power: power/control=auto*"])
    assert "Traceback" not in result.stderr.str()


def test_faults_are_refused_on_a_real_rig(pytester: pytest.Pytester) -> None:
    rig = write_rig(pytester.path, "bench")
    rig.write_text(rig.read_text().replace('kind = "sim"', 'kind = "real"').split("[sim.audio]")[0])
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest(f"--rig={rig}", "--usbgate-fault", "midi-drop")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--usbgate-fault is for the sim rig only; rig bench*kind = 'real'*"]
    )
