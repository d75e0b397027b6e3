"""The coordinators' dashboard at /admin/stats: filters, charts drawn as SVG, tables, a CSV export and a
page that prints as the funder's report. Aggregates only (bot/stats.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta
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


def ranking(rows: list[dict[str, Any]], labels: Mapping[str, str]) -> list[tuple[str, int | None]]:
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
    """The same report as the page, as CSV (1 to 4 youths: "<5"; a time from fewer than 5 questions:
    an empty cell and the note "moins de 5 questions")."""
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


def with_names(rows: list[dict[str, Any]], partners: dict[str, str]) -> list[dict[str, Any]]:
    return [{**row, "name": partners.get(row["partner_id"], row["partner_id"])} for row in rows]


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
        crisis_chart=charts.bars(
            "Conversations de crise par type", ranking(report["crisis"], staff_context(request).crisis_labels)
        ),
        partner_rows=with_names(report["partners"], partners),
        handoff_rows=with_names(report["handoffs"], partners),
    )


def change(now: int | None, before: int | None) -> str:
    """'+12 %' against the previous period, or '' when either count is hidden or nothing to compare."""
    if now is None or before is None or before == 0:
        return ""
    percent = round(100 * (now - before) / before)
    return f"{percent:+d}\u00a0%".replace("-", "\u2212")


@router.get("/stats/rapport", response_class=HTMLResponse)
def funder_report(request: Request) -> Response:
    """The report a funder asks for, for a period (and the dashboard's filters): key figures against the
    previous period of the same length, who was reached, their needs, where they were sent, the advisers'
    questions and response times, crises, and how it is counted. Made to be printed or saved as PDF."""
    with transaction(request) as db:
        who = reader(request, db)
        if isinstance(who, Response):
            return who
        filters = filters_of(request)
        length = filters.end - filters.start + timedelta(days=1)
        earlier = replace(filters, start=filters.start - length, end=filters.start - timedelta(days=1))
        report = statistics.report(db, filters, "month")
        before = statistics.report(db, earlier, "month")
        partners = directory.partner_names(db)
    now, then = report["totals"], before["totals"]
    figures = [
        ("Jeunes accueillis pour la première fois", "new_youths"),
        ("Conversations (un jeune, un jour)", "conversations"),
        ("Orientations vers un service partenaire (jeunes × structure)", "orientations"),
        ("Questions posées aux conseillers", "questions"),
        ("Jeunes revenus après la réponse d'un conseiller", "follow_up_answers"),
        ("Situations de danger repérées (une ligne d'aide d'abord)", "crisis_conversations"),
    ]
    months = {p: f"{p[5:]}/{p[:4]}" for p in statistics.periods(filters, "month")}  # 2026-11 -> 11/2026
    by_channel: dict[str, dict[str, int | None]] = {}
    for row in report["series"]:
        by_channel.setdefault(CHANNELS.get(row["channel"], row["channel"]), {})[months[row["period"]]] = row[
            "new_youths"
        ]
    return page(
        request,
        who,
        "stats_report.html",
        section="stats",
        filters=filters,
        filter_names=described(filters, partners),
        earlier=earlier,
        made_on=now_in_zone(request),
        figures=[(label, now[key], then[key], change(now[key], then[key])) for label, key in figures],
        report=report,
        crisis=[
            {"value": label, "youths": youths}
            for label, youths in ranking(report["crisis"], staff_context(request).crisis_labels)
        ],
        channels_chart=charts.columns(
            "Nouveaux jeunes par mois et par canal", list(months.values()), by_channel
        ),
        concerns_chart=charts.bars("Sujets", ranking(report["concerns"], concern_labels(request))),
        partner_rows=with_names(report["partners"], partners),
        handoff_rows=with_names(report["handoffs"], partners),
        csv_query=request.url.query,
    )


def described(filters: statistics.StatsFilters, partners: dict[str, str]) -> list[str]:
    """The filters in effect, as a funder reads them ('Canal : WhatsApp')."""
    named = [
        ("Canal", CHANNELS.get(filters.channel, filters.channel)),
        ("Ville", filters.commune),
        ("Source", filters.source),
        ("Structure", partners.get(filters.partner_id, filters.partner_id)),
    ]
    return [f"{label} : {value}" for label, value in named if value]


def now_in_zone(request: Request) -> date:
    return now(request).astimezone(staff_context(request).zone).date()
