"""The staff member behind a page or a form, and one transaction per page (committed before it is sent)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from admin_api.context import staff_context
from admin_api.pages.rendering import forbidden
from admin_api.pages.security import COOKIE, csrf_ok, root, safe_next, session_token
from bot.db import session_factory
from bot.staff import Principal, principal_for


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


class Refused(Exception):
    """An action that could not be done: the transaction rolls back, then `show` renders the page to send
    instead (in a new transaction)."""

    def __init__(self, show: Callable[[Session], Response]) -> None:
        self.show = show


def refused(request: Request, refusal: Refused) -> Response:
    with transaction(request) as db:
        return refusal.show(db)
