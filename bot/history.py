"""The history of one conversation, as a channel shows it again: the youth's texts and sixtcap's bubbles
(with an adviser's answers) in order, after a cursor. The widget uses it on reload and to poll."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.enums import Direction
from bot.models import Message, Youth
from bot.privacy import Pseudonyms

PAGE = 200  # bubbles at most per read


@dataclass(frozen=True)
class Bubble:
    """One bubble of the conversation: said by the youth or by sixtcap (buttons and cards as dicts)."""

    id: int
    sender: Literal["youth", "bot"]
    text: str
    buttons: list[dict[str, Any]] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)


def youth_id(session: Session, pseudonyms: Pseudonyms, channel: str, user: str) -> int | None:
    """The youth's row id, None when unknown (never seen, or erased)."""
    ref = pseudonyms.ref(channel, user)
    found: int | None = session.scalar(
        select(Youth.id).where(Youth.channel == channel, Youth.user_ref == ref)
    )
    return found


def since(
    session: Session, pseudonyms: Pseudonyms, channel: str, user: str, after: int, limit: int = PAGE
) -> tuple[list[Bubble], int]:
    """The bubbles stored after the cursor `after`, and the new cursor (the last message's id)."""
    found = youth_id(session, pseudonyms, channel, user)
    if found is None:
        return [], after
    rows = session.scalars(
        select(Message).where(Message.youth_id == found, Message.id > after).order_by(Message.id).limit(limit)
    ).all()
    # a pressed button has no text: not a bubble
    bubbles = [bubble(row) for row in rows if row.direction == Direction.OUT or row.text]
    return bubbles, rows[-1].id if rows else after


def bubble(row: Message) -> Bubble:
    if row.direction == Direction.IN:
        return Bubble(row.id, "youth", row.text or "")
    content = row.content or {}
    return Bubble(row.id, "bot", row.text or "", content.get("buttons", []), content.get("cards", []))
