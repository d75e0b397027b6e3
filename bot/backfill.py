"""The statistics of the days before the anonymous tallies existed (bot/tallies.py), rebuilt once from what
is still stored: youths, their conversation's state, their messages (the cards sixtcap showed) and their
questions. Erased youths and transcripts already purged cannot be counted: the figures of those days are
a floor, never an invention.

Only days before the first tallied day are counted, so that nothing is counted twice (a second run finds
nothing new), and each youth is counted once per metric and value, as the live tallies do: what a youth is
counted for here is written into their conversation's state, and the live tallies skip it afterwards."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import tallies
from bot.enums import Direction
from bot.models import Conversation, DailyTally, Handoff, Message, Service, Youth
from bot.state import State


@dataclass(frozen=True)
class Backfilled:
    before: date  # days before this one were counted
    youths: int  # youths counted
    counts: int  # youth-metric-day counts added


def first_tallied_day(session: Session) -> date | None:
    return session.scalar(select(func.min(DailyTally.day)))


def backfill(session: Session, today: date, full_marks: Iterable[str]) -> Backfilled:
    """Count, in the daily tallies, every youth still stored for the days before the first tallied day
    (before `today` when nothing is tallied yet). `full_marks`: the "complet" lines of the service cards,
    in every language (a card that showed one counts its partner as met "complet")."""
    before = first_tallied_day(session) or today
    marks = frozenset(full_marks)
    partner_of = dict(session.execute(select(Service.id, Service.partner_id)).tuples().all())
    youths = session.scalars(
        select(Youth).where(Youth.created_at < datetime.combine(before, time(), UTC)).order_by(Youth.id)
    ).all()
    counted = added = 0
    for youth in youths:
        conversation = session.get(Conversation, youth.id)
        state = State.from_json(conversation.state if conversation else None)
        seen: list[str] = list(state.extra.get(tallies.SEEN, []))
        by_day = _facts(session, youth, state, before, partner_of, marks)
        new = 0
        for day, facts in sorted(by_day.items()):
            fresh = [(metric, value) for metric, value in facts if f"{metric}:{value}" not in seen]
            fresh = [(tallies.ACTIVE, "")] + [f for f in dict.fromkeys(fresh) if f[0] != tallies.ACTIVE]
            seen += [f"{m}:{v}" for m, v in fresh if m != tallies.ACTIVE]
            moment = datetime.combine(day, datetime.min.time())
            tallies.add(session, youth.channel, youth.source, state.commune, moment, fresh)
            new += len(fresh)
        if new and conversation is not None:
            state.extra[tallies.SEEN] = seen[-200:]
            conversation.state = state.to_json()
        counted, added = counted + bool(new), added + new
    return Backfilled(before, counted, added)


def _facts(
    session: Session,
    youth: Youth,
    state: State,
    before: date,
    partner_of: dict[str, str],
    full_marks: frozenset[str],
) -> dict[date, list[tuple[str, str]]]:
    """What can be told of one youth, day by day, before `before`: active on each day they wrote (on the
    day they came, when no message is kept), their first day bears what their state knows."""
    messages = session.scalars(select(Message).where(Message.youth_id == youth.id).order_by(Message.id)).all()
    first = youth.created_at.date()
    days: dict[date, list[tuple[str, str]]] = {first: [(tallies.ACTIVE, "")]}
    for message in messages:
        day = message.created_at.date()
        if day >= before:
            continue
        if message.direction == Direction.IN:
            days.setdefault(day, []).append((tallies.ACTIVE, ""))
        for card in (message.content or {}).get("cards", []):
            partner = partner_of.get(str(card.get("id")))
            if card.get("kind") != "service" or partner is None:
                continue
            days.setdefault(day, []).append((tallies.SHOWN, partner))
            if full_marks & set(card.get("details") or []):
                days[day].append((tallies.FULL, partner))
    days[first] += tallies.facts(state, (), None)  # new, concern, town, neighbourhood, crisis
    for handoff in session.scalars(select(Handoff).where(Handoff.youth_id == youth.id)):
        if handoff.created_at.date() < before:
            days.setdefault(handoff.created_at.date(), []).append((tallies.HANDOFF, handoff.partner_id))
    return {day: facts for day, facts in days.items() if day < before}
