"""The coordinators' dashboard at /admin/stats: filters, charts drawn as SVG, tables, a CSV export and a
page that prints as the funder's report. Aggregates only (bot/stats.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from admin_api.context import staff_context
from admin_api.pages import charts
from admin_api.pages.inbox import CHANNELS, concern_labels
from admin_api.pages.rendering import error_page, page
from admin_api.pages.session import caller, login_redirect, now, transaction
from admin_api.stats_params import group_by_of, stats_filters
from bot import directory
from bot import stats as statistics
from bot.campaigns import labels as campaign_labels
from bot.enums import READERS
from bot.staff import Principal

router = APIRouter(include_in_schema=False)
GROUPS = {"day": "jour", "week": "semaine", "month": "mois"}
CRISIS_LABEL = "sans nom"


def day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def ranking(rows: list[dict[str, Any]], labels: dict[str, str]) -> list[tuple[str, int | None]]:
    return [(labels.get(r["value"], r["value"] or CRISIS_LABEL), r["youths"]) for r in rows[:12]]


def filters_of(request: Request) -> statistics.StatsFilters:
    query = request.query_params
    return stats_filters(
        now(request),
        day(query.get("debut")),
        day(query.get("fin")),
        query.get("canal"),
        query.get("source"),
        query.get("ville"),
        query.get("structure"),
    )


def refused(request: Request, who: Principal) -> Response:
    return error_page(
        request, who, 403, "Accès réservé", "Les statistiques sont réservées à la coordination."
    )


def reader(request: Request, db: Session) -> Principal | Response:
    """The coordinator or admin reading the statistics, or the page to answer instead (log in, refused)."""
    who = caller(request, db)
    if who is None:
        return login_redirect(request)
    if who.role not in READERS:
        return refused(request, who)
    return who


@router.get("/stats.csv")
def stats_csv(request: Request) -> Response:
    """The same report as the page, as CSV (cells under 5 youths: "<5")."""
    filters = filters_of(request)
    with transaction(request) as db:
        who = reader(request, db)
        if isinstance(who, Response):
            return who
        report = statistics.report(db, filters, group_by_of(request.query_params.get("par")))
    name = f"sixtcap-statistiques-{filters.start}-{filters.end}.csv"
    return Response(
        statistics.as_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.get("/stats", response_class=HTMLResponse)
def stats_page(request: Request) -> Response:
    with transaction(request) as db:
        who = reader(request, db)
        if isinstance(who, Response):
            return who
        filters = filters_of(request)
        group_by = group_by_of(request.query_params.get("par"))
        report = statistics.report(db, filters, group_by)
        partners = directory.partner_names(db)
        campaigns = campaign_labels(db)
    concerns = concern_labels(request)
    periods = statistics.periods(filters, group_by)
    conversations: dict[str, dict[str, int | None]] = {}
    for row in report["series"]:
        conversations.setdefault(CHANNELS.get(row["channel"], row["channel"]), {})[row["period"]] = row[
            "conversations"
        ]
    partner_rows = [
        {**row, "name": partners.get(row["partner_id"], row["partner_id"])} for row in report["partners"]
    ]
    handoff_rows = [
        {**row, "name": partners.get(row["partner_id"], row["partner_id"])} for row in report["handoffs"]
    ]
    context = staff_context(request)
    towns = [c.name for c in context.territory.communes]
    return page(
        request,
        who,
        "stats.html",
        section="stats",
        report=report,
        filters=filters,
        group_by=group_by,
        groups=GROUPS,
        channels=CHANNELS,
        partners=partners,
        towns=towns,
        csv_query=request.url.query,
        conversations_chart=charts.columns("Conversations par période et par canal", periods, conversations),
        concerns_chart=charts.bars("Sujets", ranking(report["concerns"], concerns)),
        towns_chart=charts.bars("Villes", ranking(report["towns"], {})),
        neighbourhoods_chart=charts.bars("Quartiers prioritaires", ranking(report["neighbourhoods"], {})),
        sources_chart=charts.bars("Sources", ranking(report["sources"], campaigns)),
        crisis_chart=charts.bars("Conversations de crise par type", ranking(report["crisis"], {})),
        partner_rows=partner_rows,
        handoff_rows=handoff_rows,
    )
