"""Personal data of youths. Every table holding personal data lives in this module and hangs off
`youths` with ON DELETE CASCADE, so that erasing a youth erases everything about them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from bot.enums import HandoffStatus, OutboxStatus
from bot.models.base import Base, JsonOrNull, JsonValue, UTCDateTime, utcnow


class Youth(Base):
    """One youth on one channel. `user_ref` is a keyed hash of the platform's identifier (bot/privacy.py);
    `address` is the raw chat id, kept only where the platform needs it to send (Telegram, WhatsApp)."""

    __tablename__ = "youths"
    __table_args__ = (UniqueConstraint("channel", "user_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(20))
    user_ref: Mapped[str] = mapped_column(String(128))
    address: Mapped[str | None] = mapped_column(String(100))
    under_15: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )  # then: only the running conversation
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str | None] = mapped_column(String(100))  # campaign source of the first contact


class Conversation(Base):
    """Where the conversation with one youth stands (bot/state.py), one row per youth."""

    __tablename__ = "conversations"

    youth_id: Mapped[int] = mapped_column(ForeignKey("youths.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JsonValue, default=dict)
    turns: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Message(Base):
    """Every message in and out, with its intent: the handoff's context and the statistics' source."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_youth_created", "youth_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    youth_id: Mapped[int] = mapped_column(ForeignKey("youths.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(3))  # "in" or "out"
    channel: Mapped[str] = mapped_column(String(20))
    text: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[str | None] = mapped_column(String(200))
    content: Mapped[dict[str, Any] | None] = mapped_column(JsonOrNull)  # outgoing buttons and cards
    intent: Mapped[str | None] = mapped_column(String(40), index=True)
    confidence: Mapped[float | None] = mapped_column(Float)
    platform_message_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    handoff_id: Mapped[int | None] = mapped_column(ForeignKey("handoffs.id", ondelete="SET NULL"), index=True)
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL")
    )  # adviser's reply


class InboundEvent(Base):
    """A platform delivery already handled (Telegram update_id, WhatsApp message id): redeliveries are
    answered without being handled again."""

    __tablename__ = "inbound_events"

    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    youth_id: Mapped[int] = mapped_column(ForeignKey("youths.id", ondelete="CASCADE"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxMessage(Base):
    """One platform call to make (a rendered message), sent by the background sender with retries.
    Rows of one chat are sent in order, one at a time, paced."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_chat", "channel", "recipient", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    # None only for the last message to a youth who asked to be forgotten: deleted once sent
    youth_id: Mapped[int | None] = mapped_column(ForeignKey("youths.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(100))
    request: Mapped[dict[str, Any]] = mapped_column(JsonValue)
    kind: Mapped[str] = mapped_column(String(20), default="message")  # "message", or "template" (WhatsApp)
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # higher goes out first
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING)  # see OutboxStatus
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(
        String(300)
    )  # platform's error code and reason, no content
    platform_message_id: Mapped[str | None] = mapped_column(String(100), index=True)
    delivery_status: Mapped[str | None] = mapped_column(String(20))  # WhatsApp: delivered, read, failed


class Handoff(Base):
    """A youth's question for partner staff. pending -> open (claimed by an adviser) -> resolved."""

    __tablename__ = "handoffs"
    __table_args__ = (
        Index("ix_handoffs_partner_status", "partner_id", "status"),
        Index("ix_handoffs_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    youth_id: Mapped[int] = mapped_column(ForeignKey("youths.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"))
    concern: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10), default=HandoffStatus.PENDING)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    crisis_kind: Mapped[str | None] = mapped_column(String(80))  # urgent: the kind of danger, for staff
    question: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(10))  # "staff" or "youth"
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    youth_wrote_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the youth's last message in it
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # an adviser's last answer


class HandoffEvent(Base):
    """What happened to a handoff besides the messages, for the staff's history: an internal note, an
    assignment to a colleague, a transfer (from one partner to another, with its note), a reopening."""

    __tablename__ = "handoff_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    youth_id: Mapped[int] = mapped_column(ForeignKey("youths.id", ondelete="CASCADE"), index=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # see HandoffEventKind
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    text: Mapped[str | None] = mapped_column(Text)  # a note: staff only, never sent to the youth
    from_partner: Mapped[str | None] = mapped_column(String(80))
    to_partner: Mapped[str | None] = mapped_column(String(80))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HandoffRead(Base):
    """When a staff member last opened a handoff: what came after is unread for them."""

    __tablename__ = "handoff_reads"

    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    youth_id: Mapped[int] = mapped_column(ForeignKey("youths.id", ondelete="CASCADE"), index=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FollowUp(Base):
    """A message sixtcap promised to send later, with the youth's consent ("je te relance dans une
    semaine ?"): about the offers shown (or the one they asked help for). "stop" cancels every one."""

    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    youth_id: Mapped[int] = mapped_column(ForeignKey("youths.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="offers")  # what it is about
    offer_source: Mapped[str | None] = mapped_column(String(30))  # the offer it is about, if one
    offer_id: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(12), default="scheduled")  # see FollowUpStatus
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(String(20))  # the youth's answer (see bot/followups.py)
