"""Rate-limit counters shared by the server processes (bot/throttle.py, on PostgreSQL). A key is a keyed
hash of what is counted (a conversation, an address, a chat), never the value itself, and a row lives
two periods of its rate at most."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base


class RateWindow(Base):
    """Requests counted in one window (a period of the rate, numbered from the epoch) for one key."""

    __tablename__ = "rate_windows"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)  # a rate of `limits` in config.yml
    key: Mapped[str] = mapped_column(String(32), primary_key=True)  # hash of the key ("" for everyone)
    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # the window: epoch seconds // period
    hits: Mapped[int] = mapped_column(Integer, default=0)
    expires: Mapped[int] = mapped_column(BigInteger, index=True)  # epoch seconds: deleted after this
