"""Questions for partner staff (handoffs): opening one from the conversation, the advisers' actions
(claim, reply, transfer, resolve), the youth closing it, notifications and reminders.

Who may see what is decided here, once: an adviser sees and acts on their partner's handoffs only;
coordinators and admins see all. A handoff another adviser cannot see is "not found" to them."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVarTuple

from opening_hours import OpeningHours
from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update
from sqlalchemy.orm import Session

from bot import tallies
from bot.audit import audit
from bot.cards import clock, day_word
from bot.catalogue.hours import opening_status
from bot.enums import PARTNER_STAFF, Direction, HandoffEventKind, HandoffStatus, Role
from bot.errors import CodedError
from bot.messages import Button, Outgoing
from bot.models import Conversation, Handoff, HandoffEvent, Message, Partner, Staff, Youth
from bot.outbox import enqueue
from bot.staff import Principal
from bot.state import CONCERN, HANDOFF, NEW, RESULTS, remember_offered
from bot.texts import Texts

PENDING, OPEN, RESOLVED = HandoffStatus.PENDING, HandoffStatus.OPEN, HandoffStatus.RESOLVED
Renderer = Callable[[Outgoing], list[dict[str, Any]]]
Columns = TypeVarTuple("Columns")
KINDS = {  # each code of HandoffError, and the kind of refusal it is
    "not_found": "not_found",  # no such handoff, or another partner's
    "already_resolved": "conflict",
    "claimed_by_another": "conflict",
    "resolved_no_reply": "conflict",  # a resolved handoff takes no answer (transfer it to reopen it)
    "empty_reply": "invalid",
    "reply_too_long": "invalid",
    "unknown_partner": "invalid",  # transfer to a partner that does not exist or is inactive
    "same_partner": "invalid",  # transfer to the partner that has it already
    "unknown_colleague": "invalid",  # assign to someone who is not an active adviser of the partner
    "empty_note": "invalid",
    "note_too_long": "invalid",
    "not_resolved": "conflict",  # reopen a question that is not resolved
}
NOTE_MAX = 2000


class HandoffError(CodedError):
    """`code` is one of KINDS (stable, translated by code where French is shown); `kind` groups the codes
    into "not_found", "conflict" and "invalid"; the message says why, in English."""

    def __init__(self, code: str, message: str) -> None:
        if code not in KINDS:
            raise ValueError(f"unknown handoff error code {code!r}")
        super().__init__(code, message)

    @property
    def kind(self) -> str:
        return KINDS[self.code]


# -- opening, from the conversation -------------------------------------------------------------------


def open_handoff(
    session: Session,
    youth_id: int,
    partner_id: str,
    question: str | None,
    concern: str | None,
    urgent: bool,
    now: datetime,
    public_url: str,
    crisis_kind: str | None = None,
) -> Handoff:
    """A new question; an urgent one (a youth in danger) is announced to the coordinators at once too."""
    handoff = Handoff(
        youth_id=youth_id,
        partner_id=partner_id,
        question=question,
        concern=concern,
        urgent=urgent,
        crisis_kind=crisis_kind,
        status=PENDING,
        created_at=now,
    )
    session.add(handoff)
    session.flush()
    announce(session, handoff, "handoff.created", now, public_url, coordinators=urgent)
    return handoff


def make_urgent(
    session: Session, handoff_id: int, crisis_kind: str | None, now: datetime, public_url: str
) -> None:
    """A youth in danger while their question waits: it becomes urgent and everyone is told at once."""
    handoff = session.get(Handoff, handoff_id)
    if handoff is None or handoff.status == RESOLVED or handoff.urgent:
        return
    handoff.urgent, handoff.crisis_kind = True, crisis_kind
    session.flush()
    announce(session, handoff, "handoff.urgent", now, public_url, coordinators=True)


def announce(
    session: Session, handoff: Handoff, event: str, now: datetime, public_url: str, coordinators: bool = False
) -> None:
    """Tell the partner (its webhook and e-mail), and the coordinators for reminders, through the outbox.
    No youth's words or identifiers leave: the link opens the handoff in the advisers' inbox."""
    partner = session.get(Partner, handoff.partner_id)
    link = f"{public_url.rstrip('/')}/admin/handoffs/{handoff.id}"
    facts = {
        "event": event,
        "handoff_id": handoff.id,
        "partner_id": handoff.partner_id,
        "urgent": handoff.urgent,
        "crisis_kind": handoff.crisis_kind,
        "concern": handoff.concern,
        "created_at": handoff.created_at.isoformat(),
        "url": link,
    }
    label = (
        f"URGENT ({handoff.crisis_kind}) — " if handoff.crisis_kind else "URGENT — " if handoff.urgent else ""
    )
    what = {
        "handoff.reminder": "Rappel : une question attend",
        "handoff.urgent": "Un jeune en danger attend une réponse",
        "handoff.again": "Le jeune a réécrit après votre réponse",
    }.get(event, "Nouvelle question d'un jeune")
    mail = {
        "subject": f"[sixtcap] {label}{what} (n° {handoff.id})",
        "body": f"{what} pour {partner.nom if partner else handoff.partner_id}.\nOuvrir : {link}\n",
    }
    priority = 1 if handoff.urgent else 0  # a youth in danger is announced before any other question
    if partner and partner.notify_webhook_url:
        url = partner.notify_webhook_url
        enqueue(session, handoff.youth_id, "webhook", url, [{"json": facts}], now, priority)
    emails = [partner.notify_email] if partner and partner.notify_email else []
    if coordinators:
        emails += list(
            session.scalars(select(Staff.email).where(Staff.role == Role.COORDINATOR, Staff.active))
        )
    emails += [e for e in advisers_to_tell(session, handoff, event) if e not in emails]
    for email in emails:
        enqueue(session, handoff.youth_id, "email", email, [mail], now, priority)


WANTS = {  # which setting of an adviser asks for an e-mail on each event (bot/models/staff.py)
    "handoff.created": "notify_new",
    "handoff.urgent": "notify_urgent",
    "handoff.again": "notify_again",
    "handoff.reminder": "notify_overdue",
}


def advisers_to_tell(session: Session, handoff: Handoff, event: str) -> list[str]:
    """The e-mails of the partner's active advisers who asked for this kind of event (an urgent new
    question counts as urgent too)."""
    settings = [WANTS[event]] if event in WANTS else []
    if handoff.urgent and event == "handoff.created":
        settings.append("notify_urgent")
    if not settings:
        return []
    wanted = [getattr(Staff, setting).is_(True) for setting in settings]
    query = select(Staff.email).where(
        Staff.partner_id == handoff.partner_id, Staff.role.in_(PARTNER_STAFF), Staff.active, or_(*wanted)
    )
    return list(session.scalars(query.order_by(Staff.id)))


def youth_wrote(session: Session, handoff_id: int, now: datetime, public_url: str) -> None:
    """The youth wrote into their open question: it is flagged (and unread) for staff; if an adviser had
    answered already, those who asked to know are told it needs an answer again."""
    handoff = session.get(Handoff, handoff_id)
    if handoff is None or handoff.status == RESOLVED:
        return
    again = handoff.answered_at is not None and (
        handoff.youth_wrote_at is None or handoff.youth_wrote_at <= handoff.answered_at
    )
    handoff.youth_wrote_at = now
    session.flush()
    if again:
        youth = session.get(Youth, handoff.youth_id)
        if youth is not None:
            tallies.add(
                session, youth.channel, youth.source, None, now, [(tallies.AGAIN, handoff.partner_id)]
            )
        announce(session, handoff, "handoff.again", now, public_url)


def active_for(session: Session, handoff_id: int | None) -> Handoff | None:
    """The youth's handoff if it is still waiting or being handled."""
    if handoff_id is None:
        return None
    handoff = session.get(Handoff, handoff_id)
    return handoff if handoff is not None and handoff.status != RESOLVED else None


def reopened_by_youth(session: Session, handoff_id: int, now: datetime, within: timedelta) -> bool:
    """An urgent question that staff closed a short while ago ("Envoyer et clore"), written to again by
    the youth ("en fait ça va pas"): open again, with whoever held it, so that the reply is read by the
    adviser, not answered by the bot. True when it was."""
    reopened = session.execute(
        update(Handoff)
        .where(
            Handoff.id == handoff_id,
            Handoff.status == RESOLVED,
            Handoff.urgent.is_(True),
            Handoff.resolved_by == "staff",
            Handoff.resolved_at > now - within,
        )
        .values(status=OPEN, resolved_at=None, resolved_by=None)
    )
    if not reopened.rowcount:  # type: ignore[attr-defined]
        return False
    handoff = session.get(Handoff, handoff_id, populate_existing=True)  # its row as just updated
    assert handoff is not None
    kind = HandoffEventKind.REOPEN
    session.add(HandoffEvent(youth_id=handoff.youth_id, handoff_id=handoff.id, kind=kind, at=now))
    return True


def close_by_youth(session: Session, handoff_id: int, now: datetime) -> None:
    session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status != RESOLVED)
        .values(status=RESOLVED, resolved_at=now, resolved_by="youth")
    )


def when_answered(hours: str | None, now: datetime, texts: Texts, zone: Any) -> str:
    """'aujourd'hui, jusqu'à 17h' / 'lundi à partir de 9h' / 'dès que possible', from the partner's hours."""
    status = opening_status(hours, now, zone)
    if status.open_now and status.closes_at:
        return texts("handoff_when_open", time=clock(status.closes_at.astimezone(zone)))
    if status.next_opening:
        opening = status.next_opening.astimezone(zone)
        return texts(
            "handoff_when_later", day=day_word(opening, now.astimezone(zone), texts), time=clock(opening)
        )
    return texts("handoff_when_unknown")


# -- the advisers' side -----------------------------------------------------------------------------


def visible(query: Select[*Columns], principal: Principal) -> Select[*Columns]:
    if principal.of_one_partner:
        return query.where(Handoff.partner_id == principal.partner_id)
    return query


def counts(session: Session, principal: Principal) -> dict[str, int]:
    """How many handoffs the staff member sees in each status."""
    query = visible(select(Handoff.status, func.count()).group_by(Handoff.status), principal)
    return {status: count for status, count in session.execute(query).tuples()}


def list_handoffs(
    session: Session,
    principal: Principal,
    status: str | None = None,
    partner_id: str | None = None,
    urgent: bool | None = None,
    limit: int = 50,
    offset: int = 0,
    crisis_kind: str | None = None,
) -> list[Handoff]:
    """One page of the handoffs the staff member sees (of one kind of danger, if asked): urgent first,
    then the newest."""
    query = visible(select(Handoff), principal)
    if crisis_kind:
        query = query.where(Handoff.crisis_kind == crisis_kind)
    if status:
        query = query.where(Handoff.status == status)
    if partner_id:
        query = query.where(Handoff.partner_id == partner_id)
    if urgent is not None:
        query = query.where(Handoff.urgent == urgent)
    order = (Handoff.urgent.desc(), Handoff.created_at.desc(), Handoff.id.desc())
    return list(session.scalars(query.order_by(*order).limit(limit).offset(offset)))


def get(session: Session, principal: Principal, handoff_id: int) -> Handoff:
    handoff: Handoff | None = session.scalar(
        visible(select(Handoff).where(Handoff.id == handoff_id), principal)
    )
    if handoff is None:
        raise HandoffError("not_found", f"no handoff {handoff_id}")
    return handoff


def thread(session: Session, handoff: Handoff, limit: int = 1000) -> list[Message]:
    """The question's part of the youth's conversation (its last `limit` messages), oldest first: what led
    to the question since the youth's previous question was closed, the question itself and everything
    that followed until it was closed, the advisers' answers included. Never what belongs to another
    question (another partner's, perhaps)."""
    query = select(Message).where(in_window(session, handoff)).order_by(Message.id.desc()).limit(limit)
    return list(reversed(session.scalars(query).all()))


def in_window(session: Session, handoff: Handoff) -> ColumnElement[bool]:
    """The youth's messages that belong to this question: those joined to it, and those outside any
    question written after the previous question closed and before this one closed (or the next opened)."""
    others = session.execute(
        select(Handoff.id, Handoff.created_at, Handoff.resolved_at).where(
            Handoff.youth_id == handoff.youth_id, Handoff.id != handoff.id
        )
    ).all()
    unjoined: list[ColumnElement[bool]] = [Message.handoff_id.is_(None)]
    previous_ends = [
        min(resolved or handoff.created_at, handoff.created_at)
        for id_, _, resolved in others
        if id_ < handoff.id
    ]
    if previous_ends:
        unjoined.append(Message.created_at > max(previous_ends))
    if handoff.resolved_at is not None:
        unjoined.append(Message.created_at <= handoff.resolved_at)
    next_starts = [created for id_, created, _ in others if id_ > handoff.id]
    if next_starts:
        unjoined.append(Message.created_at < min(next_starts))
    return and_(Message.youth_id == handoff.youth_id, or_(Message.handoff_id == handoff.id, and_(*unjoined)))


def events(session: Session, handoff: Handoff) -> list[HandoffEvent]:
    """Notes, assignments, transfers and reopenings of the handoff, oldest first."""
    query = select(HandoffEvent).where(HandoffEvent.handoff_id == handoff.id).order_by(HandoffEvent.id)
    return list(session.scalars(query))


def _event(
    session: Session,
    handoff: Handoff,
    kind: HandoffEventKind,
    principal: Principal,
    now: datetime,
    **fields: Any,
) -> HandoffEvent:
    event = HandoffEvent(
        youth_id=handoff.youth_id,
        handoff_id=handoff.id,
        kind=kind,
        staff_id=principal.staff_id,
        at=now,
        **fields,
    )
    session.add(event)
    return event


def claim(
    session: Session, principal: Principal, handoff_id: int, now: datetime, take_over: bool = False
) -> Handoff:
    """Take the question. A colleague's question is taken over only when asked explicitly (`take_over`)."""
    handoff = get(session, principal, handoff_id)
    if handoff.status == RESOLVED:
        raise HandoffError("already_resolved", "this handoff is already resolved")
    if handoff.claimed_by not in (None, principal.staff_id):
        if not take_over:
            raise HandoffError("claimed_by_another", "another adviser already handles this handoff")
        _event(session, handoff, HandoffEventKind.ASSIGN, principal, now, assignee_id=principal.staff_id)
    handoff.status, handoff.claimed_by = OPEN, principal.staff_id
    handoff.claimed_at = handoff.claimed_at or now
    return handoff


def tell_youth(
    session: Session,
    handoff: Handoff,
    bubble: Outgoing,
    intent: str,
    now: datetime,
    renderers: dict[str, Renderer],
    staff_id: int | None = None,
) -> Message:
    """A message to the youth about their question: stored in the conversation and delivered on the
    youth's own channel (the widget reads the conversation itself)."""
    youth = session.get(Youth, handoff.youth_id)
    assert youth is not None
    body = bubble.as_dict()
    message = Message(
        youth_id=youth.id,
        direction=Direction.OUT,
        channel=youth.channel,
        text=bubble.text,
        content={"buttons": body["buttons"], "cards": []},
        intent=intent,
        created_at=now,
        handoff_id=handoff.id,
        staff_id=staff_id,
    )
    session.add(message)
    offer_buttons(session, youth.id, bubble)
    render = renderers.get(youth.channel)
    if render is not None and youth.address:
        enqueue(session, youth.id, youth.channel, youth.address, render(bubble), now)
    session.flush()
    return message


def offer_buttons(session: Session, youth_id: int, bubble: Outgoing) -> None:
    """The buttons of a bubble sent outside a turn (an adviser's answer) are offered like the bot's."""
    payloads = [b.payload for b in bubble.buttons if b.payload]
    conversation = session.get(Conversation, youth_id)
    if payloads and conversation is not None:
        state = dict(conversation.state or {})
        conversation.state = state | {"offered": remember_offered(state.get("offered") or [], payloads)}


def reply(
    session: Session,
    principal: Principal,
    handoff_id: int,
    text: str,
    now: datetime,
    texts: Texts,
    renderers: dict[str, Renderer],
    take_over: bool = False,
    closing: bool = False,
) -> Message:
    """The adviser's answer: stored in the conversation and delivered on the youth's own channel. A
    question a colleague holds is answered only with `take_over` (the reply then takes it over). The
    youth's "C'est réglé" button comes with it, unless the question is urgent or `closing` with it."""
    text = text.strip()
    if not text:
        raise HandoffError("empty_reply", "the reply is empty")
    handoff = get(session, principal, handoff_id)
    if handoff.status == RESOLVED:
        raise HandoffError("resolved_no_reply", "this handoff is resolved: reopen it first")
    claim(session, principal, handoff_id, now, take_over)
    handoff.first_response_at = handoff.first_response_at or now
    handoff.answered_at = now
    partner = session.get(Partner, handoff.partner_id)
    bubble = Outgoing(
        texts("adviser_reply", partner=partner.nom if partner else "", text=text),
        buttons=()
        if handoff.urgent or closing
        else (Button(texts.button("handoff_close"), "handoff:close"),),
    )
    return tell_youth(session, handoff, bubble, "adviser_reply", now, renderers, principal.staff_id)


def note(session: Session, principal: Principal, handoff_id: int, text: str, now: datetime) -> HandoffEvent:
    """An internal note: read by staff only, never sent to the youth."""
    text = text.strip()
    if not text:
        raise HandoffError("empty_note", "the note is empty")
    if len(text) > NOTE_MAX:
        raise HandoffError("note_too_long", "the note is too long")
    handoff = get(session, principal, handoff_id)
    return _event(session, handoff, HandoffEventKind.NOTE, principal, now, text=text)


def colleagues(session: Session, partner_id: str) -> list[Staff]:
    """The active advisers of a partner, by name: who a question can be assigned to."""
    query = select(Staff).where(Staff.partner_id == partner_id, Staff.role.in_(PARTNER_STAFF), Staff.active)
    return list(session.scalars(query.order_by(Staff.name)))


def assign(session: Session, principal: Principal, handoff_id: int, staff_id: int, now: datetime) -> Handoff:
    """Give the question to a colleague of the same partner (or to oneself)."""
    handoff = get(session, principal, handoff_id)
    if handoff.status == RESOLVED:
        raise HandoffError("already_resolved", "this handoff is already resolved")
    if staff_id not in {s.id for s in colleagues(session, handoff.partner_id)}:
        raise HandoffError("unknown_colleague", f"staff {staff_id} is no active adviser of this partner")
    handoff.status, handoff.claimed_by = OPEN, staff_id
    handoff.claimed_at = handoff.claimed_at or now
    _event(session, handoff, HandoffEventKind.ASSIGN, principal, now, assignee_id=staff_id)
    return handoff


def transfer(
    session: Session,
    principal: Principal,
    handoff_id: int,
    partner_id: str,
    now: datetime,
    public_url: str,
    note: str | None = None,
    texts: Texts | None = None,
    renderers: dict[str, Renderer] | None = None,
) -> Handoff:
    """Move the question to another partner, with a note for them: it waits there for an adviser, the
    history keeps both partners, and the youth is told who will answer now (with `texts`)."""
    handoff = get(session, principal, handoff_id)
    target = session.get(Partner, partner_id)
    if target is None or not target.active or target.outside_network:  # outside the network: no handoff
        raise HandoffError("unknown_partner", f"no active partner {partner_id!r}")
    if target.id == handoff.partner_id:
        raise HandoffError("same_partner", "the handoff is already with this partner")
    if note is not None and len(note.strip()) > NOTE_MAX:
        raise HandoffError("note_too_long", "the note is too long")
    _event(
        session,
        handoff,
        HandoffEventKind.TRANSFER,
        principal,
        now,
        text=(note or "").strip() or None,
        from_partner=handoff.partner_id,
        to_partner=target.id,
    )
    handoff.partner_id, handoff.status, handoff.claimed_by, handoff.claimed_at = (
        target.id,
        PENDING,
        None,
        None,
    )
    handoff.resolved_at = handoff.resolved_by = None
    handoff.reminded_at = None
    follow_in_conversation(session, handoff)
    session.flush()
    if texts is not None:
        bubble = Outgoing(texts("handoff_transferred", partner=target.nom))
        tell_youth(session, handoff, bubble, "handoff_transferred", now, renderers or {})
    announce(session, handoff, "handoff.created", now, public_url)
    return handoff


def follow_in_conversation(session: Session, handoff: Handoff) -> None:
    """Make the youth's conversation follow the question again (its partner, its urgency), so that the
    youth's next messages join it and the bot names the right partner; unless another question is open."""
    conversation = session.get(Conversation, handoff.youth_id)
    if conversation is None:
        return
    state = dict(conversation.state or {})
    if state.get("handoff_id") not in (None, handoff.id):
        return
    state.update(handoff_id=handoff.id, handoff_partner=handoff.partner_id, handoff_urgent=handoff.urgent)
    if state.get("step") in (None, CONCERN, RESULTS, NEW):
        state["step"] = HANDOFF
    conversation.state = state


def reopen(session: Session, principal: Principal, handoff_id: int, now: datetime) -> Handoff:
    """A resolved question handled again: open, held by whoever reopened it (an adviser)."""
    handoff = get(session, principal, handoff_id)
    if handoff.status != RESOLVED:
        raise HandoffError("not_resolved", "this handoff is not resolved")
    handoff.status, handoff.resolved_at, handoff.resolved_by = OPEN, None, None
    if principal.of_one_partner:
        handoff.claimed_by, handoff.claimed_at = principal.staff_id, now
    _event(session, handoff, HandoffEventKind.REOPEN, principal, now)
    follow_in_conversation(session, handoff)
    return handoff


def resolve(
    session: Session,
    principal: Principal,
    handoff_id: int,
    now: datetime,
    texts: Texts | None = None,
    renderers: dict[str, Renderer] | None = None,
) -> Handoff:
    """Close the question. Closed without any answer, the youth is told (with `texts`), not left waiting."""
    handoff = get(session, principal, handoff_id)
    if handoff.status == RESOLVED:
        raise HandoffError("already_resolved", "this handoff is already resolved")
    handoff.status, handoff.resolved_at, handoff.resolved_by = RESOLVED, now, "staff"
    if texts is not None and handoff.answered_at is None:
        partner = session.get(Partner, handoff.partner_id)
        bubble = Outgoing(texts("handoff_closed_by_staff", partner=partner.nom if partner else ""))
        tell_youth(session, handoff, bubble, "handoff_closed_by_staff", now, renderers or {})
    return handoff


def snapshot(handoff: Handoff) -> dict[str, Any]:
    return {"status": handoff.status, "partner_id": handoff.partner_id, "claimed_by": handoff.claimed_by}


def perform(
    session: Session,
    principal: Principal,
    handoff_id: int,
    action: str,
    now: datetime,
    change: Callable[[], object],
) -> Handoff:
    """Do an adviser's `change` (claim, reply, transfer, resolve) and write it to the audit log with the
    handoff before and after (and the reply's message id): one way for the API and the inbox pages."""
    before = snapshot(get(session, principal, handoff_id))
    result = change()
    handoff = session.get(Handoff, handoff_id)
    assert handoff is not None
    after = snapshot(handoff) | ({"message_id": result.id} if isinstance(result, Message) else {})
    audit(session, principal.staff_id, action, "handoff", handoff_id, before, after, now)
    return handoff


# -- reminders ----------------------------------------------------------------------------------------


def business_hours_between(start: datetime, end: datetime, hours: str, zone: Any) -> float:
    """Open hours of `hours` (OSM syntax, e.g. 'Mo-Fr 09:00-17:00; PH off') between two moments."""
    expression = OpeningHours(hours, timezone=zone, country="FR")
    total = 0.0
    for interval in expression.intervals(start.astimezone(zone), end.astimezone(zone)):
        opening, closing, state = interval[0], interval[1], str(interval[2])
        if state == "open" and closing is not None:
            total += (
                min(closing, end.astimezone(zone)) - max(opening, start.astimezone(zone))
            ).total_seconds()
    return total / 3600


def remind_overdue(
    session: Session, now: datetime, business_hours: str, after_hours: float, zone: Any, public_url: str
) -> list[int]:
    """Remind the partner and the coordinators of each handoff pending for more than `after_hours`
    business hours, once. Safe when several processes run it at the same time: each handoff is taken by
    a conditional update that only one of them wins."""
    candidates = session.scalars(
        select(Handoff).where(
            Handoff.status == PENDING,
            Handoff.reminded_at.is_(None),
            Handoff.created_at <= now - timedelta(hours=after_hours),
        )
    ).all()
    reminded = []
    for handoff in candidates:
        if business_hours_between(handoff.created_at, now, business_hours, zone) < after_hours:
            continue
        won = session.execute(
            update(Handoff)
            .where(Handoff.id == handoff.id, Handoff.reminded_at.is_(None))
            .values(reminded_at=now)
        )
        if getattr(won, "rowcount", 0) == 1:
            announce(session, handoff, "handoff.reminder", now, public_url, coordinators=True)
            reminded.append(handoff.id)
    return reminded


def stats(session: Session) -> dict[str, Any]:
    """Counts and times for coordinators (no personal data)."""
    rows = session.execute(select(Handoff.status, func.count()).group_by(Handoff.status)).all()
    responded = session.scalars(select(Handoff).where(Handoff.first_response_at.is_not(None))).all()
    resolved = session.scalars(select(Handoff).where(Handoff.resolved_at.is_not(None))).all()

    def median_minutes(values: list[float]) -> float | None:
        """The median (the higher middle value of an even count), in minutes to a tenth."""
        return round(statistics.median_high(values), 1) if values else None

    return {
        "by_status": {status: count for status, count in rows},
        "median_first_response_minutes": median_minutes(
            [
                (h.first_response_at - h.created_at).total_seconds() / 60
                for h in responded
                if h.first_response_at
            ]
        ),
        "median_resolution_minutes": median_minutes(
            [(h.resolved_at - h.created_at).total_seconds() / 60 for h in resolved if h.resolved_at]
        ),
    }
