"""The brain: `handle(Incoming) -> TurnResult` (the bubbles, and whether the youth was erased), for every
channel.

One turn = understand the message (outside any transaction), then, in one transaction that holds the
youth's row locked: read the conversation state, let the dialogue respond, store the state and both
messages. Two messages of the same youth handled at once are thus handled one after the other, and a
crash leaves either the whole turn or nothing."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Engine,
    Integer,
    bindparam,
    column,
    delete,
    exists,
    func,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import set_committed_value

from bot import followups, handoffs, history, tallies
from bot.campaigns import clean_source
from bot.catalogue.nearby import NearbyCache
from bot.catalogue.snapshot import VERSION_COLUMNS, CatalogueCache, seen_version
from bot.config import Settings
from bot.db import forget_deleted, prebuilt, session_factory, storable_text, transaction
from bot.dialogue import MEDIA, Dialogue, Reply, Turn, turn_from_button, turn_from_parse
from bot.enums import Direction
from bot.history import Bubble
from bot.messages import Button, Incoming, Outgoing, TurnResult
from bot.models import Conversation, DailyCount, Handoff, InboundEvent, Message, OutboxMessage, Youth
from bot.offers.matching import ranked_offers
from bot.outbox import PENDING, enqueue
from bot.privacy import ErasureLog, Pseudonyms, secret_key
from bot.reply_window import ReplyWindow, reply_window
from bot.resources import Resources
from bot.state import CONCERN, HANDOFF, NEW, State
from bot.understanding import known_intents, make_parser
from nlu.parser import Parser

MAX_TEXT = 4000  # longer messages are cut before storing and parsing
FALLBACK = "nlu_fallback"
ALWAYS_OFFERED = ("menu",)  # payloads any conversation may send; also concern:<name> (the portal's links)
# after an urgent question was closed, what does not open it again: thanks, goodbye, yes, the menu
REOPENS_NOT = ("thanks", "goodbye", "affirm", "greet", "menu", "restart", "forget_me", FALLBACK)
PARTNER_ENTRY = "handoff:partner:"  # and a known partner's stand: "Pose ta question" (the village's pages)
Renderer = Callable[[Outgoing], list[dict[str, Any]]]  # one bubble -> the platform calls that show it


@dataclass(frozen=True)
class TurnSeen:
    """What an observer of the brain (the metrics) learns of a turn: never a text nor an identifier."""

    channel: str
    intent: str
    result: TurnResult
    seconds: float


@dataclass(frozen=True)
class HandoffLimits:
    """How many questions for advisers may be opened (handoff.* in config.yml): a flood of questions must
    not bury the real ones, nor delay their notifications. A youth in danger is never refused."""

    per_youth_per_day: int = 3
    per_hour: int = 300
    reopen_urgent_hours: float = 48.0  # a youth's reply opens an urgent question staff closed again

    def refusal(self, session: Session, youth_id: int, now: datetime) -> str | None:
        """The text key saying why a new question cannot be opened now, or None."""
        mine = session.scalar(
            select(func.count())
            .select_from(Handoff)
            .where(Handoff.youth_id == youth_id, Handoff.created_at > now - timedelta(days=1))
        )
        if (mine or 0) >= self.per_youth_per_day:
            return "handoff_limit_youth"
        everyone = session.scalar(
            select(func.count())
            .select_from(Handoff)
            .where(Handoff.created_at > now - timedelta(hours=1), Handoff.urgent.is_(False))
        )
        return "handoff_limit_busy" if (everyone or 0) >= self.per_hour else None


@dataclass
class Observers:
    turns: list[Callable[[TurnSeen], None]] = field(default_factory=list)


class Brain:
    def __init__(
        self,
        engine: Engine,
        resources: Resources,
        parser: Parser,
        pseudonyms: Pseudonyms,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        erasures: ErasureLog | None = None,
        limits: HandoffLimits = HandoffLimits(),
    ) -> None:
        self.limits = limits
        self.pseudonyms = pseudonyms
        self.erasures = erasures  # pseudonyms of erased youths, replayed after a backup is restored
        self.observers = Observers()
        self.engine = engine
        self.resources = resources
        self.parser = parser
        self.clock = clock
        self.catalogue = CatalogueCache()
        self.nearby = NearbyCache()  # the services near a point, for the catalogue's version
        self.known_intents = known_intents(parser)  # None: whatever the parser says is trusted

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine | None = None) -> Brain:
        return cls(
            engine or settings.engine(),
            Resources.load(settings),
            make_parser(settings),
            Pseudonyms(secret_key(settings)),
            erasures=ErasureLog.of(settings),
            limits=HandoffLimits(
                settings.handoff.max_per_youth_per_day,
                settings.handoff.max_per_hour,
                settings.handoff.reopen_urgent_hours,
            ),
        )

    def understand(self, incoming: Incoming) -> Turn:
        if incoming.media:
            return Turn(MEDIA)
        if incoming.payload:
            return self.known(turn_from_button(incoming.payload))
        return self.known(turn_from_parse(self.parser.parse((incoming.text or "")[:MAX_TEXT])))

    def known(self, turn: Turn) -> Turn:
        """Only intents of the known set reach the dialogue and the statistics (a forged button, an odd
        answer of a Rasa server): anything else is not understood."""
        if self.known_intents is None or turn.intent in self.known_intents:
            return turn
        return Turn(FALLBACK, confidence=0.0, text=turn.text)

    def reopens(self, session: Session, state: State, turn: Turn, now: datetime) -> bool:
        """A youth writing to an urgent question staff closed a short while ago, with more than thanks:
        the question opens again for its adviser (bot/handoffs.py), the message joins it."""
        return (
            state.handoff_urgent
            and state.step == HANDOFF
            and bool(turn.text.strip())
            and turn.intent not in REOPENS_NOT
            and handoffs.reopened_by_youth(
                session, state.handoff_id or 0, now, timedelta(hours=self.limits.reopen_urgent_hours)
            )
        )

    def offered(self, state: State, payload: str, session: Session) -> bool:
        """Whether the bot offered this button in this conversation (or it is a public entry point)."""
        kind, _, value = payload.partition(":")

        def partners() -> set[str]:
            return {s.partner_id for s in self.catalogue.services(session) if not s.outside_network}

        return (
            payload in state.offered
            or payload in ALWAYS_OFFERED
            or (kind == "concern" and value in self.resources.concerns)
            or (payload.startswith(PARTNER_ENTRY) and payload.removeprefix(PARTNER_ENTRY) in partners())
        )

    def handle(self, incoming: Incoming, render: Renderer | None = None) -> TurnResult:
        """Answer `incoming`. With `render` and `incoming.reply_to`, the replies are also written to the
        outbox, rendered for the platform, in the same transaction. A platform event already handled
        (same `message_id`) is not handled again: no reply, `duplicate`."""
        started = time.perf_counter()
        incoming = storable(incoming)
        turn = self.understand(incoming)
        ref = self.pseudonyms.ref(incoming.channel, incoming.user)
        result = self.answer(incoming, turn, ref, render)
        if result.erased:
            forget_deleted(self.engine)
        if result.erased and self.erasures is not None:
            self.erasures.record(incoming.channel, ref, self.clock())
        seen = TurnSeen(incoming.channel, turn.intent, result, time.perf_counter() - started)
        for observer in self.observers.turns:
            observer(seen)
        return result

    def answer(self, incoming: Incoming, turn: Turn, ref: str, render: Renderer | None) -> TurnResult:
        """The turn's transaction (see `handle`)."""
        now = self.clock()
        with transaction(self.engine) as session:
            youth, first, known = arrive(session, incoming, ref, now)
            if not first:
                return TurnResult([], duplicate=True)
            known = known or conversation_of(session, youth.id)
            conversation = known or Conversation(youth_id=youth.id, state={}, turns=0)
            state = State.from_json(conversation.state)
            if incoming.payload and not self.offered(state, incoming.payload, session):
                # a button the bot never showed here (forged, or from another conversation): its words
                # are read like anything typed, and never open what only the bot's buttons open
                turn = self.understand(as_text(incoming))
            elif not incoming.payload and (typed := state.typed_button(incoming.text)):
                turn = self.known(turn_from_button(typed))  # a button's label typed: that button
            closed = state.handoff_id is not None and handoffs.active_for(session, state.handoff_id) is None
            if closed and not self.reopens(session, state, turn, now):
                state.handoff_id = None  # resolved by staff meanwhile: the bot answers again
                state.step = CONCERN if state.step == HANDOFF else state.step
            source = clean_source(incoming.source)
            if state.step == NEW and source:
                state.source = youth.source = source
            dialogue = Dialogue(
                self.resources,
                lambda: self.catalogue.services(session),
                lambda *query: ranked_offers(session, *query),
                lambda around: self.nearby.nearest(session, around),
            )
            reply = dialogue.respond(state, turn, now)  # `conversation.state` is left as stored
            request = reply.open_handoff
            refusal = request and not request.urgent and self.limits.refusal(session, youth.id, now)
            if refusal:  # the question is not opened: the conversation stays where it was
                before = State.from_json(conversation.state)
                state, reply = before, Reply([self.limited(refusal, before)])
            state.offer(offered_payloads(reply.messages))
            state.show_buttons([(b.title, b.payload) for m in reply.messages for b in m.buttons if b.payload])
            shown = tallies.shown_services(reply.messages, self.catalogue.services(session))
            opened = reply.open_handoff.partner_id if reply.open_handoff else None
            new_facts = tallies.tally(state, now, shown, opened)

            def counted() -> None:
                """The anonymous counters, last: on PostgreSQL their rows are shared by every turn of
                the day, and stay locked from their update to the commit."""
                count(session, incoming.channel, turn.intent, now)
                tallies.add(session, incoming.channel, state.source, state.commune, now, new_facts)

            outgoing = render and incoming.reply_to and [r for m in reply.messages for r in render(m)]
            if reply.erase:
                session.delete(youth)  # every personal row hangs off it with ON DELETE CASCADE
                session.flush()
                if outgoing and incoming.reply_to:  # the goodbye, kept only until it is sent
                    enqueue(session, None, incoming.channel, incoming.reply_to, outgoing, now)
                counted()
                return TurnResult(reply.messages, erased=True)
            if state.ages is not None and state.ages[1] < 15 and not youth.under_15:
                youth.under_15 = True  # France's digital majority: only the running conversation is kept
                session.execute(delete(Message).where(Message.youth_id == youth.id))
            inbound, stored = record(youth, incoming, turn, reply, now)
            apply_handoff(session, youth, state, reply, (inbound, stored), now, self.resources.public_url)
            apply_follow_up(session, youth, state, reply, now, self.resources.offers.follow_up_days)
            kept = [] if youth.under_15 else [inbound, *stored]  # under 15: only the conversation is kept
            queued = outgoing if outgoing and incoming.reply_to else []
            if known is not None and session.get_bind().dialect.name == "postgresql":
                session.flush()
                replies = Queued(incoming.reply_to or "", queued)  # the outbox's rows: same statement
                new_state = state.to_json()
                save_counted(session, known, new_state, now, incoming.channel, turn.intent, kept, replies)
                tallies.add(session, incoming.channel, state.source, state.commune, now, new_facts)
            else:
                session.add_all(kept)
                if queued and incoming.reply_to:
                    enqueue(session, youth.id, incoming.channel, incoming.reply_to, queued, now)
                conversation.state, conversation.turns, conversation.updated_at = (
                    state.to_json(),
                    conversation.turns + 1,
                    now,
                )
                session.add(conversation)
                session.flush()
                counted()
            stored_messages = [
                replace(message, id=row.id) for message, row in zip(reply.messages, stored, strict=True)
            ]
            return TurnResult(stored_messages)

    def limited(self, refusal: str, state: State) -> Outgoing:
        """Why the question was not passed on, in the youth's language, with a way back to the menu."""
        texts = self.resources.languages.get(state.language, self.resources.texts)
        return Outgoing(texts(refusal), buttons=(Button(texts.button("other"), "other"),))

    def history(self, channel: str, user: str, after: int = 0) -> tuple[list[Bubble], int]:
        """The conversation of (channel, user) after the cursor `after`, and the new cursor."""
        with session_factory(self.engine)() as session:
            return history.since(session, self.pseudonyms, channel, user, after)

    def reply_window(self, youth_id: int | None) -> ReplyWindow:
        """Whether the youth's platform lets sixtcap write freely now (WhatsApp's 24-hour rule)."""
        with session_factory(self.engine)() as session:
            return reply_window(session, youth_id, self.clock())


def as_text(incoming: Incoming) -> Incoming:
    """A button press read as if its payload had been typed."""
    return replace(incoming, payload=None, text=incoming.text or incoming.payload)


def offered_payloads(messages: list[Outgoing]) -> list[str]:
    """The payloads of every button of `messages`, cards' actions included."""
    buttons = [b for m in messages for b in (*m.buttons, *(a for c in m.cards for a in c.actions))]
    return [b.payload for b in buttons if b.payload]


def storable(incoming: Incoming) -> Incoming:
    """Without NUL characters and lone surrogates, which no database stores as text (a youth's message
    must not be lost, nor crash the turn)."""

    def clean(value: str | None) -> str | None:
        return storable_text(value) if value else value

    return replace(
        incoming,
        user=clean(incoming.user) or "",
        text=clean(incoming.text),
        payload=clean(incoming.payload),
        source=clean(incoming.source),
        message_id=clean(incoming.message_id),
        reply_to=clean(incoming.reply_to),
    )


def lock_youth(session: Session, incoming: Incoming, ref: str, now: datetime) -> Youth:
    """The youth's row (found by its pseudonym), created if new, marked seen now, and locked until the end
    of the transaction: an upsert locks the row it inserts or updates, in one round trip."""
    values = {"channel": incoming.channel, "user_ref": ref, "address": incoming.reply_to, "now": now}
    name = "lock_youth_at" if incoming.reply_to else "lock_youth"  # a new address is kept, none is not
    statement = prebuilt(session, name, lambda insert: _youth_upsert(insert, bool(incoming.reply_to)))
    youth: Youth = session.scalars(statement, values).one()
    return youth


def _youth_upsert(insert: Callable[[Any], Any], new_address: bool) -> Any:
    upsert = _upsert(insert, new_address)
    return select(Youth).from_statement(upsert.returning(Youth)).execution_options(populate_existing=True)


def _upsert(insert: Callable[[Any], Any], new_address: bool) -> Any:
    now: Any = bindparam("now")
    upsert = insert(Youth).values(
        channel=bindparam("channel"),
        user_ref=bindparam("user_ref"),
        address=bindparam("address"),
        created_at=now,
        last_seen_at=now,
    )
    seen = {"last_seen_at": upsert.excluded.last_seen_at}
    seen |= {"address": upsert.excluded.address} if new_address else {}
    return upsert.on_conflict_do_update(index_elements=["channel", "user_ref"], set_=seen)


def arrive(
    session: Session, incoming: Incoming, ref: str, now: datetime
) -> tuple[Youth, bool, Conversation | None]:
    """The youth's row locked (`lock_youth`), whether this is the first delivery of the platform's event
    (`first_delivery`; True for a message without an event id), and the youth's conversation when it
    could be read with them (else None: `conversation_of` reads it). On PostgreSQL the three in one round
    trip: the event is noted by the same statement, once the youth's row is locked (a redelivery handled
    at the same moment by another process waits for that lock, then finds the event there), and the
    conversation is read locked as well (`_arrival`)."""
    if not incoming.message_id:
        return lock_youth(session, incoming, ref, now), True, None
    if session.get_bind().dialect.name != "postgresql":  # SQLite: no INSERT inside WITH
        youth = lock_youth(session, incoming, ref, now)
        return youth, first_delivery(session, incoming, youth.id, now), None
    values = {
        "channel": incoming.channel,
        "user_ref": ref,
        "address": incoming.reply_to,
        "now": now,
        "event_id": incoming.message_id[:100],
    }
    name = "arrive_at" if incoming.reply_to else "arrive"
    statement = prebuilt(session, name, lambda insert: _arrival(insert, bool(incoming.reply_to)))
    youth, first, conversation, *version = session.execute(statement, values).one()
    seen_version(session, tuple(version))
    return youth, bool(first), conversation


def _arrival(insert: Callable[[Any], Any], new_address: bool) -> Any:
    """PostgreSQL: the youth's upsert, the event's insert and the conversation's read, chained by a WITH,
    and the catalogue's version (`conversation_of`). The conversation is read FOR NO KEY UPDATE, as the
    turn's UPDATE of it would lock it: once the youth's row is free (a turn of the same youth handled at
    the same moment by another process has committed), PostgreSQL reads its newest version, not the one
    of the statement's start. A conversation created by that turn is not seen at all (it is not in the
    statement's snapshot): the turn then reads it by a statement of its own (`conversation_of`)."""
    events = InboundEvent.__table__.c
    arriving = _upsert(insert, new_address).returning(*Youth.__table__.c).cte("arriving")
    noted = (
        insert(InboundEvent)
        .from_select(
            ["channel", "event_id", "youth_id", "received_at"],
            select(
                bindparam("channel", type_=events.channel.type),
                bindparam("event_id", type_=events.event_id.type),
                arriving.c.id,
                bindparam("now", type_=events.received_at.type),
            ),
        )
        .on_conflict_do_nothing()
        .returning(InboundEvent.event_id)
        .cte("noted")
    )
    talked = (
        select(Conversation.__table__)
        .where(Conversation.youth_id == select(arriving.c.id).scalar_subquery())
        .with_for_update(key_share=True)
        .cte("talked")
    )
    youth, conversation = aliased(Youth, arriving), aliased(Conversation, talked)
    first = exists(select(noted.c.event_id)).label("first")
    return (
        select(youth, first, conversation, *VERSION_COLUMNS)
        .select_from(arriving)
        .outerjoin(talked, true())
        .execution_options(populate_existing=True)
    )


CONVERSATION = select(Conversation, *VERSION_COLUMNS).where(Conversation.youth_id == bindparam("youth_id"))


def conversation_of(session: Session, youth_id: int) -> Conversation | None:
    """The youth's conversation, and in the same round trip the catalogue's version (which the turn
    would otherwise ask for on its own)."""
    row = session.execute(CONVERSATION, {"youth_id": youth_id}).one_or_none()
    if row is None:
        return None
    seen_version(session, tuple(row[1:]))
    conversation: Conversation = row[0]
    return conversation


def first_delivery(session: Session, incoming: Incoming, youth_id: int, now: datetime) -> bool:
    """Note the platform's event id; False if it was already handled (a redelivery)."""
    event_id = (incoming.message_id or "")[:100]
    values = {"channel": incoming.channel, "event_id": event_id, "youth_id": youth_id, "received_at": now}
    statement = prebuilt(
        session,
        "first_delivery",
        lambda insert: (
            insert(InboundEvent)
            .values({name: bindparam(name) for name in values})
            .on_conflict_do_nothing()
            .returning(InboundEvent.event_id)
        ),
    )
    return session.connection().execute(statement, values).first() is not None


def apply_follow_up(
    session: Session, youth: Youth, state: State, reply: Reply, now: datetime, days: float
) -> None:
    """Schedule, cancel or answer the youth's follow-up as the dialogue decided, and count it (anonymous
    tallies: offered, accepted, declined, found, not_yet, stop)."""
    decided = reply.follow_up
    if decided is None:
        return
    if decided == "schedule":
        followups.schedule(session, youth.id, now, days)
    elif decided == "cancel":
        followups.cancel_all(session, youth.id)
    elif decided in followups.ANSWERS:
        followups.answer(session, youth.id, decided)
    outcome = {"schedule": "accepted", "cancel": "stop"}.get(decided, decided)
    tallies.add(session, youth.channel, state.source, state.commune, now, [(tallies.FOLLOW_UP, outcome)])


def apply_handoff(
    session: Session,
    youth: Youth,
    state: State,
    reply: Reply,
    turn_rows: tuple[Message, list[Message]],
    now: datetime,
    public_url: str,
) -> None:
    """Open, feed or close the youth's handoff as the dialogue decided. The youth's words joining it,
    and the bot's answer to them, belong to the question (its thread shows them, never another's)."""
    inbound, replies = turn_rows
    request = reply.open_handoff
    if request is not None:
        handoff = handoffs.open_handoff(
            session,
            youth.id,
            request.partner_id,
            request.question,
            request.concern,
            request.urgent,
            now,
            public_url,
            request.crisis_kind,
        )
        state.handoff_id = handoff.id
    if reply.escalate is not None and state.handoff_id is not None:
        handoffs.make_urgent(session, state.handoff_id, reply.escalate, now, public_url)
    # the youth's words while their question is open join it, a "merci" with a new question included
    joins = reply.thread or (state.step == HANDOFF and bool(inbound.text) and not reply.close_handoff)
    if joins and state.handoff_id is not None:
        for row in (inbound, *replies):
            row.handoff_id = state.handoff_id
        if request is None:  # a message after the question: flagged for staff
            handoffs.youth_wrote(session, state.handoff_id, now, public_url)
    if reply.close_handoff and inbound.handoff_id is None:
        previous = session.scalar(
            select(Message.handoff_id)
            .where(Message.youth_id == youth.id, Message.handoff_id.is_not(None))
            .order_by(Message.id.desc())
            .limit(1)
        )
        if previous is not None:
            handoffs.close_by_youth(session, previous, now)


@dataclass(frozen=True)
class Queued:
    """The replies to write to the outbox with the conversation (`save_counted`): the platform's calls,
    in order, to `recipient`."""

    recipient: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)


def save_counted(
    session: Session,
    conversation: Conversation,
    state: dict[str, Any],
    now: datetime,
    channel: str,
    intent: str,
    messages: list[Message],
    replies: Queued = Queued(),
) -> None:
    """PostgreSQL: the known conversation's new state, the turn's `messages` (as the session would insert
    them, in order; their ids set), one more message for the daily counters (`count`) and the replies'
    outbox rows (as `enqueue` writes them, in order) in one statement, one round trip, the turn's last but
    the tallies (the counters' shared row stays locked from there to the commit, as with `count`)."""
    values = {
        "conversation": conversation.youth_id,
        "new_state": state,
        "new_turns": conversation.turns + 1,
        "now": now,
        "messages": [{"n": n, **{f: getattr(m, f) for f in MESSAGE_FIELDS}} for n, m in enumerate(messages)],
        "recipient": replies.recipient,
        "requests": replies.requests,
        "pending": PENDING,
        **_counted(now, channel, intent),
    }
    statement = prebuilt(session, "save_counted", _save_counted)
    ids = session.connection().execute(statement, values).scalar_one() or []
    for message, id_ in zip(messages, ids, strict=True):
        message.id = id_
    for name, value in (("state", state), ("turns", conversation.turns + 1), ("updated_at", now)):
        set_committed_value(conversation, name, value)  # written: nothing left for the session to flush


# what differs between the rows of a turn's messages (`record`): the rest is the turn's
MESSAGE_FIELDS = (
    "direction",
    "text",
    "payload",
    "content",
    "intent",
    "confidence",
    "platform_message_id",
    "handoff_id",
)


def _save_counted(insert: Callable[[Any], Any]) -> Any:
    """The messages and the replies are JSON arrays, one row per element in its order (the rows' ids, the
    order replies are sent in): one statement for any number of them, which SQLAlchemy compiles once (a
    multi-row VALUES is compiled again at every execution)."""
    counted = _count(insert).cte("counted")
    return (
        update(Conversation)
        .where(Conversation.youth_id == bindparam("conversation"))
        .values(state=bindparam("new_state"), turns=bindparam("new_turns"), updated_at=bindparam("now"))
        .add_cte(counted)
        .add_cte(_queued(insert).cte("queued"))
        .returning(_stored_ids(insert))
    )


def _stored_ids(insert: Callable[[Any], Any]) -> Any:
    """The turn's messages inserted from the JSON array `messages`, and their ids in its order."""
    table = Message.__table__.c
    fields = (
        func.jsonb_to_recordset(bindparam("messages", type_=table.content.type))
        .table_valued(column("n", Integer), *(column(name, table[name].type) for name in MESSAGE_FIELDS))
        .render_derived("fields", with_types=True)
    )
    rows = select(
        bindparam("conversation", type_=table.youth_id.type),
        bindparam("channel", type_=table.channel.type),
        bindparam("now", type_=table.created_at.type),
        *(fields.c[name] for name in MESSAGE_FIELDS),
    ).order_by(fields.c.n)
    names = ["youth_id", "channel", "created_at", *MESSAGE_FIELDS]
    stored = insert(Message).from_select(names, rows).returning(Message.id).cte("stored")
    return select(func.array_agg(aggregate_order_by(stored.c.id, stored.c.id))).scalar_subquery()


def _queued(insert: Callable[[Any], Any]) -> Any:
    """The replies' outbox rows, from the JSON array `requests`."""
    outbox = OutboxMessage.__table__.c
    requests = (
        func.jsonb_array_elements(bindparam("requests", type_=outbox.request.type))
        .table_valued("value", with_ordinality="n")
        .render_derived()
    )
    now = bindparam("now", type_=outbox.created_at.type)
    rows = select(
        bindparam("conversation", type_=outbox.youth_id.type),
        bindparam("channel", type_=outbox.channel.type),
        bindparam("recipient", type_=outbox.recipient.type),
        requests.c.value,
        literal("message"),
        literal(0),
        bindparam("pending", type_=outbox.status.type),
        literal(0),
        now,
        now,
    ).order_by(requests.c.n)
    columns = ["youth_id", "channel", "recipient", "request", "kind", "priority", "status", "attempts"]
    return insert(OutboxMessage).from_select([*columns, "next_attempt_at", "created_at"], rows)


def _count(insert: Callable[[Any], Any]) -> Any:
    return (
        insert(DailyCount)
        .values(day=bindparam("day"), channel=bindparam("channel"), intent=bindparam("intent"), count=1)
        .on_conflict_do_update(
            index_elements=["day", "channel", "intent"], set_={"count": DailyCount.count + 1}
        )
    )


def count(session: Session, channel: str, intent: str, now: datetime) -> None:
    """One more message for the anonymous daily counters (they outlive erasure)."""
    statement = prebuilt(session, "count", _count)
    session.connection().execute(statement, _counted(now, channel, intent))


def _counted(now: datetime, channel: str, intent: str) -> dict[str, Any]:
    """The daily counter's row of a message (`_count`'s parameters)."""
    return {"day": now.date(), "channel": channel, "intent": intent[:40]}


def record(
    youth: Youth, incoming: Incoming, turn: Turn, reply: Reply, now: datetime
) -> tuple[Message, list[Message]]:
    """The message in and the replies out, as rows still to store (the dialogue's handoff may join them to
    a question first; a youth under 15's are not stored). Every row gives the same columns (None where
    it has nothing), so that they are inserted by one statement, one round trip."""
    inbound = Message(
        youth_id=youth.id,
        direction=Direction.IN,
        channel=incoming.channel,
        text=(incoming.text or "")[:MAX_TEXT] or None,
        payload=(incoming.payload or "")[:200] or None,
        intent=turn.intent[:40],
        confidence=turn.confidence,
        platform_message_id=(incoming.message_id or "")[:100] or None,
        content=None,
        created_at=now,
    )
    rows: list[Message] = []
    for message in reply.messages:
        body = message.as_dict()
        rows.append(
            Message(
                youth_id=youth.id,
                direction=Direction.OUT,
                channel=incoming.channel,
                text=message.text,
                payload=None,
                content={"buttons": body["buttons"], "cards": body["cards"]},
                intent=turn.intent[:40],
                confidence=None,
                platform_message_id=None,
                created_at=now,
            )
        )
    return inbound, rows
