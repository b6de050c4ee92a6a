"""The criterion catalog shipped with the package (catalog.toml)."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path

from pytest_usbgate.config.limits import read_limit
from pytest_usbgate.config.reader import Section, load_toml
from pytest_usbgate.gate.criteria import CriterionDef
from pytest_usbgate.gate.names import DOMAINS, GATES, LAYERS, UNITS

_ID_PATTERN = r"[a-z]+\.[a-z0-9_]+"


def parse_catalog(data: Mapping[str, object], source: str) -> dict[str, CriterionDef]:
    doc = Section(data, "", source)
    table = doc.section("criteria", required=True)
    assert table is not None
    out: dict[str, CriterionDef] = {}
    for criterion_id, _ in list(table.entries()):
        entry = table.section(criterion_id)
        assert entry is not None
        if not re.fullmatch(_ID_PATTERN, criterion_id):
            raise entry.error("", "criterion ids are <domain>.<name> in lowercase")
        prefix = criterion_id.split(".", 1)[0]
        layer = entry.text("layer")
        if layer not in LAYERS:
            raise entry.error("layer", f"expected one of: {', '.join(LAYERS)}")
        domain = entry.text("domain", prefix)
        if domain not in DOMAINS:
            key = "domain" if prefix != domain else ""
            raise entry.error(
                key, f"unknown domain {domain!r} (expected one of: {', '.join(DOMAINS)})"
            )
        if prefix not in (domain, layer):
            raise entry.error("", f"the id's prefix {prefix!r} is neither its domain nor its layer")
        unit = entry.text("unit")
        if unit not in UNITS:
            raise entry.error("unit", f"expected one of: {', '.join(UNITS)}")
        required = entry.texts("required", ())
        for gate in required:
            if gate not in GATES:
                raise entry.error("required", f"unknown gate {gate!r}")
        limits_table = entry.section("limits")
        limits = {}
        if limits_table is not None:
            for gate, _ in list(limits_table.entries()):
                if gate not in GATES:
                    raise limits_table.error(gate, "unknown gate")
                limit_section = limits_table.section(gate)
                assert limit_section is not None
                limits[gate] = read_limit(limit_section)
        out[criterion_id] = CriterionDef(
            id=criterion_id,
            layer=layer,
            unit=unit,
            title=entry.text("title"),
            fix=entry.text("fix"),
            domain=domain,
            required=required,
            when=entry.text("when", None),
            severity=entry.text(
                "severity",
                "critical",
                pattern="blocker|critical|normal|minor|trivial",
                what="an Allure severity",
            ),
            limits=limits,
        )
        entry.close()
    doc.close()
    return out


@functools.cache
def builtin_catalog() -> Mapping[str, CriterionDef]:
    path = Path(__file__).with_name("catalog.toml")
    return parse_catalog(load_toml(path), str(path))
