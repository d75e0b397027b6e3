"""The statistics' query parameters, shared by /admin/api/stats and the /admin/stats page."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.stats import GroupBy, StatsFilters

DEFAULT_DAYS = 28
MAX_DAYS = 366 * 2


def stats_filters(
    today: datetime,
    start: date | None,
    end: date | None,
    channel: str | None,
    source: str | None,
    commune: str | None,
    partner_id: str | None,
) -> StatsFilters:
    """The filters, with the last four weeks by default and at most two years."""
    last = end or today.date()
    first = start or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        first, last = last, first
    first = max(first, last - timedelta(days=MAX_DAYS))
    return StatsFilters(
        first, last, (channel or "")[:20], (source or "")[:100], (commune or "")[:80], (partner_id or "")[:80]
    )


def group_by_of(value: str | None) -> GroupBy:
    return value if value in ("day", "week", "month") else "week"  # type: ignore[return-value]
