"""Allure labels, parameters and attachments for the running test (allure-pytest's API)."""

from __future__ import annotations

import json
from typing import Any

import allure
from allure_commons.types import Severity

from pytest_usbgate.criteria import Record, format_value


def label_record(record: Record, severity: str | None) -> None:
    """feature = layer, story = domain, the value as an excluded parameter; `severity`
    for the first record of a test."""
    if severity is not None:
        allure.dynamic.severity(Severity(severity))  # type: ignore[no-untyped-call]
    allure.dynamic.feature(record.layer)  # type: ignore[no-untyped-call]
    allure.dynamic.story(record.domain)  # type: ignore[no-untyped-call]
    allure.dynamic.parameter(record.id, format_value(record.value, record.unit), excluded=True)


def attach_json(name: str, data: Any) -> None:
    allure.attach(
        json.dumps(data, indent=2), name=name, attachment_type=allure.attachment_type.JSON
    )
