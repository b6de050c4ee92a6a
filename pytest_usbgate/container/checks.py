"""The container layer's checks (values -> criteria) for the suites, and later the
doctor: the rig's compose file linted (design gate)."""

from __future__ import annotations

import os

from pytest_usbgate.config.rig import Rig
from pytest_usbgate.container.files import ComposeUnreadable, read_compose
from pytest_usbgate.container.lint import RigDevice, lint_text
from pytest_usbgate.evidence.allure import attach_json
from pytest_usbgate.gate.checker import Criteria
from pytest_usbgate.gate.criteria import Record


def rig_devices(rig: Rig) -> list[RigDevice]:
    return [
        RigDevice(d.id, d.profile.name, int(d.profile.vendor_id, 16), int(d.profile.product_id, 16))
        for d in rig.devices
    ]


def check_compose(criteria: Criteria, rig: Rig) -> Record | None:
    """container.compose_problems for the rig's `[stack] compose`; None without one."""
    compose = rig.stack.compose if rig.stack is not None else None
    if compose is None:
        return None
    try:
        text, env = read_compose(compose, os.environ)
    except ComposeUnreadable as exc:
        return criteria.check("container.compose_problems", None, detail=str(exc))
    problems = lint_text(text, env, rig_devices(rig))
    attach_json("compose problems", [p.to_dict() for p in problems])
    detail = "\n".join(
        [f"{compose}: {len(problems)} problem(s)", *(p.describe() for p in problems)]
    )
    return criteria.check("container.compose_problems", len(problems), detail=detail)
