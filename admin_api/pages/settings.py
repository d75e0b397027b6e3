"""Réglages: which e-mails a staff member wants about questions (their own choice); for a partner's lead,
where the partner's notifications are posted (its webhook) and the key that signs them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from admin_api.context import staff_context
from admin_api.pages.forms import Text
from admin_api.pages.rendering import error_page, page, redirect
from admin_api.pages.session import Refused, caller, login_redirect, now, poster, refused, transaction
from bot import notifications
from bot.audit import audit
from bot.catalogue.editing import WebhookRefused, set_webhook
from bot.models import Partner
from bot.staff import Principal
from bot.webhook_signing import HEADER, partner_secret

router = APIRouter(include_in_schema=False)
LABELS = {
    "notify_new": "une nouvelle question arrive pour ma structure",
    "notify_urgent": "une question urgente arrive (un jeune en danger)",
    "notify_again": "un jeune réécrit après une réponse",
    "notify_overdue": "une question attend depuis trop longtemps",
}


def settings_of(
    request: Request, db: Session, who: Principal, status: int = 200, saved: str | None = None, **form: Any
) -> HTMLResponse:
    """The page, with the partner's webhook for its lead (`form`: a refused URL and why)."""
    partner = (
        db.get(Partner, who.partner_id) if who.partner_id and who.manages_partner(who.partner_id) else None
    )
    webhook = None
    if partner is not None:
        secret = partner_secret(staff_context(request).secret_key, partner.id)
        webhook = {
            "partner": partner.nom,
            "url": partner.notify_webhook_url or "",
            "secret": secret,
            "header": HEADER,
        }
    return page(
        request,
        who,
        "settings.html",
        status,
        section="settings",
        labels=LABELS,
        current=notifications.settings_of(db, who.staff_id),
        saved=SAVED.get(saved or ""),
        webhook=webhook,
        **form,
    )


SAVED = {"1": "Réglages enregistrés.", "webhook": "Adresse de notification enregistrée."}
LEAD_ONLY = "Seul ou seule la responsable de la structure choisit où vont ses notifications."


@router.get("/reglages", response_class=HTMLResponse)
def settings_page(request: Request, done: str | None = None) -> Response:
    with transaction(request) as db:
        who = caller(request, db)
        if who is None:
            return login_redirect(request)
        return settings_of(request, db, who, saved=done)


@router.post("/reglages/webhook")
def save_webhook(request: Request, csrf: Text = None, url: Text = None) -> Response:
    """The lead sets (or, empty, removes) where the partner's notifications are posted."""
    typed = (url or "").strip()
    try:
        with transaction(request) as db:
            who = poster(request, db, csrf)
            if isinstance(who, Response):
                return who
            partner = db.get(Partner, who.partner_id or "")
            if partner is None or not who.manages_partner(partner.id):
                return error_page(request, who, 403, "Action réservée", LEAD_ONLY)
            before, at = partner.notify_webhook_url, now(request)
            try:
                set_webhook(db, partner.id, typed or None, at)
            except WebhookRefused:
                problem = "Donnez une adresse https:// sans espace, de 100 caractères au plus."

                def again(db: Session) -> Response:
                    return settings_of(request, db, who, 422, webhook_error=problem, webhook_typed=typed)

                raise Refused(again) from None
            audit(
                db,
                who.staff_id,
                "set_webhook",
                "partner",
                partner.id,
                {"url": before},
                {"url": typed or None},
                at,
            )
    except Refused as refusal:
        return refused(request, refusal)
    return redirect(request, "/reglages?done=webhook")


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
