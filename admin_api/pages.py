"""The advisers' inbox at /admin/: server-rendered pages (French, no JavaScript) over the same services as
the JSON API (bot.handoffs, bot.staff, bot.audit, the capacity route).

The session is the bearer token in the cookie `sixtcap_staff` (HttpOnly, SameSite=Strict, Path=/admin).
Every form posts a hidden CSRF token, an HMAC of that session token, checked in constant time; the login
form, before any session, uses the same HMAC of a random value kept in the cookie `sixtcap_login`."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_api.context import staff_context
from admin_api.routes.catalogue import CapacityIn
from bot import handoffs
from bot.db import session_factory
from bot.handoffs import HandoffError
from bot.models import Handoff, Message, Partner, Staff, Youth
from bot.places import PlacesError, services_for, update_places
from bot.staff import SESSION_LIFETIME, Principal, check_password, issue_token, principal_for, revoke

HERE = Path(__file__).resolve().parent
COOKIE = "sixtcap_staff"
LOGIN_COOKIE = "sixtcap_login"
PARIS = ZoneInfo("Europe/Paris")
WRITERS = ("adviser", "admin")  # who may act on handoffs and places (as the JSON API's `Adviser`)
TABS = (("pending", "En attente"), ("open", "En cours"), ("resolved", "Résolues"))
STATUS = {"pending": "En attente", "open": "En cours", "resolved": "Résolue"}
CHANNELS = {"widget": "site web", "telegram": "Telegram", "whatsapp": "WhatsApp"}
DONE = {
    "claim": "Vous avez pris en charge cette question.",
    "reply": "Réponse envoyée au jeune.",
    "resolve": "Question marquée comme résolue.",
}
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

router = APIRouter(include_in_schema=False)
Text = Annotated[str | None, Form(max_length=5000)]


# -- rendering ------------------------------------------------------------------------------------------


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


def root(request: Request) -> str:
    """Where the admin app is mounted ("/admin")."""
    return str(request.scope.get("root_path", "")).rstrip("/")


@pass_context
def when(context: Any, value: datetime | None) -> str:
    return _when(value, context.get("zone", PARIS))


env.filters["when"] = when


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


# -- sessions and CSRF ----------------------------------------------------------------------------------


def csrf_for(secret: str) -> str:
    return hmac.new(secret.encode(), b"csrf", hashlib.sha256).hexdigest()


def csrf_ok(secret: str | None, sent: str | None) -> bool:
    if not secret or not sent:
        return False
    return hmac.compare_digest(csrf_for(secret).encode(), sent.encode("utf-8", "replace"))


def session_token(request: Request) -> str | None:
    return request.cookies.get(COOKIE) or None


def now(request: Request) -> datetime:
    return staff_context(request).clock()


@contextmanager
def transaction(request: Request) -> Iterator[Session]:
    """Committed at the end of the block, before the page or redirect is sent (so the next GET sees it)."""
    with session_factory(staff_context(request).engine)() as db, db.begin():
        yield db


def caller(request: Request, db: Session) -> Principal | None:
    token = session_token(request)
    return principal_for(db, token, now(request)) if token else None


def poster(request: Request, db: Session, csrf: str | None) -> Principal | Response:
    """The staff member behind a form post, or the page to answer instead (log in, forbidden)."""
    who = caller(request, db)
    if who is None:
        return login_redirect(request)
    if not csrf_ok(session_token(request), csrf):
        return forbidden(request, who)
    return who


def login_redirect(request: Request) -> RedirectResponse:
    """To the login form, coming back here afterwards (the notification e-mails link to a handoff)."""
    back = request.url.path
    if request.url.query:
        back += "?" + request.url.query
    target = f"{root(request)}/login"
    if safe_next(request, back) and back.rstrip("/") != root(request):
        target += "?next=" + quote(back, safe="/")
    response = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
    if session_token(request):  # expired or revoked: forget it
        response.delete_cookie(COOKIE, path=root(request) or "/admin")
    return response


def safe_next(request: Request, target: str | None) -> str | None:
    """A path inside the admin app, never another site (no open redirect)."""
    base = root(request)
    if not target or not re.fullmatch(r"/[A-Za-z0-9/_\-.?=&%]*", target) or "//" in target:
        return None
    if not target.startswith(base + "/") or target.startswith(f"{base}/login"):
        return None
    return target


# -- logging in and out ---------------------------------------------------------------------------------


def login_form(
    request: Request, status: int = 200, error: str | None = None, email: str = "", next_: str | None = None
) -> HTMLResponse:
    nonce = request.cookies.get(LOGIN_COOKIE)
    if not nonce or len(nonce) > 100:
        nonce = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        status,
        who=None,
        csrf=csrf_for(nonce),
        error=error,
        email=email,
        next=safe_next(request, next_) or "",
    )
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=3600,
        path=root(request) or "/admin",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    with transaction(request) as db:
        if caller(request, db) is not None:
            return redirect(request, "/")
    return login_form(request, next_=next)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    email: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    csrf: Text = None,
    next: Text = None,
) -> Response:
    if not csrf_ok(request.cookies.get(LOGIN_COOKIE), csrf):
        return login_form(request, 403, "Le formulaire a expiré : recommencez.", email, next)
    with transaction(request) as db:
        staff = check_password(db, email, password) if email and password else None
        if staff is None:
            return login_form(request, 401, "E-mail ou mot de passe incorrect.", email, next)
        token = issue_token(db, staff, now(request))
    response = RedirectResponse(
        safe_next(request, next) or root(request) + "/",
        status_code=303,
        headers={"Cache-Control": "no-store"},
    )
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path=root(request) or "/admin",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(LOGIN_COOKIE, path=root(request) or "/admin")
    return response


@router.post("/logout")
def logout(request: Request, csrf: Text = None) -> Response:
    token = session_token(request)
    with transaction(request) as db:
        who = caller(request, db)
        if who is None or token is None:
            return login_redirect(request)
        if not csrf_ok(token, csrf):
            return forbidden(request, who)
        revoke(db, token, now(request))
    response = redirect(request, "/login")
    response.delete_cookie(COOKIE, path=root(request) or "/admin")
    return response


@router.get("/static/inbox.css")
def stylesheet() -> FileResponse:
    return FileResponse(
        HERE / "static" / "inbox.css", media_type="text/css", headers={"Cache-Control": "max-age=300"}
    )


# -- the inbox ------------------------------------------------------------------------------------------


def partner_names(db: Session) -> dict[str, str]:
    return dict(db.execute(select(Partner.id, Partner.nom)).tuples().all())


def concern_labels(request: Request) -> dict[str, str]:
    return {name: concern.label for name, concern in staff_context(request).concerns.items()}


@router.get("/", response_class=HTMLResponse)
def inbox(request: Request, status: str = "pending") -> Response:
    if status not in STATUS:
        status = "pending"
    with transaction(request) as db:
        who = caller(request, db)
        if who is None:
            return login_redirect(request)
        rows = handoffs.list_handoffs(db, who, status)
        counts = handoffs.counts(db, who)
        names = partner_names(db)
    return page(
        request,
        who,
        "inbox.html",
        section="inbox",
        tabs=[(key, label, counts.get(key, 0)) for key, label in TABS],
        current=status,
        status_label=dict(TABS)[status],
        handoffs=rows,
        partners=names,
        concerns=concern_labels(request),
        show_partner=who.role != "adviser",
    )


def author(message: Message, staff_names: dict[int, str]) -> str:
    if message.direction == "in":
        return "Le jeune"
    if message.staff_id:
        return staff_names.get(message.staff_id, "Conseiller ou conseillère")
    return "sixtcap"


def handoff_page(
    request: Request,
    db: Session,
    who: Principal,
    handoff: Handoff,
    status: int = 200,
    error: str | None = None,
    done: str | None = None,
    draft: str = "",
) -> HTMLResponse:
    messages = [m for m in handoffs.thread(db, handoff) if m.text]
    people = {m.staff_id for m in messages if m.staff_id}
    if handoff.claimed_by:
        people.add(handoff.claimed_by)
    staff_names = dict(db.execute(select(Staff.id, Staff.name).where(Staff.id.in_(people))).tuples().all())
    youth = db.get(Youth, handoff.youth_id)
    partner = db.get(Partner, handoff.partner_id)
    conversation = [
        {"who": author(m, staff_names), "side": m.direction, "staff": bool(m.staff_id), "m": m}
        for m in messages
    ]
    return page(
        request,
        who,
        "handoff.html",
        status,
        section="inbox",
        h=handoff,
        status_label=STATUS.get(handoff.status, handoff.status),
        partner=partner.nom if partner else handoff.partner_id,
        concern=concern_labels(request).get(handoff.concern or "", handoff.concern or ""),
        channel=CHANNELS.get(youth.channel, youth.channel) if youth else "",
        claimed_by=staff_names.get(handoff.claimed_by or 0),
        conversation=conversation,
        can_act=who.role in WRITERS,
        error=error,
        done=DONE.get(done or ""),
        draft=draft,
    )


@router.get("/handoffs/{handoff_id}", response_class=HTMLResponse)
def handoff_detail(request: Request, handoff_id: int, done: str | None = None) -> Response:
    with transaction(request) as db:
        who = caller(request, db)
        if who is None:
            return login_redirect(request)
        try:
            handoff = handoffs.get(db, who, handoff_id)
        except HandoffError:
            return not_found(request, who)
        return handoff_page(request, db, who, handoff, done=done)


PROBLEMS = {  # by HandoffError.code
    "already_resolved": "Cette question est déjà résolue.",
    "claimed_by_another": "Un autre conseiller ou une autre conseillère s'en occupe déjà.",
    "resolved_no_reply": "Cette question est résolue : on ne peut plus y répondre.",
    "empty_reply": "Écrivez une réponse avant d'envoyer.",
    "reply_too_long": "La réponse dépasse 2\u00a0000 caractères.",
}


def in_french(error: HandoffError) -> str:
    return PROBLEMS.get(error.code, "Action impossible.")


class Refused(Exception):
    """An action that could not be done: the transaction rolls back, then `show` renders the page to send
    instead (in a new transaction)."""

    def __init__(self, show: Callable[[Session], Response]) -> None:
        self.show = show


def refused(request: Request, refusal: Refused) -> Response:
    with transaction(request) as db:
        return refusal.show(db)


def act(
    request: Request, handoff_id: int, csrf: str | None, action: str, text: str | None = None
) -> Response:
    """claim, reply or resolve, as the JSON API does it (same services, same audit entries)."""
    state = staff_context(request)
    try:
        with transaction(request) as db:
            who = poster(request, db, csrf)
            if isinstance(who, Response):
                return who
            try:
                handoffs.get(db, who, handoff_id)  # another partner's handoff does not exist for them
            except HandoffError:
                return not_found(request, who)
            if who.role not in WRITERS:
                return reserved(request, who)
            at = now(request)
            try:
                if action == "reply" and text is not None and len(text.strip()) > 2000:
                    raise HandoffError("reply_too_long", "the reply is too long")
                changes = {
                    "claim": lambda: handoffs.claim(db, who, handoff_id, at),
                    "reply": lambda: handoffs.reply(
                        db, who, handoff_id, text or "", at, state.texts, state.renderers
                    ),
                    "resolve": lambda: handoffs.resolve(db, who, handoff_id, at),
                }
                handoffs.perform(db, who, handoff_id, action, at, changes[action])
            except HandoffError as error:
                problem = in_french(error)
                code = {"not_found": 404, "conflict": 409}.get(error.kind, 422)

                def again(db: Session) -> Response:
                    return handoff_page(
                        request,
                        db,
                        who,
                        handoffs.get(db, who, handoff_id),
                        code,
                        error=problem,
                        draft=text or "",
                    )

                raise Refused(again) from None
    except Refused as refusal:
        return refused(request, refusal)
    if action == "reply":
        state.wake_sender()  # after the commit: the sender finds the message in the outbox
    return redirect(request, f"/handoffs/{handoff_id}?done={action}")


@router.post("/handoffs/{handoff_id}/claim")
def claim(request: Request, handoff_id: int, csrf: Text = None) -> Response:
    return act(request, handoff_id, csrf, "claim")


@router.post("/handoffs/{handoff_id}/reply")
def reply(request: Request, handoff_id: int, csrf: Text = None, text: Text = None) -> Response:
    return act(request, handoff_id, csrf, "reply", text)


@router.post("/handoffs/{handoff_id}/resolve")
def resolve(request: Request, handoff_id: int, csrf: Text = None) -> Response:
    return act(request, handoff_id, csrf, "resolve")


# -- places available -----------------------------------------------------------------------------------


def places_page(
    request: Request,
    db: Session,
    who: Principal,
    status: int = 200,
    saved: str | None = None,
    error: tuple[str, str] | None = None,
) -> HTMLResponse:
    services = services_for(db, who)
    return page(
        request,
        who,
        "places.html",
        status,
        section="places",
        services=services,
        partners=partner_names(db),
        show_partner=who.role != "adviser",
        saved=saved,
        error=error,
    )


@router.get("/places", response_class=HTMLResponse)
def places(request: Request, saved: str | None = None) -> Response:
    with transaction(request) as db:
        who = caller(request, db)
        if who is None:
            return login_redirect(request)
        if who.role not in WRITERS:
            return error_page(
                request, who, 403, "Page réservée", "Les places sont mises à jour par les conseillers."
            )
        return places_page(request, db, who, saved=saved)


PLACES_PROBLEMS = {"over_total": "Les places disponibles ne peuvent pas dépasser le nombre total de places."}


def whole(value: str | None) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not re.fullmatch(r"[0-9]{1,6}", value):
        raise ValueError(value)
    return int(value)


@router.post("/places/{service_id}")
def save_places(
    request: Request,
    service_id: str,
    csrf: Text = None,
    places_available: Text = None,
    places_total: Text = None,
) -> Response:
    try:
        with transaction(request) as db:
            who = poster(request, db, csrf)
            if isinstance(who, Response):
                return who
            if who.role not in WRITERS:
                return reserved(request, who)
            problem: str | None = None
            try:
                body = CapacityIn.model_validate(
                    {"places_available": whole(places_available), "places_total": whole(places_total)}
                )
            except (ValueError, ValidationError):
                problem = "Indiquez des nombres entiers entre 0 et 100\u00a0000."
            else:
                try:
                    update_places(db, who, service_id, body.places_available, body.places_total, now(request))
                except PlacesError as error:
                    if error.code == "not_found":
                        return not_found(request, who)
                    problem = PLACES_PROBLEMS[error.code]
            if problem:
                raise Refused(lambda db: places_page(request, db, who, 422, error=(service_id, problem)))
    except Refused as refusal:
        return refused(request, refusal)
    return redirect(request, f"/places?saved={quote(service_id)}#service-{quote(service_id)}")
