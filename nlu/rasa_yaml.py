"""Read and write Rasa 3 NLU training data (YAML): intents with examples, inline entity annotations
(`[champi](commune)`, `[champi]{"entity": "commune", "value": "Champigny-sur-Marne"}`), synonyms and
lookup tables."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from nlu.datafile import read_yaml

ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<entity>[^)]+)\)|(?P<json>\{[^}]*\}))")


@dataclass(frozen=True)
class Entity:
    entity: str
    value: str
    start: int
    end: int


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: tuple[Entity, ...] = ()


@dataclass
class TrainingData:
    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)  # alias text -> value
    lookups: dict[str, list[str]] = field(default_factory=dict)

    @property
    def intents(self) -> list[str]:
        return sorted({example.intent for example in self.examples})


class TrainingDataError(ValueError):
    pass


def parse_example(line: str, intent: str) -> Example:
    """'jsuis de [champi](commune)' -> text 'jsuis de champi' with the entity's span and value."""
    text = ""
    entities: list[Entity] = []
    position = 0
    for match in ANNOTATION.finditer(line):
        text += line[position : match.start()]
        start = len(text)
        text += match["text"]
        if match["json"]:
            try:
                spec = json.loads(match["json"])
            except ValueError as error:
                raise TrainingDataError(f"bad entity annotation {match[0]!r}: {error}") from None
            name, value = str(spec["entity"]), str(spec.get("value", match["text"]))
        else:
            name, value = match["entity"], match["text"]
        entities.append(Entity(name, value, start, len(text)))
        position = match.end()
    text += line[position:]
    return Example(text=text, intent=intent, entities=tuple(entities))


def _items(block: str) -> list[str]:
    return [line.strip()[2:].strip() for line in block.splitlines() if line.strip().startswith("- ")]


def read_file(path: Path, into: TrainingData | None = None) -> TrainingData:
    data = into if into is not None else TrainingData()
    try:
        document = read_yaml(path) or {}
    except yaml.YAMLError as error:
        raise TrainingDataError(f"{path}: invalid YAML: {error}") from None
    for item in document.get("nlu") or []:
        if "intent" in item:
            data.examples += [parse_example(line, str(item["intent"])) for line in _items(item["examples"])]
        elif "synonym" in item:
            for alias in _items(item["examples"]):
                data.synonyms[alias] = str(item["synonym"])
        elif "lookup" in item:
            data.lookups.setdefault(str(item["lookup"]), []).extend(_items(item["examples"]))
    return data


def read_training_data(paths: Iterable[Path]) -> TrainingData:
    data = TrainingData()
    for path in paths:
        read_file(path, data)
    return data


def training_files(folder: Path) -> list[Path]:
    """The training files of `folder` (not its `test/` split)."""
    return sorted(folder.glob("*.yml"))


def annotate(example: Example) -> str:
    """The example as a Rasa line, entities inline."""
    line, position = "", 0
    for entity in sorted(example.entities, key=lambda e: e.start):
        line += example.text[position : entity.start]
        span = example.text[entity.start : entity.end]
        if entity.value == span:
            line += f"[{span}]({entity.entity})"
        else:
            line += f"[{span}]" + json.dumps(
                {"entity": entity.entity, "value": entity.value}, ensure_ascii=False
            )
        position = entity.end
    return line + example.text[position:]


def dump(data: TrainingData) -> str:
    """Rasa 3.1 NLU YAML for `data`."""

    def block(lines: Iterable[str]) -> str:
        return "".join(f"    - {' '.join(line.split())}\n" for line in lines)  # one line each

    out = ['version: "3.1"\n', "nlu:\n"]
    for intent in data.intents:
        lines = [annotate(e) for e in data.examples if e.intent == intent]
        out.append(f"- intent: {intent}\n  examples: |\n{block(lines)}")
    values: dict[str, list[str]] = {}
    for alias, value in data.synonyms.items():
        values.setdefault(value, []).append(alias)
    for value, aliases in values.items():
        out.append(f"- synonym: {json.dumps(value, ensure_ascii=False)}\n  examples: |\n{block(aliases)}")
    for name, items in data.lookups.items():
        out.append(f"- lookup: {name}\n  examples: |\n{block(items)}")
    return "".join(out)
