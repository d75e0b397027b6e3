"""What the bot says, read from `data/dialogue/fr.yml`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

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

    def __call__(self, key: str, **values: object) -> str:
        """The text `key` with its {placeholders} filled."""
        return str(self.raw[key]).format(**values)

    def has(self, key: str) -> bool:
        return key in self.raw

    def button(self, key: str) -> str:
        return str(self.raw["buttons"][key])

    def card(self, key: str, **values: object) -> str:
        return str(self.raw["card"][key]).format(**values)

    def day_name(self, weekday: int) -> str:
        return str(self.raw["card"]["days"][weekday])

    @property
    def age_choices(self) -> tuple[AgeChoice, ...]:
        return tuple(
            AgeChoice(str(a["title"]), int(a["min"]), int(a["max"])) for a in self.raw["age_buttons"]
        )

    @cached_property
    def _restart_words(self) -> frozenset[str]:
        return frozenset(fold(w) for w in self.raw["restart_words"])

    @cached_property
    def _dont_know_words(self) -> frozenset[str]:
        return frozenset(fold(w) for w in self.raw["dont_know_words"])

    @cached_property
    def filler_words(self) -> frozenset[str]:
        return frozenset(fold(w) for w in self.raw["filler_words"])

    def is_restart(self, text: str) -> bool:
        return fold(text) in self._restart_words or text.strip() == "/start"

    def is_dont_know(self, text: str) -> bool:
        return fold(text) in self._dont_know_words


def load_texts(path: Path) -> Texts:
    return Texts(yaml.safe_load(path.read_text(encoding="utf-8")))
