"""The brain's storage: state that survives a restart, a full transcript, concurrent turns of one youth,
and the routing property ("every shown service is eligible, room first, then distance")."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
from geopy.distance import geodesic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, event, func, select

from bot.brain import Brain
from bot.catalogue.snapshot import load_services
from bot.config import load_settings
from bot.db import make_engine, session_factory
from bot.messages import Incoming, Outgoing
from bot.models import Conversation, DailyCount, InboundEvent, Message, OutboxMessage, Youth
from bot.resources import Resources
from bot.routing import ages_fit, zone_fits
from nlu.parser import EmbeddedParser
from tests.conftest import PSEUDONYMS

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
RESOURCES = Resources.load(load_settings())


def new_brain(engine: Engine, parser: EmbeddedParser) -> Brain:
    return Brain(engine, RESOURCES, parser, PSEUDONYMS, clock=lambda: NOW)


T = TypeVar("T")


def run_noting_statements(engine: Engine, call: Callable[[], T]) -> tuple[T, list[str]]:
    """What `call` returns, and the SQL statements it sent."""
    statements: list[str] = []

    def note(*arguments: object) -> None:
        statements.append(str(arguments[2]))

    event.listen(engine, "before_cursor_execute", note)
    try:
        return call(), statements
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_state_survives_a_restart(loaded_engine: Engine, parser: EmbeddedParser) -> None:
    url = loaded_engine.url.render_as_string(hide_password=False)
    first = new_brain(make_engine(url), parser)
    first.handle(Incoming("test", "u1", text="jcherche du taf"))
    first.handle(Incoming("test", "u1", text="champi"))
    first.engine.dispose()
    second = new_brain(make_engine(url), parser)  # another process, later
    replies = second.handle(Incoming("test", "u1", text="19 ans")).messages
    assert "Pour trouver du taf" in replies[0].text
    second.engine.dispose()


def test_one_turn_gives_one_result(loaded_engine: Engine, parser: EmbeddedParser) -> None:
    """The adapter learns from the result alone: stored bubbles (cursor), a redelivery, an erasure."""
    brain = new_brain(loaded_engine, parser)
    first = brain.handle(Incoming("test", "u-result", text="salut", message_id="e1"))
    assert first.messages and not first.erased and not first.duplicate
    assert first.cursor == max(m.id or 0 for m in first.messages) > 0
    again = brain.handle(Incoming("test", "u-result", text="salut", message_id="e1"))
    assert again.duplicate and again.messages == [] and again.cursor == 0
    bubbles, cursor = brain.history("test", "u-result")
    assert [b.sender for b in bubbles][:2] == ["youth", "bot"] and cursor == first.cursor
    assert brain.history("test", "u-result", after=cursor) == ([], cursor)
    brain.handle(Incoming("test", "u-result", text="/oubli"))
    erased = brain.handle(Incoming("test", "u-result", payload="forget:yes"))
    assert erased.erased and erased.messages
    assert brain.history("test", "u-result") == ([], 0)


def test_every_message_is_stored_with_its_intent(loaded_engine: Engine, parser: EmbeddedParser) -> None:
    brain = new_brain(loaded_engine, parser)
    brain.handle(Incoming("test", "u2", text="salut", message_id="m1", source="qr-bois-l-abbe"))
    brain.handle(Incoming("test", "u2", payload="concern:job"))
    with session_factory(loaded_engine)() as session:
        youth = session.scalars(select(Youth).where(Youth.user_ref == PSEUDONYMS.ref("test", "u2"))).one()
        assert youth.source == "qr-bois-l-abbe"
        rows = session.scalars(select(Message).where(Message.youth_id == youth.id).order_by(Message.id)).all()
    inbound = [r for r in rows if r.direction == "in"]
    outbound = [r for r in rows if r.direction == "out"]
    assert [(r.text, r.payload, r.intent) for r in inbound] == [
        ("salut", None, "greet"),
        (None, "concern:job", "job"),
    ]
    assert inbound[0].platform_message_id == "m1"
    assert len(outbound) == 4  # welcome, privacy, concern question; then the town question
    assert (
        outbound[2].content is not None
        and outbound[2].content["buttons"][0]["payload"] == "concern:paperwork"
    )
    assert all(r.intent for r in rows)


@pytest.mark.parametrize("events", [False, True], ids=["no-event-id", "event-ids"])
def test_two_workers_handling_one_youth_at_once_lose_nothing(
    loaded_engine: Engine, parser: EmbeddedParser, events: bool
) -> None:
    """With event ids (every platform's), PostgreSQL reads the conversation with the youth's lock: the
    newest state, and the conversation the other worker has just created."""
    url = loaded_engine.url.render_as_string(hide_password=False)
    workers = [new_brain(make_engine(url), parser) for _ in range(2)]
    user = f"busy-{uuid.uuid4().hex[:6]}"
    per_worker = 12
    errors: list[BaseException] = []

    def talk(brain: Brain, index: int) -> None:
        try:
            for turn in range(per_worker):
                event = f"{user}-{index}-{turn}" if events else None
                brain.handle(Incoming("test", user, text=f"jcherche du taf {index}-{turn}", message_id=event))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=talk, args=(w, i)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with session_factory(loaded_engine)() as session:
        youth = session.scalars(
            select(Youth).where(Youth.user_ref == PSEUDONYMS.ref("test", user))
        ).one()  # one youth, not two
        conversation = session.get(Conversation, youth.id)
        inbound = session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.youth_id == youth.id, Message.direction == "in")
        )
    assert conversation is not None and conversation.turns == 2 * per_worker
    assert inbound == 2 * per_worker
    for worker in workers:
        worker.engine.dispose()


CONCERNS = sorted(RESOURCES.concerns)
TOWNS = [c.name for c in RESOURCES.territory.communes]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    concern=st.sampled_from(CONCERNS),
    town=st.sampled_from(TOWNS),
    age=st.integers(min_value=12, max_value=30),
)
def test_shown_services_are_eligible_room_first_then_nearest(
    module_engine: Engine, parser: EmbeddedParser, concern: str, town: str, age: int
) -> None:
    brain = new_brain(module_engine, parser)
    user = f"prop-{uuid.uuid4().hex[:8]}"
    shown = []
    steps = [{"payload": f"concern:{concern}"}, {"text": town}, {"text": f"{age} ans"}]
    for step in steps + [{"payload": "more"}] * 4:  # the town and the age typed, as a youth does
        for reply in brain.handle(Incoming("test", user, **step)).messages:
            shown += [card.id for card in reply.cards if card.kind == "service"]
    with session_factory(module_engine)() as session:
        services = {s.id: s for s in load_services(session)}
    commune = RESOURCES.territory.commune(town)
    assert commune is not None
    thematiques = RESOURCES.concerns[concern].thematiques
    assert len(shown) == len(set(shown))
    for service_id in shown:
        service = services[service_id]
        assert (
            service.thematiques & thematiques
            and ages_fit(service, (age, age))
            and zone_fits(service, commune)
        )

    preferred = RESOURCES.rules.preferred_partners.get(concern, frozenset())

    def rank(service_id: str) -> tuple[int, int, float]:
        service = services[service_id]
        first = 0 if service.partner_id in preferred else 1  # the concern's preferred partners first
        room = {True: 0, None: 1, False: 2}[service.has_room]
        distances = [
            geodesic((commune.latitude, commune.longitude), (p.latitude, p.longitude)).km
            for p in service.places
        ]
        return first, room, min(distances) if distances else float("inf")

    ranks = [rank(service_id) for service_id in shown]
    assert ranks == sorted(ranks), list(zip(shown, ranks, strict=True))


def test_a_turn_reads_the_catalogue_version_with_the_conversation(
    loaded_engine: Engine, parser: EmbeddedParser
) -> None:
    """One round trip fewer per turn: a known youth's conversation and the catalogue's version (whether
    the cached services are still current) are read by one statement."""
    brain = new_brain(loaded_engine, parser)
    brain.handle(Incoming("test", "u-version", text="salut"))
    _, statements = run_noting_statements(
        loaded_engine, lambda: brain.handle(Incoming("test", "u-version", text="jcherche du taf"))
    )
    versions = [s for s in statements if "max(services.updated_at)" in s]
    assert len(versions) == 1 and "FROM conversations" in versions[0]


def test_a_platform_event_is_noted_with_the_youths_row(loaded_engine: Engine, parser: EmbeddedParser) -> None:
    """On PostgreSQL, the youth's row (created or locked) and the event's id are one statement, one round
    trip; on both, a new youth's first event is noted against its new row, and a redelivery is a
    duplicate that changes nothing."""
    brain = new_brain(loaded_engine, parser)
    first, statements = run_noting_statements(
        loaded_engine,
        lambda: brain.handle(Incoming("test", "u-event", text="salut", message_id="ev-1", reply_to="42")),
    )
    assert first.messages and not first.duplicate
    youths = [n for n, s in enumerate(statements) if "INSERT INTO youths" in s]
    events = [n for n, s in enumerate(statements) if "INSERT INTO inbound_events" in s]
    assert len(youths) == len(events) == 1
    if loaded_engine.dialect.name == "postgresql":
        assert youths == events == [0]
    with session_factory(loaded_engine)() as session:
        youth = session.scalars(select(Youth).where(Youth.channel == "test", Youth.address == "42")).one()
        noted = session.execute(select(InboundEvent.youth_id).where(InboundEvent.event_id == "ev-1")).all()
        assert noted == [(youth.id,)]
        count = session.scalar(select(func.count()).select_from(Message).where(Message.youth_id == youth.id))
    again = brain.handle(Incoming("test", "u-event", text="salut", message_id="ev-1", reply_to="42"))
    assert again.duplicate and again.messages == []
    second = brain.handle(
        Incoming("test", "u-event", text="jcherche du taf", message_id="ev-2", reply_to="42")
    )
    assert second.messages and not second.duplicate
    with session_factory(loaded_engine)() as session:
        after = session.scalar(select(func.count()).select_from(Message).where(Message.youth_id == youth.id))
        assert after == (count or 0) + 1 + len(second.messages)


def test_the_message_in_and_the_replies_out_are_one_insert(
    loaded_engine: Engine, parser: EmbeddedParser
) -> None:
    """One round trip for the turn's messages on PostgreSQL; the message in still has no content (SQL NULL), the replies
    no payload, confidence nor platform id."""
    brain = new_brain(loaded_engine, parser)
    result, statements = run_noting_statements(
        loaded_engine,
        lambda: brain.handle(Incoming("test", "u-one-insert", text="jcherche du taf", message_id="one-1")),
    )
    assert result.messages
    inserts = [s for s in statements if s.startswith("INSERT INTO messages")]
    if loaded_engine.dialect.name == "postgresql":  # SQLite inserts them one by one, in process
        assert len(inserts) == 1
    with session_factory(loaded_engine)() as session:
        youth = session.scalars(select(Youth).where(Youth.channel == "test")).all()
        rows = session.execute(
            select(Message.direction, Message.content.is_(None), Message.payload, Message.platform_message_id)
            .join(Youth, Youth.id == Message.youth_id)
            .where(Youth.id.in_([y.id for y in youth]))
            .order_by(Message.id)
        ).all()
    assert rows[0] == ("in", True, None, "one-1")
    assert [r[:2] for r in rows[1:]] == [("out", False)] * len(result.messages)
    assert {(r[2], r[3]) for r in rows[1:]} == {(None, None)}
    ids = [m.id or 0 for m in result.messages]
    assert ids == sorted(ids) and ids[0] > 0


def test_a_known_conversation_is_saved_and_counted_by_one_statement(
    loaded_engine: Engine, parser: EmbeddedParser
) -> None:
    """On PostgreSQL, a known youth's new state and the daily counter are written by one statement, the
    turn's last but the tallies; on both, the counter and the state are as before."""
    brain = new_brain(loaded_engine, parser)
    brain.handle(Incoming("test", "u-saved", text="salut"))
    statements: list[str] = []

    def note(*arguments: object) -> None:
        statements.append(" ".join(str(arguments[2]).split()))

    def counted() -> int:
        with session_factory(loaded_engine)() as session:
            return session.scalar(select(func.sum(DailyCount.count)).where(DailyCount.channel == "test")) or 0

    before = counted()
    with session_factory(loaded_engine)() as session:
        first_state = session.scalars(select(Conversation.state)).one()
    event.listen(loaded_engine, "before_cursor_execute", note)
    try:
        brain.handle(Incoming("test", "u-saved", text="jcherche du taf"))
    finally:
        event.remove(loaded_engine, "before_cursor_execute", note)
    assert counted() == before + 1
    counts = [n for n, s in enumerate(statements) if "INSERT INTO daily_counts" in s]
    updates = [n for n, s in enumerate(statements) if s.startswith(("UPDATE conversations", "WITH counted"))]
    assert len(counts) == len(updates) == 1
    if loaded_engine.dialect.name == "postgresql":
        assert counts == updates and not any("daily_counts" in s for s in statements[: counts[0]])
        assert all(s.startswith("INSERT INTO daily_tallies") for s in statements[counts[0] + 1 :])
    with session_factory(loaded_engine)() as session:
        youth = session.scalars(select(Youth).where(Youth.channel == "test")).one()
        conversation = session.get(Conversation, youth.id)
        assert conversation is not None and conversation.turns == 2 and conversation.updated_at == NOW
        assert conversation.state != first_state and conversation.state  # the new state, saved


def test_typing_a_buttons_label_presses_it(loaded_engine: Engine, parser: EmbeddedParser) -> None:
    """On WhatsApp or out of habit, youths type what a button says ("30 km", "Tous les métiers")."""
    brain = new_brain(loaded_engine, parser)
    brain.handle(Incoming("test", "u-typed", text="jsuis de fontenay g 19 ans jcherche un job dans la vente"))
    for answer in ("un job", "5 km", "non"):
        replies = brain.handle(Incoming("test", "u-typed", text=answer)).messages
    labels = [b.title for m in replies for b in m.buttons]
    assert "30 km" in labels, [m.text for m in replies]  # after the offers at 5 km: farther
    replies = brain.handle(Incoming("test", "u-typed", text="30 KM !")).messages
    assert any("30 km" in m.text for m in replies), [m.text for m in replies]


def test_replies_go_to_the_outbox_in_order_with_the_conversation(
    loaded_engine: Engine, parser: EmbeddedParser
) -> None:
    """A known conversation on PostgreSQL writes its replies' outbox rows with its new state, in one
    statement; every backend and every turn writes them alike, in the order of the replies."""
    brain = new_brain(loaded_engine, parser)

    def render(message: Outgoing) -> list[dict[str, object]]:
        return [{"text": message.text}, {"after": message.text}]

    def turn(text: str, event: str) -> list[str]:
        incoming = Incoming("telegram", "u-outbox", text=text, message_id=event, reply_to="4242")
        result, statements = run_noting_statements(loaded_engine, lambda: brain.handle(incoming, render))
        with session_factory(loaded_engine)() as session:
            rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        expected = [r for m in result.messages for r in render(m)]
        written = [row.request for row in rows[-len(expected) :]]
        assert written == expected
        youth = rows[-1].youth_id
        for row in rows[-len(expected) :]:
            assert (row.youth_id, row.channel, row.recipient) == (youth, "telegram", "4242")
            assert (row.status, row.attempts, row.kind, row.priority) == ("pending", 0, "message", 0)
            assert row.next_attempt_at == row.created_at and row.claimed_until is None
        return [s for s in statements if "INSERT INTO outbox" in s]

    assert turn("salut", "ev-outbox-1")  # a new conversation: the outbox rows by the ORM
    again = turn("jcherche du taf", "ev-outbox-2")  # a known one
    if loaded_engine.dialect.name == "postgresql":  # with the conversation's new state
        assert len(again) == 1
        assert again[0].lstrip().startswith("WITH") and "UPDATE conversations" in again[0]
    else:
        assert again and all(s.lstrip().startswith("INSERT INTO outbox") for s in again)
