"""Personal data of youths. Every table holding personal data lives in this module and hangs off
`youths` with ON DELETE CASCADE, so that erasing a youth erases everything about them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, UTCDateTime, utcnow


class Youth(Base):
    """One youth on one channel. `user_ref` is the channel's identifier of the user (to be stored as
    a keyed hash where the raw value is not needed to reply)."""

    __tablename__ = "youths"
    __table_args__ = (UniqueConstraint("channel", "user_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(20))
    user_ref: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
