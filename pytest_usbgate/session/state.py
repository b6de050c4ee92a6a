"""Per-session and per-item state kept in pytest's stash."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_usbgate.gate.names import GATES

if TYPE_CHECKING:
    from pytest_usbgate.config.rig import Rig
    from pytest_usbgate.gate.criteria import CriterionDef, Record
    from pytest_usbgate.session.run import GateRun


@dataclass
class SessionState:
    """What the plugin keeps for a session."""

    gate: str | None
    rig_spec: str
    rootdir: Path
    rig: Rig | None = None
    build_id: str | None = None
    run: GateRun | None = None  # on the controller of a gate run only
    faults: frozenset[str] = field(default_factory=frozenset)
    sim_line: str = ""  # what the sim rig started, for the summary
    allure_dir: Path | None = None  # where this gate run's Allure results go

    def load_rig(self) -> Rig:
        """The rig from `--rig`, loaded once; ConfigError when it is missing or invalid."""
        if self.rig is None:
            from pytest_usbgate.config.rig import load_rig, resolve_rig

            self.rig = load_rig(resolve_rig(self.rig_spec, self.rootdir))
        return self.rig


class ItemRecords:
    """A test's records, how many of them an earlier phase's report carried, and what
    it has said to Allure."""

    __slots__ = ("records", "reported", "stamps")

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.reported = 0
        from pytest_usbgate.evidence.allure import TestStamps

        self.stamps = TestStamps()

    def take_new(self) -> list[Record]:
        new = self.records[self.reported :]
        self.reported = len(self.records)
        return new


STATE = pytest.StashKey[SessionState]()
EARLY_RIG = pytest.StashKey["Rig"]()  # the rig as loaded before configure, when it was
NODE_GATE = pytest.StashKey[str | None]()
ITEM_RECORDS = pytest.StashKey[ItemRecords]()


def setting(config: pytest.Config, name: str) -> str:
    """An option of ours (`--gate`), else its ini value (`usbgate_gate`)."""
    value = config.getoption(name)
    return str(value) if value else str(config.getini(f"usbgate_{name}"))


def session_state(config: pytest.Config) -> SessionState:
    return config.stash[STATE]


def item_gate(item: pytest.Item) -> str | None:
    """The gate a test belongs to: @pytest.mark.gate("…") on it or the closest node above
    it, else a suites/<gate>/ folder. What the nodes above say is worked out once for
    all the tests in them."""
    for marker in item.own_markers:
        if marker.name == "gate":
            return _marked_gate(item, marker)
    parent = item.parent
    return _node_gate(parent) if parent is not None else _folder_gate(item.path)


def _node_gate(node: pytest.Collector) -> str | None:
    if NODE_GATE not in node.stash:
        marker = node.get_closest_marker("gate")
        node.stash[NODE_GATE] = (
            _marked_gate(node, marker) if marker is not None else _folder_gate(node.path)
        )
    return node.stash[NODE_GATE]


def _marked_gate(node: pytest.Item | pytest.Collector, marker: pytest.Mark) -> str:
    if len(marker.args) != 1 or marker.args[0] not in GATES:
        raise pytest.UsageError(
            f"{node.nodeid}: @pytest.mark.gate{marker.args!r}: expected "
            f"one gate name of: {', '.join(GATES)}"
        )
    return str(marker.args[0])


def _folder_gate(path: Path) -> str | None:
    parts = path.parts
    for index in range(len(parts) - 2, -1, -1):
        if parts[index] == "suites" and parts[index + 1] in GATES:
            return parts[index + 1]
    return None


def record_sink(item: pytest.Item) -> Callable[[Record, CriterionDef], None]:
    """Keep each record with its test and label the test in Allure by layer and domain."""
    kept = item.stash.setdefault(ITEM_RECORDS, ItemRecords())

    def sink(record: Record, criterion: CriterionDef) -> None:
        kept.stamps.record(record, criterion.severity)
        kept.records.append(record)

    return sink
