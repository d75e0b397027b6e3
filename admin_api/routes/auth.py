"""Logging in and out: a bearer token for 12 hours."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from admin_api.context import staff_context
from admin_api.deps import DB, Caller, Now, token_from
from bot.staff import SESSION_LIFETIME, log_in, revoke

router = APIRouter(tags=["auth"])


class Login(BaseModel):
    email: str = Field(max_length=200)
    password: str = Field(max_length=200)


class Token(BaseModel):
    token: str
    expires_at: datetime
    role: str
    partner_id: str | None


@router.post(
    "/login",
    responses={401: {"description": "wrong e-mail or password"}, 429: {"description": "too many tries"}},
)
def login(body: Login, request: Request, at: Now) -> Token:
    """A bearer token for 12 hours. Wrong passwords in a row make the account wait, longer each time
    (429 with Retry-After); so do too many tries from one address."""
    context = staff_context(request)
    context.throttle.hit("login_per_ip", client_address(request))
    done = log_in(context.engine, body.email, body.password, at, context.login_policy)
    if done.wait_seconds:
        raise HTTPException(
            429,
            f"too many wrong passwords: try again in {done.wait_seconds} s",
            {"Retry-After": str(done.wait_seconds)},
        )
    if done.staff is None or done.token is None:
        raise HTTPException(401, "wrong e-mail or password")
    return Token(
        token=done.token,
        expires_at=at + SESSION_LIFETIME,
        role=done.staff.role,
        partner_id=done.staff.partner_id,
    )


def client_address(request: Request) -> str:
    """The caller's address (the proxy's X-Forwarded-For when it is trusted: server.forwarded_allow_ips)."""
    return request.client.host if request.client else ""


@router.post("/logout", status_code=204)
def logout(request: Request, caller: Caller, db: DB, at: Now) -> None:
    token = token_from(request.headers.get("authorization"), request.headers.get("x-api-key"))
    if token:
        revoke(db, token, at)
