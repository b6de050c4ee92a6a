"""The JSON of an Allure test result, from plain values: standard library only, so that
the evidence writer can load this file by itself and build a plain test's result there
(Spool.put_built), off the test's thread.

A plain test passed, and nothing in it or on it gave Allure more to say: no parameters,
title, marks of its own, steps, attachments, labels or links. What its siblings share
(labels, title path, the build's parameter, marks' descriptions) is its parent's
template, sent once; what is its own is a few values.
"""

from __future__ import annotations

import hashlib

TYPE_CHECKING = False  # the writer loads this file: typing would cost its start-up
if TYPE_CHECKING:
    from typing import Any

    Dict = dict[str, Any]


def md5(*parts: object) -> str:
    """allure_commons.utils.md5: strings as UTF-8, anything else by its repr."""
    digest = hashlib.md5(usedforsecurity=False)
    for part in parts:
        digest.update((part if isinstance(part, str) else repr(part)).encode("utf-8"))
    return digest.hexdigest()


def compact(item: Any) -> Any:
    """`item` (a dict, a list or a value) without empty fields (None, "", [], {}) at any
    depth; False stays, as in allure-pytest's files."""
    if isinstance(item, list):
        return [compact(v) for v in item]
    if not isinstance(item, dict):
        return item
    out: Dict = {}
    for key, value in item.items():
        value = compact(value)
        if value or value is False:
            out[key] = value
    return out


def template(
    stem: str,
    title_path: list[str],
    labels: list[Dict],
    parameters: list[Dict],
    description: str | None,
    description_html: str | None,
) -> Dict:
    """What the plain tests of one parent share: `stem` + a function's name is a test's
    full name."""
    return {
        "stem": stem,
        "titlePath": title_path,
        "labels": labels,
        "parameters": parameters,
        "description": description,
        "descriptionHtml": description_html,
    }


def plain_result(
    shared: Dict,
    uuid: str,
    name: str,
    function: str,
    start_ms: int,
    stop_ms: int,
    doc: str | None,
) -> Dict:
    """A plain test's result, as the listener writes any test's: its test case id and
    history id are the hash of its full name (no parameter counts), its description its
    parent's marked one, else its docstring."""
    full_name = shared["stem"] + function
    case_id = md5(full_name)
    result = {
        "uuid": uuid,
        "name": name,
        "status": "passed",
        "start": start_ms,
        "stop": stop_ms,
        "parameters": shared["parameters"],
        "labels": shared["labels"],
        "fullName": full_name,
        "titlePath": shared["titlePath"],
        "testCaseId": case_id,
        "description": shared["description"] or doc,
        "descriptionHtml": shared["descriptionHtml"],
        "historyId": case_id,
    }
    return {key: value for key, value in result.items() if value}
