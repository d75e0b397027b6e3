"""Scripted conversations, written as data in tests/conversations/*.yml, played against the real brain
(real NLU, real catalogue) on SQLite and PostgreSQL.

A step is `say: text`, `press: "button title"` (a button of the previous reply) or `payload: ...`, with
an `expect` block:
  says / not_says: substrings of the reply's texts        first_says: substring of the first bubble
  buttons / no_buttons: button titles                     cards: {kind, min, max}
  first_card: {kind, id}                                  card_ids / no_card_ids: ids of cards shown
  first_card_says: substrings of the first card's lines and the titles of its buttons
  card_says: {card id: [parts]}: lines the card shows (its subtitle and details), e.g. a trade's "sans diplôme"
  cards_match: a concern: every service shown offers one of its thématiques, and is not mainly about another
  eligible: every service shown takes the youth's age and town   state: values of the conversation state
  erased: true: nothing about the youth is left in the database
  offers: {min, max}: offer cards shown                    follow_ups: the statuses of the youth's follow-ups
Every reply is also checked for what any youth would notice: bubbles under 300 characters, button payloads
that fit Telegram's 64 bytes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import Engine, func, select

from bot.brain import Brain
from bot.catalogue.snapshot import load_services
from bot.concerns import thematiques_besides
from bot.config import load_settings
from bot.db import session_factory
from bot.messages import Incoming, Outgoing
from bot.models import Conversation, FollowUp, Handoff, Message, Youth
from bot.resources import Resources
from bot.routing import ages_fit, zone_fits
from bot.state import State
from nlu.parser import EmbeddedParser
from tests.conftest import PSEUDONYMS

HERE = Path(__file__).parent / "conversations"
WEDNESDAY_MORNING = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


def scripts() -> Iterator[Any]:
    for path in sorted(HERE.glob("*.yml")):
        for conversation in yaml.safe_load(path.read_text(encoding="utf-8"))["conversations"]:
            yield pytest.param(conversation, id=f"{path.stem}: {conversation['name']}")


@pytest.fixture(scope="module")
def resources() -> Resources:
    return Resources.load(load_settings())


@pytest.fixture(scope="module")
def brain(module_engine: Engine, resources: Resources, parser: EmbeddedParser) -> Brain:
    return Brain(module_engine, resources, parser, PSEUDONYMS, clock=lambda: WEDNESDAY_MORNING)


def state_of(engine: Engine, user: str) -> State:
    with session_factory(engine)() as session:
        youth = session.scalars(select(Youth).where(Youth.user_ref == PSEUDONYMS.ref("test", user))).one()
        conversation = session.get(Conversation, youth.id)
        return State.from_json(conversation.state if conversation else {})


def check_always(replies: list[Outgoing]) -> None:
    assert replies, "the bot always answers"
    for reply in replies:
        assert len(reply.text) <= 300, reply.text
        for button in reply.buttons:
            assert button.payload is None or len(button.payload.encode()) <= 64, button
        shown = [(card.kind, card.id) for card in reply.cards]
        assert len(shown) == len(set(shown)), f"a card twice in one bubble: {shown}"


def check(expect: dict[str, Any], replies: list[Outgoing], brain: Brain, user: str) -> None:
    texts = [r.text for r in replies]
    joined = "\n".join(texts)
    buttons = [b.title for r in replies for b in r.buttons]
    cards = [c for r in replies for c in r.cards]
    for part in expect.get("says", []):
        assert part in joined, f"{part!r} not in {texts}"
    for part in expect.get("not_says", []):
        assert part not in joined, f"{part!r} in {texts}"
    if "first_says" in expect:
        assert expect["first_says"] in texts[0], texts
    for title in expect.get("buttons", []):
        assert title in buttons, f"{title!r} not in {buttons}"
    for title in expect.get("no_buttons", []):
        assert title not in buttons, f"{title!r} in {buttons}"
    if "cards" in expect:
        spec = expect["cards"]
        kinds = [c for c in cards if c.kind == spec.get("kind", c.kind)]
        assert spec.get("min", 0) <= len(kinds) <= spec.get("max", 99), [c.id for c in cards]
        if "kind" in spec:
            assert len(kinds) == len(cards), [c.kind for c in cards]
    if "first_card" in expect:
        assert cards, texts
        for key, value in expect["first_card"].items():
            assert getattr(cards[0], key) == value, cards[0]
    if "first_card_says" in expect:
        assert cards, texts
        lines = [
            cards[0].title,
            cards[0].subtitle or "",
            *cards[0].details,
            *(b.title for b in cards[0].actions),
        ]
        for part in expect["first_card_says"]:
            assert any(part in line for line in lines), f"{part!r} not on the first card: {lines}"
    shown = [c.id for c in cards]
    for card_id in expect.get("card_ids", []):
        assert card_id in shown, shown
    for card_id in expect.get("no_card_ids", []):
        assert card_id not in shown, shown
    for card_id, parts in expect.get("card_says", {}).items():
        card = next((c for c in cards if c.id == card_id), None)
        assert card is not None, shown
        lines = "\n".join((card.subtitle or "", *card.details))
        for part in parts:
            assert part in lines, f"{part!r} not on card {card_id}: {lines}"
    if "cards_match" in expect or expect.get("eligible"):
        with session_factory(brain.engine)() as session:
            services = {s.id: s for s in load_services(session)}
        state = state_of(brain.engine, user)
        for card in cards:
            if card.kind != "service":
                continue
            service = services[card.id]
            if "cards_match" in expect:
                concern = brain.resources.concerns[expect["cards_match"]]
                assert service.thematiques & concern.thematiques, card.id
                elsewhere = thematiques_besides(brain.resources.concerns, concern.name)
                assert service.main_thematique not in elsewhere, f"{card.id} is mainly about another concern"
            if expect.get("eligible"):
                commune = brain.resources.territory.commune(state.commune) if state.commune else None
                assert ages_fit(service, state.ages) and zone_fits(service, commune), card.id
    if "offers" in expect:
        offers = [c for c in cards if c.kind == "offer"]
        assert expect["offers"].get("min", 0) <= len(offers) <= expect["offers"].get("max", 99), [
            c.id for c in cards
        ]
    if "follow_ups" in expect:
        with session_factory(brain.engine)() as session:
            youth_id = session.scalars(
                select(Youth.id).where(Youth.user_ref == PSEUDONYMS.ref("test", user))
            ).one()
            statuses = session.scalars(
                select(FollowUp.status).where(FollowUp.youth_id == youth_id).order_by(FollowUp.id)
            )
            assert list(statuses) == expect["follow_ups"]
    if "handoff_question" in expect:  # the question staff read, as the youth typed it
        with session_factory(brain.engine)() as session:
            question = session.scalars(
                select(Handoff.question)
                .join(Youth, Youth.id == Handoff.youth_id)
                .where(Youth.user_ref == PSEUDONYMS.ref("test", user))
                .order_by(Handoff.id.desc())
            ).first()
            assert question == expect["handoff_question"], question
    if "state" in expect:
        state = state_of(brain.engine, user)
        for key, value in expect["state"].items():
            assert getattr(state, key) == value, (key, getattr(state, key))
    if expect.get("erased"):
        with session_factory(brain.engine)() as session:
            assert (
                session.scalar(
                    select(func.count())
                    .select_from(Youth)
                    .where(Youth.user_ref == PSEUDONYMS.ref("test", user))
                )
                == 0
            )
            assert session.scalar(select(func.count()).select_from(Message)) is not None


@pytest.mark.parametrize("conversation", list(scripts()))
def test_conversation(conversation: dict[str, Any], brain: Brain) -> None:
    user = f"script-{uuid.uuid4().hex[:10]}"
    previous: list[Outgoing] = []
    for number, step in enumerate(conversation["steps"], start=1):
        if "press" in step:
            pressable = {b.title: b.payload for r in previous for b in r.buttons if b.payload}
            assert step["press"] in pressable, (
                f"step {number}: no button {step['press']!r} in {list(pressable)}"
            )
            incoming = Incoming("test", user, payload=pressable[step["press"]])
        elif "payload" in step:
            incoming = Incoming("test", user, payload=step["payload"])
        else:
            incoming = Incoming("test", user, text=step["say"])
        replies = brain.handle(incoming).messages
        check_always(replies)
        try:
            check(step.get("expect", {}), replies, brain, user)
        except AssertionError as error:
            raise AssertionError(f"step {number} ({step}): {error}") from None
        previous = replies
