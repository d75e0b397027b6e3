"""Open now / next opening, in Europe/Paris, with French public holidays and daylight saving."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.catalogue.hours import opening_status

PARIS = ZoneInfo("Europe/Paris")
HOURS = "Mo-Fr 09:00-12:00,13:30-16:30; PH off"


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


def test_open_on_a_weekday_morning() -> None:
    status = opening_status(HOURS, paris(2026, 11, 26, 10, 0), PARIS)
    assert status.open_now is True and status.closes_at == paris(2026, 11, 26, 12, 0)


def test_lunch_break_gives_the_afternoon_opening() -> None:
    status = opening_status(HOURS, paris(2026, 11, 26, 12, 30), PARIS)
    assert status.open_now is False and status.next_opening == paris(2026, 11, 26, 13, 30)


def test_christmas_is_a_public_holiday() -> None:
    status = opening_status(HOURS, paris(2026, 12, 24, 20, 0), PARIS)
    assert status.open_now is False
    assert status.next_opening == paris(2026, 12, 28, 9, 0)  # 25th holiday, then the weekend


def test_time_given_in_utc_is_read_in_paris_time() -> None:
    # 08:30 UTC in summer is 10:30 in Paris: open
    status = opening_status(HOURS, datetime(2026, 7, 8, 8, 30, tzinfo=ZoneInfo("UTC")), PARIS)
    assert status.open_now is True


def test_next_opening_across_the_daylight_saving_change() -> None:
    status = opening_status(HOURS, paris(2026, 3, 28, 18, 0), PARIS)
    assert status.next_opening == paris(2026, 3, 30, 9, 0)
    assert status.next_opening is not None and status.next_opening.utcoffset().total_seconds() == 7200  # type: ignore[union-attr]


def test_no_hours_means_unknown() -> None:
    assert opening_status(None, paris(2026, 11, 26, 10, 0), PARIS).open_now is None
