"""What an abuser of the open widget API, or a flood of questions, can no longer do: read another
partner's part of a youth's conversation, press buttons the bot never showed (a fake urgent question, an
invented intent in the statistics), bury a real crisis under old questions or behind their
notifications. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from bot.brain import Brain, HandoffLimits
from bot.config import load_settings
from bot.db import session_factory, transaction
from bot.messages import Incoming
from bot.models import DailyCount, Handoff, OutboxMessage, Partner, Youth
from bot.outbox import claim
from bot.resources import Resources
from bot.staff import add_staff
from nlu.parser import EmbeddedParser
from tests.conftest import PSEUDONYMS
from tests.test_admin_api import World, make_world


@pytest.fixture
def world(loaded_engine: Engine, parser: EmbeddedParser) -> Iterator[World]:
    yield from make_world(loaded_engine, parser)


def widget(world: World, conversation: str, **body: str) -> list[str]:
    response = world.client.post("/widget/messages", json={"conversation_id": conversation, **body})
    assert response.status_code == 200, response.text
    return [m["text"] for m in response.json()["messages"]]


def thread_texts(world: World, who: str, handoff_id: int) -> list[str]:
    response = world.call(who, "GET", f"/handoffs/{handoff_id}")
    assert response.status_code == 200, response.text
    return [m["text"] or "" for m in response.json()["conversation"]]


def test_a_question_shows_only_its_own_part_of_the_conversation(world: World) -> None:
    first = world.own_handoff
    with transaction(world.engine) as session:  # the question make_world adds for another partner
        session.delete(session.get(Handoff, world.other_handoff))
    world.call("adviser", "POST", f"/handoffs/{first}/reply", {"text": "Oui, passe mardi."})
    assert world.call("adviser", "POST", f"/handoffs/{first}/resolve").status_code == 200
    # the youth then confides in another partner
    widget(world, world.conversation, text="je suis enceinte et jsais pas quoi faire")  # the lines first
    widget(world, world.conversation, payload="crisis:adviser")
    widget(world, world.conversation, text="c'est grave si je le dis a personne ?")
    with session_factory(world.engine)() as session:
        second = session.scalars(select(Handoff.id).where(Handoff.id != first)).one()
    transferred = world.call("admin", "POST", f"/handoffs/{second}/transfer", {"partner_id": "epide_montry"})
    assert transferred.status_code == 200, transferred.text

    first_thread = " ".join(thread_texts(world, "adviser", first))
    assert "permis a 1 euro" in first_thread and "passe mardi" in first_thread
    assert "enceinte" not in first_thread and "personne" not in first_thread
    second_thread = " ".join(thread_texts(world, "other_adviser", second))
    assert "enceinte" in second_thread and "personne" in second_thread
    assert "permis a 1 euro" not in second_thread and "passe mardi" not in second_thread
    # the coordinators see each question with its own part too
    assert "enceinte" not in " ".join(thread_texts(world, "coordinator", first))
    # and the youth's panel of the first question shows no card shown for the second
    page = world.client.get(f"/admin/handoffs/{first}", headers=world.headers("adviser"))
    assert page.status_code in (200, 303)


def test_a_button_the_bot_never_showed_opens_nothing(world: World) -> None:
    before = count_handoffs(world.engine)
    for payload in (
        "crisis:listening",
        "crisis:adviser",
        "intent:handoff_partner",
        "handoff:partner:epide_montry",
    ):
        texts = widget(world, str(uuid.uuid4()), payload=payload)
        assert texts and not any("transmis" in t for t in texts), (payload, texts)
    assert count_handoffs(world.engine) == before  # no fake (urgent) question
    widget(world, str(uuid.uuid4()), payload="intent:../../")
    widget(world, str(uuid.uuid4()), payload="concern:nope")
    with session_factory(world.engine)() as session:
        intents = set(session.scalars(select(DailyCount.intent)))
    assert not any(":" in i or "/" in i or i in ("nope", "../../") for i in intents), intents
    # the portal's subject links and the bot's own buttons still work
    assert "Tu habites où" in widget(world, str(uuid.uuid4()), payload="concern:driving_licence")[-1]


def count_handoffs(engine: Engine) -> int:
    with session_factory(engine)() as session:
        return len(session.scalars(select(Handoff.id)).all())


def test_lists_are_paged_urgent_then_newest_first(world: World) -> None:
    now = datetime.now(UTC)
    with transaction(world.engine) as session:
        youth_id = session.scalars(select(Youth.id)).first()
        for minutes in range(130, 0, -1):  # a flood of old questions
            session.add(Handoff(youth_id=youth_id, partner_id="mission_locale_bords_de_marne",
                                status="pending", urgent=False, created_at=now - timedelta(minutes=minutes)))  # fmt: skip
        crisis = Handoff(youth_id=youth_id, partner_id="mission_locale_bords_de_marne", status="pending",
                         urgent=True, crisis_kind="idées suicidaires", created_at=now)  # fmt: skip
        session.add(crisis)
        session.flush()
        crisis_id = crisis.id
    first = world.call("adviser", "GET", "/handoffs?status=pending").json()
    assert first[0]["id"] == crisis_id and len(first) == 50
    rest = [h for h in first[1:]]
    assert [h["created_at"] for h in rest] == sorted((h["created_at"] for h in rest), reverse=True)
    seen, offset = [], 0
    while page := world.call("adviser", "GET", f"/handoffs?status=pending&limit=40&offset={offset}").json():
        seen += [h["id"] for h in page]
        offset += 40
    assert len(seen) == len(set(seen)) == 130 + 2  # the flood, the youth's own question and the crisis
    assert world.call("adviser", "GET", "/handoffs?limit=500").status_code == 422
    # the inbox page: the crisis on top of the first page, the flood on the next pages
    html = world.client.get("/admin/?view=unassigned", headers=world.headers("adviser")).text
    if "Question n°" in html:  # the pages use the session cookie; the API token may not open them
        assert html.index(f"Question n° {crisis_id}") < html.index(
            "Question n°", html.index(f"n° {crisis_id}") + 1
        )
        assert 'rel="next"' in html


@pytest.fixture
def limited(loaded_engine: Engine, parser: EmbeddedParser) -> Brain:
    with transaction(loaded_engine) as session:
        add_staff(session, "coord@6tcap.example", "Coord", "coordinator", "un-mot-de-passe-solide", None)
    resources = Resources.load(load_settings())
    return Brain(
        loaded_engine, resources, parser, PSEUDONYMS, limits=HandoffLimits(per_youth_per_day=1, per_hour=2)
    )


def ask(brain: Brain, user: str, question: str) -> str:
    for step in (
        {"text": "jsuis de champi j'ai 19 ans je cherche du taf"},
        {"payload": "adviser"},
        {"text": question},
    ):
        replies = brain.handle(Incoming("test", user, **step)).messages
    return " ".join(r.text for r in replies)


def test_questions_are_limited_per_youth_and_for_everyone_but_never_a_crisis(
    limited: Brain, loaded_engine: Engine
) -> None:
    youth = uuid.uuid4().hex
    assert "transmis" in ask(limited, youth, "c'est quoi le CEJ ?")
    limited.handle(Incoming("test", youth, payload="handoff:close"))
    limited.handle(Incoming("test", youth, payload="handoff:close:yes"))
    again = ask(limited, youth, "et la garantie jeunes ?")
    assert "reviens demain" in again and "transmis" not in again
    assert "transmis" in ask(limited, uuid.uuid4().hex, "une question")
    busy = ask(limited, uuid.uuid4().hex, "une autre question")
    assert "réessaie dans une heure" in busy
    assert count_handoffs(loaded_engine) == 2
    # a youth in danger is never refused, and the coordinators hear of it first
    danger = uuid.uuid4().hex
    limited.handle(Incoming("test", danger, text="jveux me foutre en l'air"))
    limited.handle(Incoming("test", danger, payload="crisis:listening"))
    with session_factory(loaded_engine)() as session:
        urgent = session.scalars(select(Handoff).where(Handoff.urgent.is_(True))).one()
        assert urgent.status == "pending"


def test_an_urgent_question_is_announced_before_the_flood(limited: Brain, loaded_engine: Engine) -> None:
    with transaction(loaded_engine) as session:  # every partner posts to one hook: one queue
        for partner in session.scalars(select(Partner)):
            partner.notify_webhook_url = "http://127.0.0.1:9/hook"
    flood = HandoffLimits(per_youth_per_day=5, per_hour=1000)
    brain = Brain(limited.engine, limited.resources, limited.parser, PSEUDONYMS, limits=flood)
    for _ in range(25):
        ask(brain, uuid.uuid4().hex, "une question")
    danger = uuid.uuid4().hex
    brain.handle(Incoming("test", danger, text="jsuis de champi j'ai 19 ans"))
    brain.handle(Incoming("test", danger, text="jveux me foutre en l'air"))
    brain.handle(Incoming("test", danger, payload="crisis:listening"))
    later = datetime.now(UTC) + timedelta(seconds=1)
    first = claim(loaded_engine, later, timedelta(seconds=30), timedelta(seconds=1), limit=5)
    hooks = [row for row in first if row.channel == "webhook"]
    assert hooks and hooks[0].request["json"]["urgent"] is True
    emails = [row for row in first if row.channel == "email"]
    assert emails and "URGENT" in emails[0].request["subject"]
    with session_factory(loaded_engine)() as session:
        waiting = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook")).all()
        assert len(waiting) == 26
