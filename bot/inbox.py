"""The advisers' inbox, read side: the views (mine, unassigned, urgent, all) with their counts, search and
filters, what is unread for a staff member, how long a youth has been waiting, and the youth's panel (what
the conversation knows: town, neighbourhood, age, concern, the cards shown). Actions are in
bot/handoffs.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, true
from sqlalchemy.orm import Session

from bot.db import insert_for
from bot.enums import Direction, HandoffStatus
from bot.handoffs import in_window, visible
from bot.models import Conversation, Handoff, HandoffRead, Message
from bot.staff import Principal


class View(StrEnum):
    MINE = "mine"  # held by me, not resolved
    UNASSIGNED = "unassigned"  # nobody took it
    URGENT = "urgent"  # urgent, not resolved
    ALL = "all"  # everything I may see, resolved included


@dataclass(frozen=True)
class Filters:
    """Narrowing a view: words of the question, partner, status, concern, town, urgent only, waiting longer
    than some hours."""

    text: str = ""
    partner_id: str = ""
    status: str = ""
    concern: str = ""
    commune: str = ""
    urgent: bool = False
    waiting_hours: float | None = None
    crisis_kind: str = ""  # an urgent question's kind of danger, as staff read it (data/crisis.yml label)


@dataclass(frozen=True)
class Row:
    """One line of the inbox."""

    handoff: Handoff
    unread: bool
    waiting_since: datetime | None  # the youth waits for an answer since then (None: not waiting)
    wrote_again: bool  # the youth wrote into the question after asking it (and after the last answer)
    last_words: str | None = None  # no written question: the youth's last message in its conversation


@dataclass(frozen=True)
class YouthPanel:
    """What the conversation knows about the youth, for the adviser: nothing the youth did not say."""

    commune: str | None
    quartier: str | None
    age: str | None
    concern: str | None
    under_15: bool
    cards: list[dict[str, Any]] = field(default_factory=list)  # the services shown, newest first


def _condition(view: View, principal: Principal) -> ColumnElement[bool]:
    unresolved = Handoff.status != HandoffStatus.RESOLVED
    if view == View.MINE:
        return and_(Handoff.claimed_by == principal.staff_id, unresolved)
    if view == View.UNASSIGNED:
        return Handoff.status == HandoffStatus.PENDING
    if view == View.URGENT:
        return and_(Handoff.urgent.is_(True), unresolved)
    return true()


def counts(session: Session, principal: Principal) -> dict[View, int]:
    """How many questions each view holds for this staff member."""
    totals = {}
    for view in View:
        query = visible(
            select(func.count()).select_from(Handoff).where(_condition(view, principal)), principal
        )
        totals[view] = session.scalar(query) or 0
    return totals


def _filtered(query: Select[Handoff], filters: Filters, now: datetime) -> Select[Handoff]:
    if filters.text.strip():
        words = filters.text.strip().lower()
        query = query.where(or_(func.lower(Handoff.question).contains(words), Handoff.id == _int(words)))
    if filters.partner_id:
        query = query.where(Handoff.partner_id == filters.partner_id)
    if filters.status in set(HandoffStatus):
        query = query.where(Handoff.status == filters.status)
    if filters.concern:
        query = query.where(Handoff.concern == filters.concern)
    if filters.urgent:
        query = query.where(Handoff.urgent.is_(True))
    if filters.crisis_kind:
        query = query.where(Handoff.crisis_kind == filters.crisis_kind)
    if filters.waiting_hours is not None:
        query = query.where(
            Handoff.status != HandoffStatus.RESOLVED,
            Handoff.created_at <= now - timedelta(hours=filters.waiting_hours),
        )
    return query


def _int(text: str) -> int:
    return int(text) if text.isdigit() and len(text) < 10 else -1


def rows(
    session: Session,
    principal: Principal,
    view: View,
    filters: Filters,
    now: datetime,
    limit: int = 50,
    offset: int = 0,
) -> list[Row]:
    """One page of the questions of a view: urgent first, then the newest (a flood of old questions never
    hides a new crisis); resolved ones last."""
    query = visible(select(Handoff).where(_condition(view, principal)), principal)
    query = _filtered(query, filters, now)
    if filters.commune:
        youths = select(Conversation.youth_id).where(
            func.lower(Conversation.state["commune"].as_string()) == filters.commune.lower()
        )
        query = query.where(Handoff.youth_id.in_(youths))
    resolved_last = (Handoff.status == HandoffStatus.RESOLVED).label("resolved_last")
    order = (resolved_last, Handoff.urgent.desc(), Handoff.created_at.desc(), Handoff.id.desc())
    found = list(session.scalars(query.order_by(*order).limit(limit).offset(offset)))
    reads = last_reads(session, principal, [h.id for h in found])
    return [
        Row(
            h,
            is_unread(h, reads.get(h.id)),
            waiting_since(h),
            wrote_again(h),
            None if h.question else next(iter(last_words(session, h, 1)), None),
        )
        for h in found
    ]


def last_words(session: Session, handoff: Handoff, count: int = 3) -> list[str]:
    """What the youth last wrote in the question's part of the conversation, oldest first (for a
    question they did not write: a crisis, a skipped question)."""
    query = (
        select(Message.text)
        .where(in_window(session, handoff), Message.direction == Direction.IN, Message.text.is_not(None))
        .order_by(Message.id.desc())
        .limit(count)
    )
    return [text for text in reversed(session.scalars(query).all()) if text and text.strip()]


def last_reads(session: Session, principal: Principal, handoff_ids: list[int]) -> dict[int, datetime]:
    if not handoff_ids:
        return {}
    query = select(HandoffRead.handoff_id, HandoffRead.read_at).where(
        HandoffRead.staff_id == principal.staff_id, HandoffRead.handoff_id.in_(handoff_ids)
    )
    return dict(session.execute(query).tuples().all())


def activity(handoff: Handoff) -> datetime:
    """When the youth last added something: the question, or a later message."""
    return max(handoff.created_at, handoff.youth_wrote_at or handoff.created_at)


def is_unread(handoff: Handoff, read_at: datetime | None) -> bool:
    return read_at is None or read_at < activity(handoff)


def wrote_again(handoff: Handoff) -> bool:
    """The youth wrote into the question after it was asked: after the last answer, or before any."""
    return (
        handoff.status != HandoffStatus.RESOLVED
        and handoff.youth_wrote_at is not None
        and (handoff.answered_at is None or handoff.youth_wrote_at > handoff.answered_at)
    )


def waiting_since(handoff: Handoff) -> datetime | None:
    """Since when the youth waits for an answer: the question (never answered), or their message after
    the last answer; None when resolved or answered since."""
    if handoff.status == HandoffStatus.RESOLVED:
        return None
    if handoff.answered_at is None:
        return handoff.created_at
    return handoff.youth_wrote_at if wrote_again(handoff) else None


def mark_read(session: Session, principal: Principal, handoff: Handoff, now: datetime) -> None:
    """The staff member has seen the question as it is now."""
    values = {"handoff_id": handoff.id, "staff_id": principal.staff_id, "youth_id": handoff.youth_id}
    statement = insert_for(session, HandoffRead).values(**values, read_at=now)
    session.execute(
        statement.on_conflict_do_update(index_elements=["handoff_id", "staff_id"], set_={"read_at": now})
    )


def version(session: Session, principal: Principal) -> str:
    """A short stamp that changes when anything the staff member sees in the inbox changes: the pages
    poll it and refresh when it moves."""
    query = visible(
        select(
            func.count(),
            func.max(Handoff.id),
            func.max(Handoff.youth_wrote_at),
            func.max(Handoff.answered_at),
            func.max(Handoff.claimed_at),
            func.max(Handoff.resolved_at),
            func.sum(_status_code()),
        ).select_from(Handoff),
        principal,
    )
    row = session.execute(query).one()
    events = session.scalar(select(func.max(Message.id)).where(Message.handoff_id.is_not(None)))
    return "-".join(str(value) for value in (*row, events))


def _status_code() -> Any:
    return case(
        (Handoff.status == HandoffStatus.PENDING, 1),
        (Handoff.status == HandoffStatus.OPEN, 1000),
        else_=1000000,
    )


def youth_panel(session: Session, handoff: Handoff, under_15: bool) -> YouthPanel:
    conversation = session.get(Conversation, handoff.youth_id)
    state = (conversation.state if conversation else None) or {}
    low, high = state.get("age_low"), state.get("age_high")
    age = None if low is None else f"{low} ans" if low == high or high is None else f"{low}-{high} ans"
    cards: list[dict[str, Any]] = []
    seen: set[str] = set()
    shown = session.scalars(
        select(Message.content)
        .where(in_window(session, handoff), Message.direction == Direction.OUT)
        .order_by(Message.id.desc())
        .limit(200)
    )
    for content in shown:
        for card in (content or {}).get("cards", []):
            key = str(card.get("id"))
            if card.get("kind") in ("service", "offer") and key not in seen:
                seen.add(key)
                cards.append(card)
    return YouthPanel(
        commune=state.get("commune"),
        quartier=state.get("quartier"),
        age=age,
        concern=handoff.concern or state.get("concern"),
        under_15=under_15,
        cards=cards[:9],
    )


CARD_KINDS = {"helpline": "Numéros donnés", "service": "Services montrés", "offer": "Offres montrées"}


def as_read(messages: list[Message]) -> list[tuple[Message, str]]:
    """The messages as the adviser reads them: each one's text, the helplines, services and offers a
    bot message gave ("[Numéros donnés : 3114 · …]"), and the button the youth pressed, by its title
    ("[Bouton : Le point écoute]", found in the buttons offered before). Messages with none are left out."""
    offered: dict[str, str] = {}
    read: list[tuple[Message, str]] = []
    for message in messages:
        content = message.content or {}
        if message.direction == Direction.IN:
            title = offered.get(message.payload or "", "un bouton")
            text = message.text or (f"[Bouton : {title}]" if message.payload else "")
        else:
            parts = [message.text or ""]
            for kind, label in CARD_KINDS.items():
                titles = [str(c.get("title")) for c in content.get("cards", []) if c.get("kind") == kind]
                if titles:
                    parts.append(f"[{label} : {', '.join(titles)}]")
            text = "\n".join(part for part in parts if part)
            for button in content.get("buttons", []):
                if button.get("payload") and button.get("title"):
                    offered[str(button["payload"])] = str(button["title"])
        if text.strip():
            read.append((message, text))
    return read
