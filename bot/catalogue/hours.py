"""Opening hours in OSM `opening_hours` syntax: is a place open now, and when does it next open.
Computed in the territory's time zone, with French public holidays (`PH`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from opening_hours import OpeningHours

COUNTRY = "FR"


@dataclass(frozen=True)
class OpeningStatus:
    open_now: bool | None  # None: unknown (no hours, or an "unknown" rule)
    closes_at: datetime | None = None  # when open: the next closing
    next_opening: datetime | None = None  # when closed: the next opening, None if never


@lru_cache(maxsize=512)
def _parsed(expression: str, zone: str) -> OpeningHours:
    return OpeningHours(expression, timezone=ZoneInfo(zone), country=COUNTRY)


def opening_status(expression: str | None, at: datetime, zone: ZoneInfo) -> OpeningStatus:
    """Where `expression` stands at the aware time `at`."""
    if not expression:
        return OpeningStatus(open_now=None)
    hours = _parsed(expression, zone.key)
    local = at.astimezone(zone)
    if hours.is_unknown(local):
        return OpeningStatus(open_now=None)
    if hours.is_open(local):
        return OpeningStatus(open_now=True, closes_at=hours.next_change(local))
    return OpeningStatus(open_now=False, next_opening=hours.next_change(local))
