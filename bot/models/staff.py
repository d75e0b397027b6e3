"""Partner staff and their credentials, and the audit log of what they change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, false, true
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, JsonValue, UTCDateTime, utcnow

ROLES = ("adviser", "lead", "coordinator", "admin")


class Staff(Base):
    """An adviser or a lead (bound to one partner), a coordinator (reads everything) or an admin
    (everything); see bot/enums.py Role."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    partner_id: Mapped[str | None] = mapped_column(ForeignKey("partners.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    failed_logins: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0"
    )  # since the last success
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # no login before (back-off)
    # which e-mails this staff member wants (bot/notifications.py): each kind of event, on or off
    notify_new: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    notify_urgent: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    notify_again: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    notify_overdue: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class StaffToken(Base):
    """A bearer token (after login, expires) or an API key (for integrations): only its SHA-256 is kept."""

    __tablename__ = "staff_tokens"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # "session" or "api_key"
    name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scopes: Mapped[str | None] = mapped_column(String(200))  # API keys: space-separated; None: everything


class AuditEntry(Base):
    """Every write through the admin API: who, what, when, and the values before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(100))
    before: Mapped[dict[str, Any] | None] = mapped_column(JsonValue)
    after: Mapped[dict[str, Any] | None] = mapped_column(JsonValue)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
