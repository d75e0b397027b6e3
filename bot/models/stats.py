"""Anonymous counters: no youth, no text, nothing erasure has to remove."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base


class DailyCount(Base):
    """Anonymous counters (messages per day, channel and intent): what remains of a youth after erasure."""

    __tablename__ = "daily_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    intent: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class DailyTally(Base):
    """Anonymous counts of youths per day (bot/tallies.py): a youth counts once per metric and value
    (once per day for "active"), with the channel, the campaign source and the town they had then. No
    youth, no text: they outlive erasure and retention, and statistics hide any cell under 5 youths."""

    __tablename__ = "daily_tallies"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    source: Mapped[str] = mapped_column(String(100), primary_key=True)  # "" when none
    commune: Mapped[str] = mapped_column(String(80), primary_key=True)  # "" when unknown
    metric: Mapped[str] = mapped_column(String(20), primary_key=True)  # see bot/tallies.py METRICS
    value: Mapped[str] = mapped_column(String(80), primary_key=True)  # "" when the metric has none
    count: Mapped[int] = mapped_column(Integer, default=0)
