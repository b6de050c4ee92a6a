"""Typed, strict reading of TOML tables: every key consumed or reported as unknown.

A `Section` wraps one table and its dotted key path; each getter checks the type and
raises `ConfigError("<file>", "<key.path>", "expected …")`. `close()` rejects keys no
getter asked for, so a misspelt key is an error, never silently ignored.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final, final

from pytest_usbgate.errors import ConfigError

_MISSING: Final = object()


def load_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; I/O and syntax errors become one-line ConfigErrors."""
    try:
        return tomllib.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(path), "", "file not found") from None
    except IsADirectoryError:
        raise ConfigError(str(path), "", "is a directory, expected a TOML file") from None
    except OSError as exc:
        raise ConfigError(str(path), "", f"cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "", f"not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), "", "not valid TOML: not UTF-8 text") from None


def _type_name(value: object) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _out_of_range(
    kind: str,
    value: float,
    minimum: float | None,
    maximum: float | None,
    show: Callable[[float], str],
) -> str | None:
    if minimum is not None and value < minimum:
        return f"expected {kind} >= {show(minimum)}, got {show(value)}"
    if maximum is not None and value > maximum:
        return f"expected {kind} <= {show(maximum)}, got {show(value)}"
    return None


@final
class Section:
    """One TOML table being read; `key` is its dotted path ('' for the document)."""

    __slots__ = ("_data", "_seen", "key", "source")

    def __init__(self, data: Mapping[str, Any], key: str, source: str) -> None:
        self._data = data
        self._seen: set[str] = set()
        self.key = key
        self.source = source

    def path(self, name: str) -> str:
        return f"{self.key}.{name}" if self.key else name

    def error(self, name: str, message: str) -> ConfigError:
        return ConfigError(self.source, self.path(name) if name else self.key, message)

    def _read(self, name: str, default: object, check: Callable[[Any], str | None]) -> Any:
        """The value of `name`, or `default` when absent (`_MISSING`: required). A present
        value must pass `check`, which returns what was expected when it does not."""
        self._seen.add(name)
        if name not in self._data:
            if default is _MISSING:
                raise self.error(name, "missing (required)")
            return default
        value = self._data[name]
        problem = check(value)
        if problem is not None:
            raise self.error(name, problem)
        return value

    def text(
        self, name: str, default: object = _MISSING, *, pattern: str | None = None, what: str = ""
    ) -> Any:
        def check(value: object) -> str | None:
            if not isinstance(value, str):
                return f"expected a string, got {_type_name(value)}"
            if pattern is not None and not re.fullmatch(pattern, value):
                return f"expected {what or 'a value matching ' + pattern}, got {value!r}"
            return None

        return self._read(name, default, check)

    def integer(
        self,
        name: str,
        default: object = _MISSING,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> Any:
        def check(value: object) -> str | None:
            if not isinstance(value, int) or isinstance(value, bool):
                return f"expected an integer, got {_type_name(value)}"
            return _out_of_range("an integer", value, minimum, maximum, str)

        return self._read(name, default, check)

    def number(
        self,
        name: str,
        default: object = _MISSING,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> Any:
        def check(value: object) -> str | None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                return f"expected a number, got {_type_name(value)}"
            if not math.isfinite(value):
                return f"expected a finite number, got {value}"
            return _out_of_range("a number", value, minimum, maximum, lambda x: f"{x:g}")

        value = self._read(name, default, check)
        return value if value is default else float(value)

    def texts(self, name: str, default: object = _MISSING) -> Any:
        def check(value: object) -> str | None:
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
            return None if ok else "expected an array of strings"

        value = self._read(name, default, check)
        return value if value is default else tuple(value)

    def integers(self, name: str, default: object = _MISSING) -> Any:
        def check(value: object) -> str | None:
            ok = isinstance(value, list) and all(
                isinstance(v, int) and not isinstance(v, bool) for v in value
            )
            return None if ok else "expected an array of integers"

        value = self._read(name, default, check)
        return value if value is default else tuple(value)

    def section(self, name: str, *, required: bool = False) -> Section | None:
        def check(value: object) -> str | None:
            return None if isinstance(value, dict) else f"expected a table, got {_type_name(value)}"

        value = self._read(name, _MISSING if required else None, check)
        return None if value is None else Section(value, self.path(name), self.source)

    def sections(self, name: str) -> list[Section]:
        """An array of tables (`[[name]]`); absent means empty."""

        def check(value: object) -> str | None:
            ok = isinstance(value, list) and all(isinstance(v, dict) for v in value)
            return None if ok else f"expected an array of tables ([[{self.path(name)}]])"

        value = self._read(name, [], check)
        return [Section(v, f"{self.path(name)}[{i}]", self.source) for i, v in enumerate(value)]

    def entries(self) -> Iterator[tuple[str, object]]:
        """Every key of an open table (one whose keys are data, such as criterion ids)."""
        for name, value in self._data.items():
            self._seen.add(name)
            yield name, value

    def close(self) -> None:
        """Reject keys that no getter read."""
        for name in self._data:
            if name not in self._seen:
                known = ", ".join(sorted(self._seen)) or "none"
                raise self.error(name, f"unknown key (expected one of: {known})")
