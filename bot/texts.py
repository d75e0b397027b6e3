"""What the bot says, read from `data/dialogue/fr.yml`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from nlu.datafile import read_yaml
from nlu.text import fold


@dataclass(frozen=True)
class AgeChoice:
    title: str
    low: int
    high: int

    @property
    def payload(self) -> str:
        return f"age:{self.low}-{self.high}"


@dataclass(frozen=True)
class Texts:
    raw: dict[str, Any]
    language: str = "fr"
    fallback: Texts | None = None  # a partial translation says the rest in French

    def _get(self, *path: str) -> Any:
        node: Any = self.raw
        for key in path:
            if not isinstance(node, dict) or key not in node:
                if self.fallback is None:
                    raise KeyError("/".join(path))
                return self.fallback._get(*path)
            node = node[key]
        return node

    def __call__(self, key: str, **values: object) -> str:
        """The text `key` with its {placeholders} filled."""
        return str(self._get(key)).format(**values)

    def has(self, key: str) -> bool:
        return key in self.raw or (self.fallback is not None and self.fallback.has(key))

    def button(self, key: str) -> str:
        return str(self._get("buttons", key))

    def part(self, *path: str, **values: object) -> str:
        """A nested text ("explore", "questions", "where") with its {placeholders} filled."""
        return str(self._get(*path)).format(**values)

    def words_at(self, *path: str) -> frozenset[str]:
        """A nested list of words, folded."""
        return frozenset(fold(str(w)) for w in self._get(*path) or ())

    def card(self, key: str, **values: object) -> str:
        return str(self._get("card", key)).format(**values)

    def day_name(self, weekday: int) -> str:
        return str(self._get("card", "days")[weekday])

    @property
    def age_choices(self) -> tuple[AgeChoice, ...]:
        return tuple(
            AgeChoice(str(a["title"]), int(a["min"]), int(a["max"])) for a in self._get("age_buttons")
        )

    def _words(self, key: str) -> frozenset[str]:
        own = frozenset(fold(w) for w in self.raw.get(key) or ())
        return own | (self.fallback._words(key) if self.fallback is not None else frozenset())

    @cached_property
    def _restart_words(self) -> frozenset[str]:
        return self._words("restart_words")

    @cached_property
    def _dont_know_words(self) -> frozenset[str]:
        return self._words("dont_know_words")

    @cached_property
    def filler_words(self) -> frozenset[str]:
        return self._words("filler_words")

    def is_restart(self, text: str) -> bool:
        return fold(text) in self._restart_words or text.strip() == "/start"

    def is_dont_know(self, text: str) -> bool:
        return fold(text) in self._dont_know_words


def load_texts(path: Path, fallback: Texts | None = None) -> Texts:
    return Texts(read_yaml(path), path.stem, fallback)


def load_languages(folder: Path, default: str = "fr") -> dict[str, Texts]:
    """Every `<language>.yml` of `folder`; each falls back to the default language's texts."""
    base = load_texts(folder / f"{default}.yml")
    languages = {default: base}
    for path in sorted(folder.glob("*.yml")):
        if path.stem != default and len(path.stem) == 2:  # en.yml, ar.yml (not staff_actions.fr.yml)
            languages[path.stem] = load_texts(path, base)
    return languages
