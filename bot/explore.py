"""Discovering trades ("jsp koi faire"): the trades, the questions and how answers score trades, read from
`data/explore/trades.yml` (the scoring is explained at the top of that file).

`Explorer.best(answers)` gives the three trades that fit the answers best, at most one per family;
`Explorer.fitting_ways(ages)` the ways to try a trade that fit the youth's age. Nothing here knows about
the conversation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

TRAITS = frozenset(
    {
        "hands",
        "people",
        "screens",
        "outside",
        "inside",
        "moving",
        "calm",
        "build",
        "help",
        "order",
        "dirt",
        "odd_hours",
    }
)
SHOWN = 3  # trades shown at the end of the questions
# What a trade's ROME fiche says of starting without a diploma (the data file's ACCESS explains each).
STARTS = ("no_diploma", "experience", "diploma", "regulated")


@dataclass(frozen=True)
class Answer:
    id: str
    traits: dict[str, int]  # weight given to each trait (negative: the youth cannot stand it)


@dataclass(frozen=True)
class Question:
    id: str
    answers: tuple[Answer, ...]

    def answer(self, answer_id: str) -> Answer | None:
        return next((a for a in self.answers if a.id == answer_id), None)


@dataclass(frozen=True)
class Access:
    """What the trade's ROME fiche says of starting without a diploma ("Accès à l'emploi/métier")."""

    start: str  # one of STARTS
    fiche: str  # the fiche's sentences, quoted
    says: dict[str, str]  # language -> what the card adds, from the quote only
    source: str  # a key of the file's `rome_sources`


@dataclass(frozen=True)
class Trade:
    id: str
    family: str
    rome_code: str
    rome_label: str
    title: dict[str, str]  # language -> text
    description: dict[str, str]
    where: dict[str, str]
    training: dict[str, str]  # the Titre professionnel's level: how to train for it
    access: Access | None  # None: the fiche was not found, an adviser checks it
    traits: dict[str, int]
    source: str

    def in_language(self, field: dict[str, str], language: str) -> str:
        return field.get(language) or field["fr"]

    def score(self, weights: Mapping[str, int]) -> int:
        return sum(weight * self.traits.get(trait, 0) for trait, weight in weights.items())


@dataclass(frozen=True)
class Way:
    """A way to try a trade: a placement, apprenticeship, the E2C, the EPIDE."""

    id: str
    partner_kind: str
    audience: str  # "everyone" or "no_diploma"
    text: dict[str, str]
    ages: tuple[int, int] | None = None

    def fits(self, ages: tuple[int, int] | None) -> bool:
        if self.ages is None or ages is None:
            return True
        return ages[0] <= self.ages[1] and ages[1] >= self.ages[0]


@dataclass(frozen=True)
class Explorer:
    questions: tuple[Question, ...]
    trades: tuple[Trade, ...]
    ways: tuple[Way, ...]
    sources: Mapping[str, Mapping[str, object]]  # the `access` quotes' sources (`rome_sources`)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def trade(self, trade_id: str) -> Trade | None:
        return next((t for t in self.trades if t.id == trade_id), None)

    def weights(self, answers: Mapping[str, str]) -> dict[str, int]:
        """The traits' weights summed over the answers given (question id -> answer id)."""
        total: dict[str, int] = {}
        for question in self.questions:
            answer = question.answer(answers.get(question.id, ""))
            for trait, weight in (answer.traits if answer else {}).items():
                total[trait] = total.get(trait, 0) + weight
        return total

    def best(self, answers: Mapping[str, str], count: int = SHOWN) -> list[Trade]:
        """The best-scoring trades, at most one per family; ties keep the file's order."""
        weights = self.weights(answers)
        ranked = sorted(enumerate(self.trades), key=lambda pair: (-pair[1].score(weights), pair[0]))
        chosen: list[Trade] = []
        for _, trade in ranked:
            if all(trade.family != t.family for t in chosen):
                chosen.append(trade)
            if len(chosen) == count:
                break
        return chosen

    def fitting_ways(self, ages: tuple[int, int] | None) -> list[Way]:
        return [way for way in self.ways if way.fits(ages)]

    def way_of(self, partner_kind: str) -> Way | None:
        """The way to try a trade that a kind of partner offers (the E2C, the EPIDE...)."""
        return next((w for w in self.ways if w.partner_kind == partner_kind), None)


def _texts(raw: object, where: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not isinstance(raw.get("fr"), str):
        raise ValueError(f"{where}: needs a French text (fr)")
    return {str(k): str(v) for k, v in raw.items()}


def _traits(raw: object, where: str) -> dict[str, int]:
    if not isinstance(raw, dict | None):
        raise ValueError(f"{where}: traits must be a mapping")
    traits = {str(k): int(v) for k, v in (raw or {}).items()}
    unknown = set(traits) - TRAITS
    if unknown:
        raise ValueError(f"{where}: unknown trait {sorted(unknown)[0]!r}")
    return traits


def _access(raw: object, sources: Mapping[str, object], where: str) -> Access | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: access must be a mapping or null")
    if raw.get("start") not in STARTS:
        raise ValueError(f"{where}: start {raw.get('start')!r} is not one of {', '.join(STARTS)}")
    if raw.get("source") not in sources:
        raise ValueError(f"{where}: source {raw.get('source')!r} is not in rome_sources")
    if not raw.get("fiche"):
        raise ValueError(f"{where}: needs the fiche's words (fiche)")
    says = _texts(raw.get("says"), f"{where}.says")
    return Access(str(raw["start"]), str(raw["fiche"]), says, str(raw["source"]))


def _needed(trade: dict[str, object], key: str, path: Path) -> object:
    """A key every trade has, if only as null (`access: null`: the fiche was not found)."""
    if key not in trade:
        raise ValueError(f"{path}: {trade.get('id')}: needs {key} (null if not found)")
    return trade[key]


def _id(raw: object, where: str) -> str:
    if not isinstance(raw, str):  # a bare `no` or `on` is read by YAML as a boolean
        raise ValueError(f"{where}: id {raw!r} must be a quoted word")
    return raw


@cache
def load_explorer(path: Path) -> Explorer:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    sources = raw.get("rome_sources") or {}
    questions = tuple(
        Question(
            _id(q["id"], str(path)),
            tuple(
                Answer(
                    _id(a["id"], f"{path}: {q['id']}"),
                    _traits(a.get("traits"), f"{path}: {q['id']}.{a['id']}"),
                )
                for a in q["answers"]
            ),
        )
        for q in raw["questions"]
    )
    trades = tuple(
        Trade(
            id=_id(t["id"], str(path)),
            family=str(t["family"]),
            rome_code=str(t["rome"]["code"]),
            rome_label=str(t["rome"]["label"]),
            title=_texts(t["title"], f"{path}: {t['id']}.title"),
            description=_texts(t["description"], f"{path}: {t['id']}.description"),
            where=_texts(t["where"], f"{path}: {t['id']}.where"),
            training=_texts(t["training"], f"{path}: {t['id']}.training"),
            access=_access(_needed(t, "access", path), sources, f"{path}: {t['id']}.access"),
            traits=_traits(t["traits"], f"{path}: {t['id']}"),
            source=str(t["source"]),
        )
        for t in raw["trades"]
    )
    ways = tuple(
        Way(
            str(w["id"]),
            str(w["partner_kind"]),
            str(w["audience"]),
            _texts(w["text"], f"{path}: {w['id']}.text"),
            (int(w["ages"][0]), int(w["ages"][1])) if w.get("ages") else None,
        )
        for w in raw["ways"]
    )
    return Explorer(questions, trades, ways, sources)
