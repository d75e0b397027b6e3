"""Read YAML files while remembering the line of every value, so errors can point at it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Key = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a data or configuration file, as a person reads it."""

    file: str
    line: int | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


@dataclass
class YamlDocument:
    """A parsed YAML document and the line (1-based) of each key path in it."""

    path: Path
    data: Any
    lines: dict[Key, int] = field(default_factory=dict)

    def line_of(self, key: Sequence[str | int]) -> int | None:
        """The line of the deepest known part of `key`."""
        parts = tuple(key)
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return self.lines.get((), 1)


class YamlError(Exception):
    """A file that is not valid YAML."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _walk(node: yaml.Node, key: Key, lines: dict[Key, int]) -> None:
    lines[key] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*key, str(key_node.value))
            _walk(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*key, index), lines)


def read_yaml(path: Path, display_name: str | None = None) -> YamlDocument:
    """Parse `path`; raise YamlError with the line and the parser's reason if it is not valid YAML."""
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise YamlError(Problem(name, None, "", f"cannot read the file ({error})")) from error
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        reason = f"invalid YAML: {error.problem or error.context}"
        raise YamlError(Problem(name, line, "", reason)) from error
    except yaml.YAMLError as error:
        raise YamlError(Problem(name, None, "", f"invalid YAML: {error}")) from error
    lines: dict[Key, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return YamlDocument(path=path, data=data, lines=lines)


def dotted(key: Sequence[str | int]) -> str:
    """('services', 2, 'age_min') -> 'services[2].age_min'."""
    text = ""
    for part in key:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def describe_error(error: Any, unknown: str = "unknown field") -> str:
    """One pydantic error as a short reason a person understands."""
    kind = error["type"]
    if kind == "missing":
        return "missing field"
    if kind == "extra_forbidden":
        return unknown
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind != "value_error" and not isinstance(error.get("input"), dict | list):
        shown = repr(error.get("input"))
        message += f" (got {shown[:40] + '…' if len(shown) > 40 else shown})"
    return message
