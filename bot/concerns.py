"""The concerns youths come with (paperwork, health, ...) and the thématiques that answer each one,
read from `data/concerns.yml`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from bot.catalogue.codes import THEMATIQUES


@dataclass(frozen=True)
class Concern:
    name: str
    label: str
    phrase: str
    thematiques: frozenset[str]


@cache
def load_concerns(path: Path) -> dict[str, Concern]:
    with path.open(encoding="utf-8") as stream:
        raw = yaml.safe_load(stream)
    concerns = {
        name: Concern(name, str(item["label"]), str(item["phrase"]), frozenset(item["thematiques"]))
        for name, item in raw.items()
    }
    for concern in concerns.values():
        unknown = concern.thematiques - THEMATIQUES
        if unknown:
            raise ValueError(f"{path}: {concern.name}: unknown thématique {sorted(unknown)[0]!r}")
    return concerns
