"""Everything the conversation reads from `data/`: texts, concerns, routing rules, crisis helplines,
the village, the territory, the offers' trades and stations, and the trades to discover. Loaded once per
process."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.answers import Answer, load_answers
from bot.concerns import Concern, load_concerns
from bot.config import Settings
from bot.crisis import CrisisRules, load_crisis_rules
from bot.details import DetailWords, load_detail_words
from bot.explore import Explorer, load_explorer
from bot.offers.data import OfferData
from bot.routing import Rules, load_rules
from bot.territory import Territory, load_territory
from bot.texts import Texts, load_languages
from bot.village import Village, load_village


@dataclass(frozen=True)
class Resources:
    texts: Texts  # French, the default
    languages: dict[str, Texts]  # fr, en, ar (a partial one falls back to French)
    concerns: dict[str, Concern]
    rules: Rules
    crisis: CrisisRules
    village: Village
    territory: Territory
    zone: ZoneInfo
    answers: dict[str, Answer]
    answer_threshold: float
    details: DetailWords
    explorer: Explorer  # the trades to discover (data/explore/)
    public_url: str = "http://127.0.0.1:8000"
    transcript_days: int = 180
    urgent_wait_hours: float = 12.0  # config.yml handoff.urgent_wait_hours
    offers: OfferData = field(default_factory=OfferData)  # trades, stations (data/offers/)

    def __post_init__(self) -> None:
        for concern in self.concerns.values():
            unknown = [a for a in concern.aids if a not in self.answers]
            if unknown:
                name = concern.name
                raise ValueError(f"concerns.yml: {name}: aids: {unknown[0]!r} is no answer of data/answers")

    @classmethod
    def load(cls, settings: Settings) -> Resources:
        data = settings.data_dir
        languages = load_languages(data / "dialogue")
        return cls(
            texts=languages["fr"],
            languages=languages,
            concerns=load_concerns(data / "concerns.yml"),
            rules=load_rules(data / "routing.yml"),
            crisis=load_crisis_rules(data / "crisis.yml"),
            village=load_village(data / "village.yml", settings.server.public_url),
            territory=load_territory(settings.territory_file),
            answers=load_answers(data / "answers"),
            answer_threshold=settings.nlu.answer_threshold,
            details=load_detail_words(data / "details.yml"),
            explorer=load_explorer(data / "explore" / "trades.yml"),
            zone=settings.zone,
            public_url=settings.server.public_url,
            transcript_days=settings.retention.transcript_days,
            urgent_wait_hours=settings.handoff.urgent_wait_hours,
            offers=OfferData.load(settings),
        )
