"""Logging in and out: a bearer token for 12 hours."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from admin_api.deps import DB, Caller, Now, token_from
from bot.staff import SESSION_LIFETIME, check_password, issue_token, revoke

router = APIRouter(tags=["auth"])


class Login(BaseModel):
    email: str = Field(max_length=200)
    password: str = Field(max_length=200)


class Token(BaseModel):
    token: str
    expires_at: datetime
    role: str
    partner_id: str | None


@router.post("/login")
def login(body: Login, db: DB, at: Now) -> Token:
    staff = check_password(db, body.email, body.password)
    if staff is None:
        raise HTTPException(401, "wrong e-mail or password")
    return Token(
        token=issue_token(db, staff, at),
        expires_at=at + SESSION_LIFETIME,
        role=staff.role,
        partner_id=staff.partner_id,
    )


@router.post("/logout", status_code=204)
def logout(request: Request, caller: Caller, db: DB, at: Now) -> None:
    token = token_from(request.headers.get("authorization"), request.headers.get("x-api-key"))
    if token:
        revoke(db, token, at)
