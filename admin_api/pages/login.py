"""Logging in and out of the inbox pages (and their stylesheet)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from admin_api.context import staff_context
from admin_api.pages.forms import Text
from admin_api.pages.rendering import HERE, forbidden, redirect, render
from admin_api.pages.security import COOKIE, LOGIN_COOKIE, csrf_for, csrf_ok, root, safe_next, session_token
from admin_api.pages.session import caller, login_redirect, now, transaction
from admin_api.routes.auth import client_address
from bot.staff import SESSION_LIFETIME, log_in, revoke
from bot.throttle import Limited

router = APIRouter(include_in_schema=False)


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
    context = staff_context(request)
    try:
        context.throttle.hit("login_per_ip", client_address(request))
    except Limited as limited:
        return too_many_tries(request, limited.retry_after, email, next)
    done = log_in(context.engine, email, password, now(request), context.login_policy)
    if done.wait_seconds:
        return too_many_tries(request, done.wait_seconds, email, next)
    token = done.token
    if token is None:
        return login_form(request, 401, "E-mail ou mot de passe incorrect.", email, next)
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


def too_many_tries(request: Request, seconds: int, email: str, next_: str | None) -> HTMLResponse:
    minutes = max(1, round(seconds / 60))
    error = f"Trop d'essais : réessayez dans {minutes} minute{'s' if minutes > 1 else ''}."
    response = login_form(request, 429, error, email, next_)
    response.headers["Retry-After"] = str(seconds)
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
