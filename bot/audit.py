"""The audit log: every write made through the admin API, with who made it and the values before and
after. Message texts are not copied here (they stay in the conversation, erasable with the youth)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import AuditEntry


def audit(
    session: Session,
    staff_id: int | None,
    action: str,
    entity: str,
    entity_id: object,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
) -> None:
    session.add(
        AuditEntry(
            staff_id=staff_id,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            before=_plain(before),
            after=_plain(after),
            at=now,
        )
    )


def _plain(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}


def entries(session: Session, entity: str | None = None, limit: int = 100) -> Sequence[AuditEntry]:
    """The latest entries, newest first (of one kind of entity if given); 1 to 1,000 of them."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(max(1, min(limit, 1000)))
    if entity:
        query = query.where(AuditEntry.entity == entity)
    return session.scalars(query).all()
