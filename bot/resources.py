"""Everything the conversation reads from `data/`: texts, concerns, routing rules, crisis helplines,
the village and the territory. Loaded once per process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot.concerns import Concern, load_concerns
from bot.config import Settings
from bot.routing import Rules, load_rules
from bot.territory import Helpline, Territory, load_territory
from bot.texts import Texts, load_texts
from bot.village import Village, load_village


@dataclass(frozen=True)
class CrisisRules:
    default: tuple[str, ...]
    kinds: dict[str, tuple[str, ...]]
    age_limits: dict[str, int]
    max_cards: int

    def helplines(self, kinds: list[str], territory: Territory, age_low: int | None) -> list[Helpline]:
        """The helplines that fit the kinds of danger (in order, without repeats), then the defaults."""
        numbers: list[str] = []
        for kind in kinds:
            numbers += [n for n in self.kinds.get(kind, ()) if n not in numbers]
        numbers += [n for n in self.default if n not in numbers]
        by_number = {h.number: h for h in territory.helplines}
        chosen = [
            by_number[n]
            for n in numbers
            if n in by_number and (age_low is None or age_low <= self.age_limits.get(n, 200))
        ]
        return chosen[: self.max_cards]


def load_crisis_rules(path: Path) -> CrisisRules:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return CrisisRules(
        default=tuple(raw["default"]),
        kinds={k: tuple(v) for k, v in raw["kinds"].items()},
        age_limits={str(k): int(v) for k, v in (raw.get("age_limits") or {}).items()},
        max_cards=int(raw["max_cards"]),
    )


@dataclass(frozen=True)
class Resources:
    texts: Texts
    concerns: dict[str, Concern]
    rules: Rules
    crisis: CrisisRules
    village: Village
    territory: Territory
    zone: ZoneInfo
    public_url: str = "http://127.0.0.1:8000"
    transcript_days: int = 180

    @classmethod
    def load(cls, settings: Settings) -> Resources:
        data = settings.data_dir
        return cls(
            texts=load_texts(data / "dialogue" / "fr.yml"),
            concerns=load_concerns(data / "concerns.yml"),
            rules=load_rules(data / "routing.yml"),
            crisis=load_crisis_rules(data / "crisis.yml"),
            village=load_village(data / "village.yml"),
            territory=load_territory(settings.territory_file),
            zone=settings.zone,
            public_url=settings.server.public_url,
            transcript_days=settings.retention.transcript_days,
        )
