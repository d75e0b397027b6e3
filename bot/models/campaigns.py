"""Campaigns: where a youth may come from (an influencer, a poster's place, an event). Each has a source
code carried by its deep links and QR codes; the code a youth came with is kept on the youth's row and in
the anonymous daily tallies. No personal data here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, UTCDateTime, utcnow


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64), unique=True)  # the code in the links: [A-Za-z0-9_-]
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # influencer, poster, event, other
    channel: Mapped[str] = mapped_column(
        String(20)
    )  # the QR code's channel by default: telegram, whatsapp, web
    poster_line: Mapped[str] = mapped_column(String(120))  # the one line of text of the printable poster
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
