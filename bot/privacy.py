"""Personal data of youths: pseudonymous identifiers, what one youth's data is (export), and how long it is
kept (the purge). Erasure itself is one DELETE of the youth (every personal row cascades from it)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.config import RetentionSettings, Settings
from bot.enums import HandoffStatus, OutboxStatus
from bot.models import Conversation, Handoff, InboundEvent, Message, OutboxMessage, Youth
from bot.models.base import Base

log = logging.getLogger(__name__)


class Pseudonyms:
    """A youth's platform identifier becomes a keyed hash (HMAC-SHA256): the database alone does not tell
    who is who. The raw address is kept only where a platform needs it to send (Telegram, WhatsApp)."""

    def __init__(self, key: bytes) -> None:
        self.key = key

    def ref(self, channel: str, user: str) -> str:
        return hmac.new(self.key, f"{channel}:{user}".encode(), hashlib.sha256).hexdigest()


def secret_key(settings: Settings) -> bytes:
    """SIXTCAP_SECRET_KEY; without it (a laptop, `make run`), a random key kept in var/secret.key."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    path = settings.var_dir / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as stream:
            stream.write(secrets.token_hex(32))
        log.warning("SIXTCAP_SECRET_KEY is not set: using a key generated in %s", path)
    return Path(path).read_text().strip().encode()


class ErasureLog:
    """The pseudonyms (channel, HMAC) of the youths who asked to be forgotten, one JSON line each, in a file
    beside the database rather than in it: restoring a backup older than an erasure would bring the youth
    back, so `sixtcap db restore` replays this log. It holds no message, no platform id, no date of birth:
    only what is needed to find the row again."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def of(cls, settings: Settings) -> ErasureLog:
        return cls(settings.var_dir / "erasures.log")

    def record(self, channel: str, user_ref: str, at: datetime) -> bool:
        """Append one erasure; False (and an error logged) when the file cannot be written: the erasure
        itself is committed already, and the youth must not get an error for it."""
        line = json.dumps({"channel": channel, "user_ref": user_ref, "at": at.isoformat()}) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:  # one write of one line with O_APPEND: several processes never mix their lines
                os.write(descriptor, line.encode())
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        except OSError as error:
            log.error("erasure log %s not written (%s): a restore would bring this youth back", self.path,
                      type(error).__name__)  # fmt: skip
            return False
        return True

    def entries(self) -> list[tuple[str, str]]:
        """(channel, user_ref) of every erasure recorded; a torn last line is skipped."""
        if not self.path.exists():
            return []
        found = []
        for line in self.path.read_text().splitlines():
            try:
                entry = json.loads(line)
                found.append((str(entry["channel"]), str(entry["user_ref"])))
            except (ValueError, KeyError, TypeError):
                log.warning("erasure log: an unreadable line skipped")
        return found

    def replay(self, session: Session) -> int:
        """Erase again every youth of the log still in the database (after a restore); how many were."""
        erased = 0
        for channel, user_ref in self.entries():
            result = session.execute(
                delete(Youth).where(Youth.channel == channel, Youth.user_ref == user_ref)
            )
            erased += int(getattr(result, "rowcount", 0) or 0)
        return erased


def rows_of(model: type[Base], row: Any) -> dict[str, Any]:
    """A row as JSON-ready values."""
    values = {column.key: getattr(row, column.key) for column in model.__table__.columns}
    return {key: value.isoformat() if isinstance(value, datetime) else value for key, value in values.items()}


def export(session: Session, youth: Youth) -> dict[str, Any]:
    """Everything stored about one youth, for an access request."""
    conversation = session.get(Conversation, youth.id)

    def every(model: Any) -> list[dict[str, Any]]:
        return [rows_of(model, r) for r in session.scalars(select(model).where(model.youth_id == youth.id))]

    return {
        "youth": rows_of(Youth, youth),
        "conversation": rows_of(Conversation, conversation) if conversation else None,
        "messages": every(Message),
        "handoffs": every(Handoff),
        "outbox": every(OutboxMessage),
        "inbound_events": every(InboundEvent),
    }


def purge(session: Session, now: datetime, retention: RetentionSettings) -> dict[str, int]:
    """Delete what is older than config.yml says. Run daily; counts per kind of row deleted."""

    def gone(statement: Any) -> int:
        return int(getattr(session.execute(statement), "rowcount", 0) or 0)

    days = timedelta(days=1)
    return {
        "under_15": gone(
            delete(Youth).where(
                Youth.under_15, Youth.last_seen_at < now - timedelta(hours=retention.under_15_hours)
            )
        ),
        "inactive_youths": gone(
            delete(Youth).where(Youth.last_seen_at < now - retention.inactive_youth_days * days)
        ),
        "transcripts": gone(
            delete(Message).where(Message.created_at < now - retention.transcript_days * days)
        ),
        "closed_handoffs": gone(
            delete(Handoff).where(
                Handoff.status == HandoffStatus.RESOLVED,
                Handoff.resolved_at < now - retention.closed_handoff_days * days,
            )
        ),
        "sent_outbox": gone(
            delete(OutboxMessage).where(
                OutboxMessage.status.in_((OutboxStatus.SENT, OutboxStatus.FAILED)),
                OutboxMessage.created_at < now - retention.outbox_days * days,
            )
        ),
        "inbound_events": gone(
            delete(InboundEvent).where(InboundEvent.received_at < now - retention.outbox_days * days)
        ),
    }
