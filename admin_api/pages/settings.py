"""Réglages: which e-mails a staff member wants about questions (their own choice)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from admin_api.pages.forms import Text
from admin_api.pages.rendering import page, redirect
from admin_api.pages.session import caller, login_redirect, now, poster, transaction
from bot import notifications
from bot.audit import audit

router = APIRouter(include_in_schema=False)
LABELS = {
    "notify_new": "une nouvelle question arrive pour ma structure",
    "notify_urgent": "une question urgente arrive (un jeune en danger)",
    "notify_again": "un jeune réécrit après une réponse",
    "notify_overdue": "une question attend depuis trop longtemps",
}


@router.get("/reglages", response_class=HTMLResponse)
def settings_page(request: Request, done: str | None = None) -> Response:
    with transaction(request) as db:
        who = caller(request, db)
        if who is None:
            return login_redirect(request)
        current = notifications.settings_of(db, who.staff_id)
    return page(
        request, who, "settings.html", section="settings", labels=LABELS, current=current, saved=done == "1"
    )


@router.post("/reglages")
def save_settings(
    request: Request,
    csrf: Text = None,
    notify_new: Text = None,
    notify_urgent: Text = None,
    notify_again: Text = None,
    notify_overdue: Text = None,
) -> Response:
    with transaction(request) as db:
        who = poster(request, db, csrf)
        if isinstance(who, Response):
            return who
        before = notifications.settings_of(db, who.staff_id)
        wanted = {
            "notify_new": notify_new == "1",
            "notify_urgent": notify_urgent == "1",
            "notify_again": notify_again == "1",
            "notify_overdue": notify_overdue == "1",
        }
        after = notifications.change(db, who.staff_id, wanted)
        audit(db, who.staff_id, "notifications", "staff", who.staff_id, before, after, now(request))
    return redirect(request, "/reglages?done=1")
