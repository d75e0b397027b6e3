"""The coordinators' statistics as JSON or CSV: aggregates only, cells under 5 youths suppressed."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from admin_api.deps import DB, Now, Reader
from admin_api.stats_params import group_by_of, stats_filters
from bot import stats as statistics

router = APIRouter(tags=["stats"])
Short = Annotated[str | None, Query(max_length=100)]


@router.get(
    "/stats",
    responses={
        200: {"content": {"text/csv": {}}, "description": "the report (JSON, or CSV with format=csv)"}
    },
)
def stats(
    caller: Reader,
    db: DB,
    at: Now,
    start: date | None = None,
    end: date | None = None,
    group_by: Literal["day", "week", "month"] = "week",
    channel: Short = None,
    source: Short = None,
    commune: Short = None,
    partner_id: Short = None,
    format: Literal["json", "csv"] = "json",
) -> Any:
    """Conversations and new youths per period and channel, concerns, towns and priority neighbourhoods,
    campaign sources, crisis kinds, youths sent to each partner and how many met "complet", questions and
    their response times by partner. No text, no identifier; `null` (or `<5` in CSV, with the note
    "moins de 5 jeunes") marks a cell of 1 to 4 youths (0 is 0); a time (`*_minutes`) is `null` when
    fewer than 5 questions back it (CSV: an empty cell, note "moins de 5 questions"). Period:
    `start`..`end` (included; the last 28 days by default)."""
    filters = stats_filters(at, start, end, channel, source, commune, partner_id)
    report = statistics.report(db, filters, group_by_of(group_by))
    if format == "csv":
        name = f"sixtcap-stats-{filters.start}-{filters.end}.csv"
        return Response(
            statistics.as_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return report
