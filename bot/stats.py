"""The coordinators' statistics: aggregates only, from the anonymous tallies (bot/tallies.py), the daily
message counters and the questions' times. Any cell counting fewer than `SMALL` youths is suppressed
(None), so that no youth can be singled out; nothing here carries a text or an identifier."""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import tallies
from bot.enums import HandoffStatus
from bot.models import DailyCount, DailyTally, Handoff, Youth

SMALL = 5  # cells under this many youths are not shown
GroupBy = Literal["day", "week", "month"]


@dataclass(frozen=True)
class StatsFilters:
    start: date
    end: date  # included
    channel: str = ""
    source: str = ""
    commune: str = ""
    partner_id: str = ""


def shown(count: int | None) -> int | None:
    """The count, or None when it is too small to be shown (1 to SMALL - 1: a real zero is shown)."""
    return count if count is not None and (count == 0 or count >= SMALL) else None


def period_of(day: date, group_by: GroupBy) -> str:
    if group_by == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-S{week:02d}"
    if group_by == "month":
        return f"{day.year}-{day.month:02d}"
    return day.isoformat()


def periods(filters: StatsFilters, group_by: GroupBy) -> list[str]:
    found: list[str] = []
    day = filters.start
    while day <= filters.end and len(found) < 400:
        label = period_of(day, group_by)
        if label not in found:
            found.append(label)
        day += timedelta(days=1)
    return found


def _tallies(
    session: Session, filters: StatsFilters, metrics: Iterable[str]
) -> list[tuple[date, str, str, str, int]]:
    query = select(
        DailyTally.day, DailyTally.channel, DailyTally.metric, DailyTally.value, DailyTally.count
    ).where(
        DailyTally.day >= filters.start, DailyTally.day <= filters.end, DailyTally.metric.in_(list(metrics))
    )
    if filters.channel:
        query = query.where(DailyTally.channel == filters.channel)
    if filters.source:
        query = query.where(DailyTally.source == filters.source)
    if filters.commune:
        query = query.where(DailyTally.commune == filters.commune)
    return [tuple(row) for row in session.execute(query).all()]  # type: ignore[misc]


def _by_value(rows: list[tuple[date, str, str, str, int]], metric: str) -> list[dict[str, Any]]:
    totals: dict[str, int] = defaultdict(int)
    for _, _, m, value, count in rows:
        if m == metric:
            totals[value] += count
    ordered = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return [{"value": value, "youths": shown(count)} for value, count in ordered]


def _minutes(deltas: list[timedelta]) -> list[float]:
    return sorted(d.total_seconds() / 60 for d in deltas)


def _percentile(values: list[float], share: float) -> float | None:
    if len(values) < SMALL:
        return None
    return round(values[min(len(values) - 1, math.ceil(share * len(values)) - 1)], 1)


def handoff_times(session: Session, filters: StatsFilters) -> list[dict[str, Any]]:
    """Per partner: questions, first response median and p90, resolution median (minutes); times only
    when at least SMALL questions back them (None otherwise: never a count of minutes)."""
    start = datetime.combine(filters.start, time.min, UTC)
    end = datetime.combine(filters.end + timedelta(days=1), time.min, UTC)
    query = select(Handoff).where(Handoff.created_at >= start, Handoff.created_at < end)
    if filters.partner_id:
        query = query.where(Handoff.partner_id == filters.partner_id)
    if filters.channel:
        query = query.join(Youth, Youth.id == Handoff.youth_id).where(Youth.channel == filters.channel)
    grouped: dict[str, list[Handoff]] = defaultdict(list)
    for handoff in session.scalars(query):
        grouped[handoff.partner_id].append(handoff)
    result = []
    for partner_id, found in sorted(grouped.items()):
        first = _minutes([h.first_response_at - h.created_at for h in found if h.first_response_at])
        resolved = _minutes(
            [
                h.resolved_at - h.created_at
                for h in found
                if h.resolved_at and h.status == HandoffStatus.RESOLVED
            ]
        )
        result.append(
            {
                "partner_id": partner_id,
                "questions": shown(len(found)),
                "first_response_median_minutes": round(statistics.median(first), 1)
                if len(first) >= SMALL
                else None,
                "first_response_p90_minutes": _percentile(first, 0.9),
                "resolution_median_minutes": round(statistics.median(resolved), 1)
                if len(resolved) >= SMALL
                else None,
            }
        )
    return result


def report(session: Session, filters: StatsFilters, group_by: GroupBy = "week") -> dict[str, Any]:
    """Everything the dashboard and /admin/api/stats show, for a period and filters."""
    rows = _tallies(session, filters, tallies.METRICS)
    series: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"active": 0, "new": 0})
    for day, channel, metric, _, count in rows:
        if metric in (tallies.ACTIVE, tallies.NEW):
            series[(period_of(day, group_by), channel)][metric] += count
    partner_rows = [r for r in rows if not filters.partner_id or r[3] == filters.partner_id]
    partners: dict[str, dict[str, int]] = defaultdict(
        lambda: {"shown": 0, "full": 0, "handoff": 0, "again": 0}
    )
    for _, _, metric, value, count in partner_rows:
        if metric in (tallies.SHOWN, tallies.FULL, tallies.HANDOFF, tallies.AGAIN):
            partners[value][metric] += count
    messages = select(DailyCount.channel, func.sum(DailyCount.count)).where(
        DailyCount.day >= filters.start, DailyCount.day <= filters.end
    )
    if filters.channel:
        messages = messages.where(DailyCount.channel == filters.channel)
    total_active = sum(r[4] for r in rows if r[2] == tallies.ACTIVE)
    concerns = sum(r[4] for r in rows if r[2] == tallies.CONCERN)
    return {
        "period": {"start": filters.start.isoformat(), "end": filters.end.isoformat(), "group_by": group_by},
        "filters": {k: v for k, v in vars(filters).items() if k not in ("start", "end") and v},
        "suppressed_below": SMALL,
        "totals": {
            "conversations": shown(total_active),
            "new_youths": shown(sum(r[4] for r in rows if r[2] == tallies.NEW)),
            "concerns_per_conversation": round(concerns / total_active, 2) if total_active >= SMALL else None,
            "messages_in": shown(
                int(
                    sum(
                        total or 0
                        for _, total in session.execute(messages.group_by(DailyCount.channel)).all()
                    )
                )
            ),
            "follow_up_answers": shown(sum(r[4] for r in partner_rows if r[2] == tallies.AGAIN)),
            "orientations": shown(sum(r[4] for r in partner_rows if r[2] == tallies.SHOWN)),
            "questions": shown(sum(r[4] for r in partner_rows if r[2] == tallies.HANDOFF)),
            "crisis_conversations": shown(sum(r[4] for r in rows if r[2] == tallies.CRISIS)),
        },
        "series": [
            {
                "period": period,
                "channel": channel,
                "conversations": shown(c["active"]),
                "new_youths": shown(c["new"]),
            }
            for (period, channel), c in sorted(series.items())
        ],
        "concerns": _by_value(rows, tallies.CONCERN),
        "towns": _by_value(rows, tallies.TOWN),
        "neighbourhoods": _by_value(rows, tallies.QUARTIER),
        "sources": _sources(session, filters),
        "crisis": _by_value(rows, tallies.CRISIS),
        "offer_follow_ups": _by_value(rows, tallies.FOLLOW_UP),  # offered, accepted, sent, found, stop...
        "partners": [
            {
                "partner_id": pid,
                "youths_shown": shown(c["shown"]),
                "youths_met_full": shown(c["full"]),
                "questions": shown(c["handoff"]),
                "follow_up_answers": shown(c["again"]),
            }
            for pid, c in sorted(partners.items())
        ],
        "handoffs": handoff_times(session, filters),
    }


def _sources(session: Session, filters: StatsFilters) -> list[dict[str, Any]]:
    query = select(DailyTally.source, func.sum(DailyTally.count)).where(
        DailyTally.day >= filters.start, DailyTally.day <= filters.end, DailyTally.metric == tallies.NEW
    )
    if filters.channel:
        query = query.where(DailyTally.channel == filters.channel)
    if filters.commune:
        query = query.where(DailyTally.commune == filters.commune)
    totals = session.execute(query.group_by(DailyTally.source)).all()
    ordered = sorted(
        ((source or "(aucune)", int(count)) for source, count in totals), key=lambda item: -item[1]
    )
    return [{"value": value, "youths": shown(count)} for value, count in ordered]


HIDDEN_COUNT = f"moins de {SMALL} jeunes"
HIDDEN_TIME = f"moins de {SMALL} questions"


def as_csv(data: dict[str, Any]) -> str:
    """The report flattened: section, period, channel, key, measure, value, note. A count of 1 to 4
    youths is "<5" (note: "moins de 5 jeunes"); a time backed by fewer than 5 questions is an empty
    cell (note: "moins de 5 questions"), never "<5" in a column of minutes."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "period", "channel", "key", "measure", "value", "note"])
    for name, value in data["totals"].items():
        writer.writerow(["totals", "", "", "", name, *_cell(value, name)])
    for row in data["series"]:
        for measure in ("conversations", "new_youths"):
            writer.writerow(["series", row["period"], row["channel"], "", measure, *_cell(row[measure])])
    for section in ("concerns", "towns", "neighbourhoods", "sources", "crisis"):
        for row in data[section]:
            writer.writerow([section, "", "", row["value"], "youths", *_cell(row["youths"])])
    for section in ("partners", "handoffs"):
        for row in data[section]:
            for measure, value in row.items():
                if measure != "partner_id":
                    writer.writerow([section, "", "", row["partner_id"], measure, *_cell(value, measure)])
    return out.getvalue()


def _cell(value: Any, measure: str = "") -> tuple[str, str]:
    """(value, note) of one cell."""
    if value is not None:
        return str(value), ""
    if measure.endswith("_minutes"):
        return "", HIDDEN_TIME
    if measure == "concerns_per_conversation":
        return "", HIDDEN_COUNT
    return f"<{SMALL}", HIDDEN_COUNT
