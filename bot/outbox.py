"""The outbox: replies to send to a platform, written in the same transaction as the turn that made
them, sent by a background sender (webhooks/sender.py) with retries.

- Rows of one chat go out in order, one at a time, at most one per `pace` (about a message a second).
- A row is claimed for a lease before it is sent: several server processes never send the same row
  (PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED; SQLite: one writer at a time). A sender that dies
  mid-send leaves the lease to expire, and the row is tried again.
- A platform that asks to wait (Telegram 429 retry_after, WhatsApp rate limits) or fails for a while is
  retried with exponential backoff; a permanent refusal fails the row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from bot.db import storable_text, transaction
from bot.enums import OutboxStatus
from bot.models import OutboxMessage

PENDING, SENDING, SENT, FAILED = (
    OutboxStatus.PENDING,
    OutboxStatus.SENDING,
    OutboxStatus.SENT,
    OutboxStatus.FAILED,
)


@dataclass(frozen=True)
class Claimed:
    id: int
    youth_id: int | None
    channel: str
    recipient: str
    request: dict[str, Any]
    attempts: int
    created_at: datetime | None = None


def enqueue(
    session: Session,
    youth_id: int | None,
    channel: str,
    recipient: str,
    requests: list[dict[str, Any]],
    now: datetime,
    priority: int = 0,
) -> None:
    """Rows to send; a higher `priority` (an urgent question's notifications) goes out before the others
    waiting for the same recipient and is claimed first."""
    for request in requests:
        session.add(
            OutboxMessage(
                youth_id=youth_id,
                channel=channel,
                recipient=recipient,
                request=request,
                status=PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                priority=priority,
            )
        )


def _claimable(now: datetime, pace: timedelta) -> Any:
    row = OutboxMessage
    other = aliased(OutboxMessage)
    same_chat = and_(other.channel == row.channel, other.recipient == row.recipient)
    waiting = and_(same_chat, other.status.in_((PENDING, SENDING)))
    first_of_chat = (
        select(func.min(other.id)).where(waiting, other.priority == row.priority).scalar_subquery()
    )
    return and_(
        or_(row.status == PENDING, and_(row.status == SENDING, row.claimed_until < now)),
        row.next_attempt_at <= now,
        row.id == first_of_chat,
        ~exists().where(waiting, other.priority > row.priority),
        ~exists().where(same_chat, other.status == SENDING, other.claimed_until >= now, other.id != row.id),
        ~exists().where(same_chat, other.status == SENT, other.sent_at > now - pace),
    )


def claim(engine: Engine, now: datetime, lease: timedelta, pace: timedelta, limit: int = 20) -> list[Claimed]:
    """Take up to `limit` due rows (at most one per chat) for `lease`."""
    with transaction(engine) as session:
        order = (OutboxMessage.priority.desc(), OutboxMessage.id)
        query = select(OutboxMessage).where(_claimable(now, pace)).order_by(*order).limit(limit)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = session.scalars(query).all()
        claimed = []
        for row in rows:
            row.status, row.claimed_until, row.attempts = SENDING, now + lease, row.attempts + 1
            claimed.append(
                Claimed(
                    row.id,
                    row.youth_id,
                    row.channel,
                    row.recipient,
                    dict(row.request),
                    row.attempts,
                    row.created_at,
                )
            )
        return claimed


def mark_sent(
    engine: Engine, row_id: int, platform_message_id: str | None, now: datetime, kind: str = "message"
) -> None:
    with transaction(engine) as session:
        # the goodbye of a forgotten youth: nothing is kept once it is sent
        session.execute(
            delete(OutboxMessage).where(OutboxMessage.id == row_id, OutboxMessage.youth_id.is_(None))
        )
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id)
            .values(
                status=SENT,
                sent_at=now,
                claimed_until=None,
                platform_message_id=platform_message_id,
                kind=kind,
            )
        )


def mark_retry(engine: Engine, row_id: int, error: str, at: datetime) -> None:
    with transaction(engine) as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id)
            .values(status=PENDING, next_attempt_at=at, claimed_until=None, last_error=error[:300])
        )


def mark_failed(engine: Engine, row_id: int, error: str) -> None:
    with transaction(engine) as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id)
            .values(status=FAILED, claimed_until=None, last_error=error[:300])
        )


def release(engine: Engine, row_ids: list[int]) -> int:
    """Give back rows claimed by a sender that is shutting down before their outcome is known: due at once
    for another process, and the interrupted try does not count. How many were released."""
    if not row_ids:
        return 0
    with transaction(engine) as session:
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(row_ids), OutboxMessage.status == SENDING)
            .values(
                status=PENDING,
                claimed_until=None,
                attempts=func.greatest(OutboxMessage.attempts - 1, 0)
                if session.get_bind().dialect.name == "postgresql"
                else func.max(OutboxMessage.attempts - 1, 0),
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


def due_now(engine: Engine, channel: str, now: datetime) -> int:
    """Rows of `channel` waiting for a later try are due at once (the platform is back): how many."""
    with transaction(engine) as session:
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.channel == channel, OutboxMessage.status == PENDING)
            .values(next_attempt_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def record_delivery(engine: Engine, channel: str, platform_message_id: str, status: str) -> bool:
    """A platform's delivery report (sent, delivered, read, failed); False if the message is unknown (an
    id or status no database can store as text, with a NUL or a lone surrogate, is no message of ours)."""
    if any(storable_text(value) != value for value in (platform_message_id, status)):
        return False
    with transaction(engine) as session:
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.channel == channel, OutboxMessage.platform_message_id == platform_message_id)
            .values(delivery_status=status[:20])
        )
        return bool(getattr(result, "rowcount", 0))


def backoff(attempts: int, maximum: float) -> float:
    """Seconds before the next try: 1, 2, 4, ... capped at `maximum`."""
    return float(min(2 ** max(attempts - 1, 0), maximum))


def template_sent_since(session: Session, youth_id: int, since: datetime) -> bool:
    """A WhatsApp template already told this youth an answer is waiting, after their last message."""
    query = select(OutboxMessage.id).where(
        OutboxMessage.youth_id == youth_id,
        OutboxMessage.kind == "template",
        OutboxMessage.status == SENT,
        OutboxMessage.sent_at > since,
    )
    return session.execute(query.limit(1)).first() is not None
