"""The knowledge base the bot answers from (`data/answers/*.yml`): short sourced answers, their follow-up
buttons and sources. Which answer a question asks for is the NLU's job (nlu/answers.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from nlu.datafile import read_yaml
from nlu.text import any_of


@dataclass(frozen=True)
class FollowUp:
    title: str
    concern: str | None = None  # a concern to route to
    adviser: bool = False  # put the question to an adviser
    need: str | None = None  # a specific need to route to (data/routing.yml): places nearby for it


@dataclass(frozen=True)
class Source:
    url: str
    title: str
    date: str

    @property
    def site(self) -> str:
        host = urlparse(self.url).netloc
        return host.removeprefix("www.") or self.title


@dataclass(frozen=True)
class Answer:
    id: str
    title: str
    bubbles: tuple[str, ...]
    follow_up: tuple[FollowUp, ...]
    sources: tuple[Source, ...]
    to_verify: str | None = None
    # the names of the aid or programme ("permis à 1 euro", "service civique"): a short message naming it
    # asks for this answer, even without a question ("cpf permis", "jcherche un service civique")
    names: re.Pattern[str] | None = None
    ages: tuple[int, int] | None = None  # who it is for (the CEJ: 16-25), as its answer says
    # an answer across the services ("c'est gratuit ?", "jusqu'à quel âge ?"): a question that names one aid
    # of the base ("la css c'est gratuit ?") gets that aid's answer instead
    across: bool = False
    # the answer for those outside these ages (under 16, over 25): a youth within them is not its reader
    outside_ages: tuple[int, int] | None = None

    def fits(self, age_low: int | None, age_high: int | None) -> bool:
        """Whether a youth of these ages (None: not said) is among those the answer is for."""
        if self.ages is None:
            return True
        low, high = self.ages
        return (age_high is None or age_high >= low) and (age_low is None or age_low <= high)


def _answer(raw: dict[str, Any], path: Path) -> Answer:
    return Answer(
        id=str(raw.get("id") or path.stem),
        title=str(raw["title"]),
        bubbles=tuple(str(b) for b in raw["answer"]),
        follow_up=tuple(
            FollowUp(str(f["title"]), f.get("concern"), bool(f.get("adviser", False)), f.get("need"))
            for f in raw.get("follow_up") or ()
        ),
        sources=tuple(
            Source(str(s["url"]), str(s.get("title", "")), str(s.get("date", "")))
            for s in raw.get("sources") or ()
        ),
        to_verify=raw.get("to_verify") or None,
        names=any_of(raw["names"]) if raw.get("names") else None,
        ages=(int(raw["ages"][0]), int(raw["ages"][1])) if raw.get("ages") else None,
        across=bool(raw.get("across", False)),
        outside_ages=(int(raw["outside_ages"][0]), int(raw["outside_ages"][1]))
        if raw.get("outside_ages")
        else None,
    )


def named(answers: dict[str, Answer], folded: str) -> str | None:
    """The one answer whose aid or programme a folded message names, if exactly one is named."""
    found = [a.id for a in answers.values() if a.names is not None and a.names.search(folded)]
    return found[0] if len(found) == 1 else None


def load_answers(folder: Path) -> dict[str, Answer]:
    answers = {}
    for path in sorted(folder.glob("*.yml")):
        answer = _answer(read_yaml(path), path)
        answers[answer.id] = answer
    return answers
