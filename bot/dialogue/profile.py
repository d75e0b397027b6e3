"""What a message says about the youth (town, neighbourhood, age, public), and the questions that ask it."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.dialogue.context import Context
from bot.dialogue.results import advance
from bot.dialogue.turn import FAQ, Turn
from bot.messages import Outgoing
from bot.state import AGE, State
from nlu.text import fold, words

ANSWER_ENTITIES = ("commune", "quartier", "elsewhere", "age", "age_range")
BARE_NUMBER = re.compile(r"^\s*(\d{1,2})\s*$")
YOUTH_AGES = range(13, 31)  # a number beside a town read as an age
DENIED_BEFORE = re.compile(r"\b(?:pas|plus|non|ni)(?: (?:a|au|de|du|sur|dans|en|a cote de))?\s*$")
SUBJECT_CHANGES = (
    "greet",
    "thanks",
    "help",
    "ask_human",
    FAQ,
    "ask_this",
    "village",
    "village_scene",
    "more",
    "town_other",
    "age_skip",
)


def take_answers(ctx: Context, state: State, turn: Turn) -> bool:
    """Remember the town, neighbourhood and age the message gives; True if it gave any. A place said
    with "pas" before it is what the youth corrects ("jsuis de nogent pas fontenay"): not taken."""
    territory = ctx.r.territory
    answered = False
    turn = replace(turn, entities=tuple(e for e in turn.entities if not denied(turn.text, e)))
    said = ctx.r.rules.publics_said(fold(turn.text)) if turn.text else frozenset()
    if said:  # "je suis une fille", "apprendre le français": services for that public may be shown
        state.extra["publics"] = sorted(set(state.extra.get("publics", [])) | said)
    for name in turn.values("quartier"):
        quartier = territory.quartier(name)
        if quartier:
            state.quartier, state.commune = quartier.name, quartier.commune
            state.town_unknown, answered = False, True
    for name in turn.values("elsewhere"):
        state.elsewhere, state.commune, state.quartier = str(name), None, None
        state.town_unknown, answered = False, True
    for name in turn.values("commune"):
        commune = territory.commune(name)
        if commune:
            state.elsewhere = None
        if commune and commune.name != state.commune:
            state.commune, state.town_unknown, answered = commune.name, False, True
            if state.quartier and (q := territory.quartier(state.quartier)) and commune.insee not in q.insee:
                state.quartier = None
        elif commune:
            answered = True
    ages: list[tuple[int, int]] = [(int(a), int(a)) for a in turn.values("age")]
    ages += [(int(r[0]), int(r[1])) for r in turn.values("age_range")]
    bare = BARE_NUMBER.match(turn.text) if state.step == AGE else None
    if bare:
        ages.append((int(bare.group(1)), int(bare.group(1))))
    elif not ages and state.commune and (number := number_beside_town(ctx, turn)) is not None:
        ages.append((number, number))  # "champigny 19": the town and the age, as both were asked
    for low, high in ages:
        state.set_age(low, high)
        answered = True
    if answered:
        state.page = 0
    return answered


def number_beside_town(ctx: Context, turn: Turn) -> int | None:
    """The age in a message that is only one of sixtcap's towns and a number of a youth's age
    ("champigny 19", "17 villiers"): None for anything else (a place outside, "paris 20", is not it)."""
    if not any(e["entity"] in ("commune", "quartier") for e in turn.entities):
        return None
    rest = [w for w in words(fold(without_answers(turn))) if w not in ctx.t.filler_words]
    if len(rest) == 1 and rest[0].isdigit() and int(rest[0]) in YOUTH_AGES:
        return int(rest[0])
    return None


def denied(text: str, entity: dict[str, Any]) -> bool:
    if entity.get("entity") not in ("commune", "quartier", "elsewhere") or "start" not in entity:
        return False
    return DENIED_BEFORE.search(fold(text[: int(entity["start"])])) is not None


def changes_subject(ctx: Context, turn: Turn) -> bool:
    """While a question is pending, only a clear concern, or a greeting or thanks, is not a failed answer
    ('Marseille' is likely a town sixtcap does not know, whatever the classifier guesses)."""
    return turn.intent in SUBJECT_CHANGES or ctx.clear_concern(turn)


def only_answers(ctx: Context, turn: Turn) -> bool:
    """True when the message is nothing but an answer: 'jsuis de champi', 'non à Villiers', '19 ans'."""
    fillers = ctx.t.filler_words
    return all(word in fillers or word.isdigit() for word in words(fold(without_answers(turn))))


def without_answers(turn: Turn) -> str:
    """The message's text without the towns, neighbourhoods and ages it gives."""
    text = turn.text
    for entity in sorted(turn.entities, key=lambda e: -int(e.get("start", 0))):
        if "start" in entity and entity["entity"] in ANSWER_ENTITIES:
            text = text[: entity["start"]] + " " + text[entity["end"] :]
    return text


TOWN_WORDS = 5  # a town's name is a few words ("a saint maur des fosses"); a sentence is not one
# words that make a sentence, never a town's name: "personne va me croire", "jai plus de forfait"
SENTENCE_WORDS = frozenset(
    {
        *("je", "j", "jai", "jsuis", "jveux", "jpeux", "me", "m", "te", "tu", "il", "elle", "on", "ils"),
        *("va", "vais", "vont", "pas", "plus", "ne", "est", "suis", "ai", "as", "veux", "peux", "fait"),
        *("fais", "quoi", "pourquoi", "comment", "personne", "rien", "croire", "faut", "dois", "mon", "ma"),
        "mes",
    }
)


def a_sentence(named: list[str]) -> bool:
    """Words that make a sentence, never a town's name ("personne va me croire")."""
    return bool(SENTENCE_WORDS.intersection(named))


def town_not_understood(ctx: Context, state: State, now: datetime, text: str) -> list[Outgoing]:
    """Asked for the town, a message that gives none: a name not found ("champignyy-sur-mer"), or no name
    at all ("...", a sentence), which is not told "I can't find this town"."""
    state.town_attempts += 1
    if state.town_attempts >= 2:
        state.town_unknown = True
        return [Outgoing(ctx.t("town_given_up")), *advance(ctx, state, now)]
    named = words(fold(text))
    a_name = named and len(named) <= TOWN_WORDS and not a_sentence(named)
    said = "town_unknown" if a_name else "town_not_said"
    return [Outgoing(ctx.t(said), buttons=ctx.town_buttons())]


def age_not_understood(ctx: Context, state: State, now: datetime) -> list[Outgoing]:
    attempts = int(state.extra.get("age_attempts", 0)) + 1
    state.extra["age_attempts"] = attempts
    if attempts >= 2:
        state.age_skipped = True
        return advance(ctx, state, now)
    return [Outgoing(ctx.t("age_unclear"), buttons=ctx.age_buttons())]
