"""Typed, strict reading of TOML tables: every key consumed or reported as unknown.

A `Section` wraps one table and its dotted key path; each getter checks the type and
raises `ConfigError("<file>", "<key.path>", "expected …")`. `close()` rejects keys no
getter asked for, so a misspelt key is an error, never silently ignored.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final, final

from pytest_usbgate.errors import ConfigError

_MISSING: Final = object()


def load_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; I/O and syntax errors become one-line ConfigErrors."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(str(path), "", "file not found") from None
    except IsADirectoryError:
        raise ConfigError(str(path), "", "is a directory, expected a TOML file") from None
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

    def has(self, name: str) -> bool:
        return name in self._data

    def _get(self, name: str, default: object) -> object:
        self._seen.add(name)
        if name in self._data:
            return self._data[name]
        if default is _MISSING:
            raise self.error(name, "missing (required)")
        return default

    def text(
        self, name: str, default: object = _MISSING, *, pattern: str | None = None, what: str = ""
    ) -> Any:
        value = self._get(name, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, str):
            raise self.error(name, f"expected a string, got {_type_name(value)}")
        if pattern is not None and not re.fullmatch(pattern, value):
            raise self.error(
                name, f"expected {what or 'a value matching ' + pattern}, got {value!r}"
            )
        return value

    def integer(
        self,
        name: str,
        default: object = _MISSING,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> Any:
        value = self._get(name, default)
        if value is default and default is not _MISSING:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(name, f"expected an integer, got {_type_name(value)}")
        if minimum is not None and value < minimum:
            raise self.error(name, f"expected an integer >= {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise self.error(name, f"expected an integer <= {maximum}, got {value}")
        return value

    def number(self, name: str, default: object = _MISSING) -> Any:
        value = self._get(name, default)
        if value is default and default is not _MISSING:
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(name, f"expected a number, got {_type_name(value)}")
        if value != value or value in (float("inf"), float("-inf")):
            raise self.error(name, f"expected a finite number, got {value}")
        return float(value)

    def texts(self, name: str, default: object = _MISSING) -> Any:
        value = self._get(name, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(name, "expected an array of strings")
        return tuple(value)

    def integers(self, name: str, default: object = _MISSING) -> Any:
        value = self._get(name, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise self.error(name, "expected an array of integers")
        return tuple(value)

    def section(self, name: str, *, required: bool = False) -> Section | None:
        value = self._get(name, _MISSING if required else None)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.error(name, f"expected a table, got {_type_name(value)}")
        return Section(value, self.path(name), self.source)

    def sections(self, name: str) -> list[Section]:
        """An array of tables (`[[name]]`); absent means empty."""
        value = self._get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(name, "expected an array of tables ([[" + self.path(name) + "]])")
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
