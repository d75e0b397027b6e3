"""The inbox list: the views Mine / Unassigned / Urgent / All with their counts, search and filters,
unread marks and waiting-time badges, and the small JSON stamp the pages poll to refresh themselves."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from admin_api.context import staff_context
from admin_api.pages.rendering import HERE, page
from admin_api.pages.session import caller, login_redirect, now, transaction
from bot import directory, inbox, notifications
from bot.enums import Channel, HandoffStatus
from bot.inbox import Filters, View

router = APIRouter(include_in_schema=False)

VIEWS: dict[str, str] = {
    View.MINE: "Mes questions",
    View.UNASSIGNED: "Non attribuées",
    View.URGENT: "Urgentes",
    View.ALL: "Toutes",
}
EMPTY: dict[str, str] = {
    View.MINE: "Vous n'avez aucune question en cours.",
    View.UNASSIGNED: "Aucune question en attente d'un conseiller.",
    View.URGENT: "Aucune question urgente.",
    View.ALL: "Aucune question.",
}
STATUS: dict[str, str] = {
    HandoffStatus.PENDING: "En attente",
    HandoffStatus.OPEN: "En cours",
    HandoffStatus.RESOLVED: "Résolue",
}
CHANNELS: dict[str, str] = {
    Channel.WIDGET: "site web",
    Channel.TELEGRAM: "Telegram",
    Channel.WHATSAPP: "WhatsApp",
}
WAITING_CHOICES = {"4": "plus de 4 h", "24": "plus de 24 h", "72": "plus de 3 jours"}


def concern_labels(request: Request) -> dict[str, str]:
    return {name: concern.label for name, concern in staff_context(request).concerns.items()}


def waited(since: datetime | None, at: datetime) -> str:
    """'12 min', '3 h', '2 j': how long the youth has been waiting."""
    if since is None:
        return ""
    minutes = max(0, int((at - since).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} j"


PER_PAGE = 50  # questions per page of the inbox


def filters_from(request: Request) -> Filters:
    query = request.query_params
    waiting = query.get("attente", "")
    return Filters(
        text=query.get("q", "")[:200],
        partner_id=query.get("structure", "")[:80],
        status=query.get("statut", "")[:20],
        concern=query.get("sujet", "")[:40],
        commune=query.get("ville", "")[:80],
        urgent=query.get("urgent") == "1",
        waiting_hours=float(waiting) if waiting in WAITING_CHOICES else None,
        crisis_kind=query.get("danger", "")[:80],
    )


@router.get("/", response_class=HTMLResponse)
def inbox_page(request: Request, view: str = "") -> Response:
    context = staff_context(request)
    with transaction(request) as db:
        who = caller(request, db)
        if who is None:
            return login_redirect(request)
        counts = inbox.counts(db, who)
        if view not in set(View):
            view = View.MINE if counts[View.MINE] else View.UNASSIGNED
        filters = filters_from(request)
        at = now(request)
        number = page_number(request)
        rows = inbox.rows(db, who, View(view), filters, at, PER_PAGE + 1, (number - 1) * PER_PAGE)
        more, rows = len(rows) > PER_PAGE, rows[:PER_PAGE]
        names = directory.partner_names(db)
        holders = directory.staff_names(db, [r.handoff.claimed_by for r in rows if r.handoff.claimed_by])
        stamp = inbox.version(db, who)
    late_after = timedelta(hours=context.remind_after_hours)
    return page(
        request,
        who,
        "inbox.html",
        section="inbox",
        views=[(key, label, counts[View(key)]) for key, label in VIEWS.items()],
        current=view,
        view_label=VIEWS[view],
        empty=EMPTY[view],
        rows=rows,
        partners=names,
        holders=holders,
        concerns=concern_labels(request),
        crisis_labels=context.crisis_labels,
        statuses=STATUS,
        waiting_choices=WAITING_CHOICES,
        filters=filters,
        filtered=filters != Filters(),
        waited=lambda since: waited(since, at),
        late=lambda since: since is not None and at - since > late_after,
        show_partner=not who.of_one_partner,
        transferred=request.query_params.get("transmise", "")[:10],
        version=stamp,
        poll_ms=context.poll_ms,
        page_number=number,
        previous_page=page_link(request, number - 1) if number > 1 else None,
        next_page=page_link(request, number + 1) if more else None,
    )


def page_number(request: Request) -> int:
    value = request.query_params.get("page", "1")
    return min(int(value), 10_000) if value.isdigit() and len(value) < 6 and int(value) >= 1 else 1


def page_link(request: Request, number: int) -> str:
    """This page of the inbox with its view and filters, at page `number`."""
    url = request.url.include_query_params(page=number)
    return f"{url.path}?{url.query}"


@router.get("/updates")
def updates(request: Request) -> Response:
    """What the pages poll: a stamp that moves when the inbox changes, and the counts of the views."""
    with transaction(request) as db:
        who = caller(request, db)
        if who is None:
            return JSONResponse({"error": "login"}, status_code=401, headers={"Cache-Control": "no-store"})
        counts = inbox.counts(db, who)
        body = {
            "version": inbox.version(db, who),
            "counts": {str(k): v for k, v in counts.items()},
            "notify": notifications.settings_of(db, who.staff_id),
        }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.get("/static/inbox.js")
def script() -> FileResponse:
    return FileResponse(
        HERE / "static" / "inbox.js", media_type="text/javascript", headers={"Cache-Control": "max-age=300"}
    )
