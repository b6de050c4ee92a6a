"""Compose files as people write them, read with the line each value came from: v1 and
v2 dialects (services under `services:` or at the top), `${VAR}` / `${VAR:-default}` /
`$VAR` interpolation from the environment and an `.env` beside the file, list and
mapping forms of `environment:`, short and long forms of `devices:` / `volumes:`, YAML
anchors and merge keys. Pure: text in, a model out; errors are `ComposeError` with a line."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import yaml

_VARIABLE: Final = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)"
    r"(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


_TOP_LEVEL: Final = frozenset({"version", "name", "volumes", "networks", "secrets", "configs"})


class ComposeError(ValueError):
    """The file is not a compose file: `line` (1-based, 0 when unknown) and why."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


def read_dotenv(text: str) -> dict[str, str]:
    """`KEY=value` lines of an `.env` file (comments, blanks and `export ` allowed; one
    pair of surrounding quotes stripped)."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[key.strip()] = value
    return out


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose's interpolation: `$$` is a dollar; `${VAR:-default}` when unset or empty,
    `${VAR-default}` when unset, `${VAR:+alt}`/`${VAR+alt}`, `${VAR:?msg}`; unset is ""."""

    def value(m: re.Match[str]) -> str:
        if m.group("escaped"):
            return "$"
        name = m.group("braced") or m.group("bare")
        op, arg = m.group("op"), m.group("arg") or ""
        current = env.get(name)
        if op in (":-", "-"):
            missing = current is None or (op == ":-" and current == "")
            return arg if missing else str(current)
        if op in (":+", "+"):
            present = current is not None and (op == "+" or current != "")
            return arg if present else ""
        return current or ""

    return _VARIABLE.sub(value, text)


@dataclass(frozen=True, slots=True)
class Mount:
    """A `devices:` or `volumes:` entry: host path (or volume name), container path."""

    source: str
    target: str
    line: int
    bind: bool  # a host path (volumes) or a device node (devices)


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    line: int
    data: Mapping[str, Any]
    key_lines: Mapping[str, int]  # top-level keys of the service -> line
    environment: Mapping[str, str]
    environment_lines: Mapping[str, int]
    devices: tuple[Mount, ...]
    volumes: tuple[Mount, ...]

    @property
    def image(self) -> str:
        return str(self.data.get("image") or "")

    @property
    def privileged(self) -> bool:
        return self.data.get("privileged") in (True, "true", "True")

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)

    def cgroup_rules(self) -> list[str]:
        rules = self.data.get("device_cgroup_rules") or []
        return [str(r) for r in rules] if isinstance(rules, list) else []


@dataclass(frozen=True, slots=True)
class Compose:
    services: tuple[Service, ...]
    duplicates: tuple[tuple[str, int], ...] = field(default=())  # (key path, line)


def parse_compose(text: str, env: Mapping[str, str]) -> Compose:
    """The services of a compose file; ComposeError when it is not one."""
    source = interpolate(text, env)
    try:
        loader = yaml.SafeLoader(source)
        try:
            node = loader.get_single_node()
            if node is None:
                raise ComposeError(1, "empty file: expected a mapping with services:")
            duplicates = tuple(_duplicates(node, ""))
            data = loader.construct_document(node)  # anchors and merge keys resolved
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ComposeError(mark.line + 1 if mark else 0, f"not valid YAML: {exc.problem}") from None
    except yaml.reader.ReaderError as exc:
        line = source[: exc.position].count("\n") + 1
        raise ComposeError(
            line, f"not valid YAML: character {exc.character!r} not allowed"
        ) from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise ComposeError(0, f"not valid YAML: {exc}") from None
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
        raise ComposeError(node.start_mark.line + 1, "expected a mapping with services:")
    services_node: yaml.Node | None = node  # compose v1's first format: services at the top
    services = data
    if "services" in data:
        services_node, services = _value(node, "services"), data["services"]
    if not isinstance(services, dict) or not isinstance(services_node, yaml.MappingNode):
        raise ComposeError(_line(node, "services"), "services: expected a mapping")
    out = []
    for key_node, value_node in services_node.value:
        name = str(key_node.value)
        body = services.get(name)
        if services is data and (name in _TOP_LEVEL or name.startswith("x-")):
            continue
        if not isinstance(body, dict):
            continue
        if not isinstance(value_node, yaml.MappingNode):
            continue
        out.append(_service(name, key_node.start_mark.line + 1, body, value_node))
    if not out:
        raise ComposeError(1, "no services: expected services: with at least one service")
    return Compose(tuple(out), duplicates)


def _duplicates(node: yaml.Node, path: str) -> Iterator[tuple[str, int]]:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            here = f"{path}.{name}" if path else name
            if name in seen and name != "<<":
                yield here, key.start_mark.line + 1
            seen.add(name)
            yield from _duplicates(value, here)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _duplicates(item, path)


def _value(node: yaml.MappingNode, key: str) -> yaml.Node | None:
    """The last value of `key` (the one the constructed data holds)."""
    found = None
    for k, v in node.value:
        if k.value == key:
            found = v
    return found


def _line(node: yaml.MappingNode, key: str) -> int:
    lines = [k.start_mark.line + 1 for k, _ in node.value if k.value == key]
    return lines[-1] if lines else node.start_mark.line + 1


def _service(name: str, line: int, body: dict[str, Any], node: yaml.MappingNode) -> Service:
    key_lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    env_node = _value(node, "environment")
    environment, env_lines = _environment(body.get("environment"), env_node, line)
    return Service(
        name=name,
        line=line,
        data=body,
        key_lines=key_lines,
        environment=environment,
        environment_lines=env_lines,
        devices=tuple(_mounts(body.get("devices"), _value(node, "devices"), devices=True)),
        volumes=tuple(_mounts(body.get("volumes"), _value(node, "volumes"), devices=False)),
    )


def _environment(
    value: object, node: yaml.Node | None, line: int
) -> tuple[dict[str, str], dict[str, int]]:
    env: dict[str, str] = {}
    lines: dict[str, int] = {}
    if isinstance(value, dict) and isinstance(node, yaml.MappingNode):
        for key, item in value.items():
            env[str(key)] = "" if item is None else str(item)
        lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    elif isinstance(value, list) and isinstance(node, yaml.SequenceNode):
        for item, item_node in zip(value, node.value, strict=False):
            key, _, text = str(item).partition("=")
            env[key] = text
            lines[key] = item_node.start_mark.line + 1
    return env, lines


def _mounts(value: object, node: yaml.Node | None, *, devices: bool) -> Iterator[Mount]:
    if not isinstance(value, list) or not isinstance(node, yaml.SequenceNode):
        return
    for item, item_node in zip(value, node.value, strict=False):
        line = item_node.start_mark.line + 1
        if isinstance(item, dict):  # long syntax
            source = str(item.get("source") or "")
            target = str(item.get("target") or source)
            bind = (
                devices
                or item.get("type", "bind" if source.startswith("/") else "volume") == "bind"
            )
            yield Mount(source, target, line, bind)
        elif isinstance(item, str):
            source, _, rest = item.partition(":")
            target = rest.split(":", 1)[0] if rest else source
            bind = devices or source.startswith(("/", ".", "~"))
            yield Mount(source, target, line, bind)
