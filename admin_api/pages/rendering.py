"""Rendering the inbox pages: Jinja2 templates of admin_api/templates/, security headers, error pages."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context

from admin_api.context import staff_context
from admin_api.pages.security import csrf_for, root, session_token
from bot.staff import Principal

HERE = Path(__file__).resolve().parent.parent
PARIS = ZoneInfo("Europe/Paris")
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
    "img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def _when(value: datetime | None, zone: ZoneInfo = PARIS) -> str:
    if value is None:
        return ""
    return value.astimezone(zone).strftime("%d/%m/%Y à %Hh%M")


env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@pass_context
def when(context: Any, value: datetime | None) -> str:
    return _when(value, context.get("zone", PARIS))


env.filters["when"] = when


def decimal(value: float | int) -> str:
    """A number as French writes it: 0,38."""
    return str(value).replace(".", ",")


env.filters["decimal"] = decimal


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    zone = staff_context(request).zone
    context.setdefault("section", "")
    html = env.get_template(template).render(base=root(request), zone=zone, **context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def page(request: Request, who: Principal, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page of a logged-in staff member: the header and every form's CSRF token need them."""
    return render(request, template, status, who=who, csrf=csrf_for(session_token(request) or ""), **context)


def error_page(request: Request, who: Principal | None, status: int, title: str, text: str) -> HTMLResponse:
    token = session_token(request) if who else None
    return render(request, "error.html", status, who=who, csrf=csrf_for(token or ""), title=title, text=text)


def not_found(request: Request, who: Principal | None) -> HTMLResponse:
    return error_page(
        request,
        who,
        404,
        "Page introuvable",
        "Cette page n'existe pas, ou elle ne concerne pas votre structure.",
    )


def forbidden(request: Request, who: Principal | None) -> HTMLResponse:
    return error_page(
        request,
        who,
        403,
        "Action refusée",
        "Le formulaire a expiré ou ne vient pas de cette page. Rechargez la page et recommencez.",
    )


def reserved(request: Request, who: Principal) -> HTMLResponse:
    return error_page(
        request, who, 403, "Action réservée", "Seuls les conseillers et conseillères peuvent faire cela."
    )


def redirect(request: Request, path: str) -> RedirectResponse:
    return RedirectResponse(root(request) + path, status_code=303, headers={"Cache-Control": "no-store"})
