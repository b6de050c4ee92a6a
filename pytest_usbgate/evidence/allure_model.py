"""The parts of an Allure test result that follow from a pytest node id, its marks and
its parameters, computed as allure-pytest computes them (allure_pytest/utils.py,
2.13-2.16) so that our results read the same in Allure: pure functions on plain values.

Results are plain dicts in Allure's JSON shape; `compact` (allure_shape.py) drops the
empty fields, as allure-pytest's writer does.
"""

# No `from __future__ import annotations` here: a NamedTuple's fields would be strings,
# each compiled at import (what it cost: bench/RESULTS.md, session 20).

import itertools
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final, NamedTuple

from pytest_usbgate.evidence.allure_shape import md5

LABEL_MARK: Final = "allure_label"
LINK_MARK: Final = "allure_link"
DESCRIPTION_MARK: Final = "allure_description"
DESCRIPTION_HTML_MARK: Final = "allure_description_html"
UNIQUE_LABELS: Final = frozenset(
    {"severity", "framework", "host", "suite", "parentSuite", "subSuite"}
)
SUITE_LABELS: Final = ("parentSuite", "suite", "subSuite")
NOT_TAGS: Final = frozenset(
    {"usefixtures", "filterwarnings", "skip", "skipif", "xfail", "parametrize"}
)

Dict = dict[str, Any]


class Place(NamedTuple):
    """Where a test lives, read off its node id ("suites/design/test_x.py::Class::test[1]")."""

    parent_package: str  # suites.design
    module: str  # test_x
    class_names: tuple[str, ...]
    title_path: tuple[str, ...]  # suites, design, test_x.py, Class

    @property
    def package(self) -> str:
        return ".".join(filter(None, (self.parent_package, self.module)))

    def full_name(self, function: str) -> str:
        classes = "".join("." + name for name in self.class_names)
        return f"{self.package}{classes}#{function}"


def place(nodeid: str) -> Place:
    path, *classes = nodeid.split("::")[:-1] or [nodeid]
    *folders, filename = path.split("/")
    return Place(
        parent_package=".".join(folders),
        module=filename.rsplit(".", 1)[0],
        class_names=tuple(classes),
        title_path=tuple(filter(None, (*folders, filename, *classes))),
    )


def history_id(full_name: str, parameters: Iterable[Dict], original: Mapping[str, Any]) -> str:
    """Allure's identity of a test across runs: its full name and the values of the
    parameters not excluded (the original values where pytest has them); "" when no
    parameter counts, as the id is then the test case id, md5(full_name)."""
    kept = sorted((p for p in parameters if not p.get("excluded")), key=lambda p: p["name"])
    return md5(full_name, *(original.get(p["name"], p["value"]) for p in kept)) if kept else ""


class Marks(NamedTuple):
    """What a test's marks (closest first) say to Allure."""

    labels: tuple[tuple[str, str], ...]
    links: tuple[Dict, ...]
    tags: tuple[str, ...]
    description: str | None
    description_html: str | None


def read_marks(marks: Iterable[tuple[str, tuple[Any, ...], Mapping[str, Any]]]) -> Marks:
    """One pass over (name, args, kwargs) of a test's marks, closest first: a unique label
    (severity, suite, …) keeps its closest value; others gather without repeats; a mark
    without arguments is a tag."""
    unique: dict[str, str] = {}
    labels: dict[tuple[str, str], None] = {}
    links: list[Dict] = []
    tags: list[str] = []
    description = description_html = None
    for name, args, kwargs in marks:
        if name == LABEL_MARK:
            label_type = kwargs["label_type"]
            if label_type in UNIQUE_LABELS:
                if args:
                    unique.setdefault(label_type, args[0])
            else:
                labels.update(dict.fromkeys((label_type, value) for value in args))
        elif name == LINK_MARK:
            links.append({"type": kwargs["link_type"], "url": args[0], "name": kwargs["name"]})
        elif name == DESCRIPTION_MARK:
            description = description or (args[0] if args else None)
        elif name == DESCRIPTION_HTML_MARK:
            description_html = description_html or (args[0] if args else None)
        if not args and not kwargs and name not in NOT_TAGS:
            tags.append(name)
    labels.update(dict.fromkeys(unique.items()))
    return Marks(tuple(labels), tuple(links), tuple(tags), description, description_html)


def suite_labels(where: Place, taken: Iterable[str]) -> Iterator[tuple[str, str]]:
    """parentSuite, suite and subSuite from the node id, where no label sets them."""
    given = set(taken)
    values = (where.parent_package, where.module, " > ".join(where.class_names))
    for name, value in zip(SUITE_LABELS, values, strict=True):
        if value and name not in given:
            yield name, value


def attachment_name(prefix: str, attachment_type: Any, extension: str | None) -> tuple[str, Any]:
    """File name and MIME type of an attachment, as allure_commons.reporter names them: an
    AttachmentType gives both; otherwise the type is taken as the MIME type as given."""
    mime, ext = attachment_type, extension or "attach"
    if hasattr(attachment_type, "mime_type") and hasattr(attachment_type, "extension"):
        mime, ext = attachment_type.mime_type, attachment_type.extension
    return f"{prefix}-attachment.{ext}", mime


class Ids:
    """Unique ids in uuid4 form: a random uuid4 per session whose last 48 bits count up,
    so that one result costs no system call (uuid4 reads the random source each time)."""

    def __init__(self) -> None:
        text = str(uuid.uuid4())
        self._prefix = text[:24]
        self._count = itertools.count(int(text[24:], 16))

    def __call__(self) -> str:
        return f"{self._prefix}{next(self._count) & 0xFFFFFFFFFFFF:012x}"
