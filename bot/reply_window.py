"""When a platform lets sixtcap write to a youth freely: WhatsApp allows free messages only within 24 hours
of the youth's last message; after that, one template (telling the youth an answer is waiting) until the
youth writes again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.models import Youth
from bot.outbox import template_sent_since

WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class ReplyWindow:
    open: bool  # free messages allowed now
    template_sent: bool  # outside the window, the template was already sent since the youth's last message


def reply_window(
    session: Session, youth_id: int | None, now: datetime, length: timedelta = WINDOW
) -> ReplyWindow:
    """The window of the youth's conversation (open for an unknown or erased youth: nothing to hold back)."""
    youth = session.get(Youth, youth_id) if youth_id is not None else None
    if youth is None:
        return ReplyWindow(open=True, template_sent=False)
    if now - youth.last_seen_at < length:
        return ReplyWindow(open=True, template_sent=False)
    return ReplyWindow(open=False, template_sent=template_sent_since(session, youth.id, youth.last_seen_at))
