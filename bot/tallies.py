"""Anonymous daily tallies of youths, for the coordinators' statistics (bot/stats.py).

After each turn the brain calls `tally`, then `add`: a youth counts once per metric and value (and once
per day as "active"), remembered in the conversation state so that nobody is counted twice. Each count
carries the channel, the campaign source and the town the youth had then, and nothing else: no
identifier, no text.
The rows outlive erasure and retention."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.orm import Session

from bot.catalogue.snapshot import ServiceView
from bot.db import prebuilt
from bot.messages import Outgoing
from bot.models import DailyTally
from bot.state import State

ACTIVE = "active"  # talked with sixtcap that day (a conversation day)
NEW = "new"  # first contact
CONCERN = "concern"  # value: the concern
TOWN = "town"  # value: the commune (once known)
QUARTIER = "quartier"  # value: the neighbourhood
CRISIS = "crisis"  # value: the kind of danger ("" when unnamed)
SHOWN = "shown"  # value: a partner whose service was shown
FULL = "full"  # value: a partner whose service was shown as full ("complet")
HANDOFF = "handoff"  # value: the partner the question went to
OUTSIDE_NETWORK = "hors-reseau"  # the SHOWN value of every service outside the 6Tcap network
AGAIN = "again"  # the youth wrote again after an adviser's answer
FOLLOW_UP = "follow_up"  # value: accepted, declined, sent, found, not_yet, stop (bot/followups.py)
METRICS = (ACTIVE, NEW, CONCERN, TOWN, QUARTIER, CRISIS, SHOWN, FULL, HANDOFF, AGAIN, FOLLOW_UP)
SEEN = "tallied"  # key of State.extra: what this youth was counted for already


def facts(state: State, shown: Sequence[ServiceView], handoff_partner: str | None) -> list[tuple[str, str]]:
    """What the conversation says now, as (metric, value) pairs."""
    found: list[tuple[str, str]] = [(NEW, "")]
    if state.concern:
        found.append((CONCERN, state.concern))
    if state.commune:
        found.append((TOWN, state.commune))
    if state.quartier:
        found.append((QUARTIER, state.quartier))
    if state.crisis:
        found += [(CRISIS, kind) for kind in state.crisis_kinds] or [(CRISIS, "")]
    for service in shown:  # outside the network: one count, "hors-reseau" (how often the network lacked it)
        found.append((SHOWN, OUTSIDE_NETWORK if service.outside_network else service.partner_id))
        if service.has_room is False:
            found.append((FULL, service.partner_id))
    if handoff_partner:
        found.append((HANDOFF, handoff_partner))
    return found


def shown_services(messages: Iterable[Outgoing], services: Sequence[ServiceView]) -> list[ServiceView]:
    by_id = {s.id: s for s in services}
    return [
        by_id[card.id] for m in messages for card in m.cards if card.kind == "service" and card.id in by_id
    ]


def tally(
    state: State,
    now: datetime,
    shown: Sequence[ServiceView] = (),
    handoff_partner: str | None = None,
) -> list[tuple[str, str]]:
    """What is new about this youth, to `add` (and mark it in `state`, which the brain stores)."""
    seen: list[str] = list(state.extra.get(SEEN, []))
    day = now.date().isoformat()
    new = [(ACTIVE, "")] if state.extra.get("tallied_day") != day else []
    state.extra["tallied_day"] = day
    for metric, value in facts(state, shown, handoff_partner):
        key = f"{metric}:{value}"
        if key not in seen:
            seen.append(key)
            new.append((metric, value))
    state.extra[SEEN] = seen[-200:]
    return new


def add(
    session: Session,
    channel: str,
    source: str | None,
    commune: str | None,
    now: datetime,
    counts: Iterable[tuple[str, str]],
) -> None:
    """One more for each (metric, value), in one statement. The rows are in a fixed order: two turns
    counting the same rows lock them in the same order (PostgreSQL), never each waiting for the other."""
    common = {
        "day": now.date(),
        "channel": channel[:20],
        "source": (source or "")[:100],
        "commune": (commune or "")[:80],
    }
    rows = [common | {"metric": metric, "value": value[:80]} for metric, value in sorted(counts)]
    if rows:
        session.connection().execute(prebuilt(session, "tally", _upsert), rows)  # no ORM: no objects


def _upsert(insert: Callable[[Any], Any]) -> Any:
    keys = ("day", "channel", "source", "commune", "metric", "value")
    statement = insert(DailyTally).values({key: bindparam(key) for key in keys} | {"count": 1})
    return statement.on_conflict_do_update(index_elements=list(keys), set_={"count": DailyTally.count + 1})
