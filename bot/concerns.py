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
    translations: tuple[tuple[str, str, str], ...] = ()  # (language, label, phrase)
    broad: bool = False  # services mainly about another concern fit too (routing's main subject)
    aids: tuple[str, ...] = ()  # answers of data/answers/ on its aids: "ya des aides ?" after its places

    def label_in(self, language: str) -> str:
        return next((label for lang, label, _ in self.translations if lang == language), self.label)

    def phrase_in(self, language: str) -> str:
        return next((phrase for lang, _, phrase in self.translations if lang == language), self.phrase)


@cache
def load_concerns(path: Path) -> dict[str, Concern]:
    with path.open(encoding="utf-8") as stream:
        raw = yaml.safe_load(stream)
    concerns = {
        name: Concern(
            name,
            str(item["label"]),
            str(item["phrase"]),
            frozenset(item["thematiques"]),
            tuple(
                (str(lang), str(t["label"]), str(t["phrase"]))
                for lang, t in (item.get("translations") or {}).items()
            ),
            bool(item.get("broad", False)),
            tuple(str(a) for a in item.get("aids") or ()),
        )
        for name, item in raw.items()
    }
    for concern in concerns.values():
        unknown = concern.thematiques - THEMATIQUES
        if unknown:
            raise ValueError(f"{path}: {concern.name}: unknown thématique {sorted(unknown)[0]!r}")
    return concerns


def thematiques_besides(concerns: dict[str, Concern], name: str) -> frozenset[str]:
    """The thématiques of the other concerns that are not this one's (what a service mainly about
    something else is about); none for a broad concern."""
    if concerns[name].broad:
        return frozenset()
    others = frozenset().union(*(c.thematiques for other, c in concerns.items() if other != name))
    return others - concerns[name].thematiques
