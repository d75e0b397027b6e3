"""Shared dependencies of the admin API: the database session, the caller (bearer token or API key),
and role checks. Authorization is decided here and in bot/handoffs.py, not in each route."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from admin_api.context import staff_context
from bot.db import session_factory
from bot.staff import Principal, principal_for


def now(request: Request) -> datetime:
    return staff_context(request).clock()


def session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed if the route returns, rolled back if it raises."""
    with session_factory(staff_context(request).engine)() as db, db.begin():
        yield db


DB = Annotated[Session, Depends(session)]
RowId = Annotated[int, Path(ge=1, le=2_147_483_647, description="a row id")]
Now = Annotated[datetime, Depends(now)]


def token_from(authorization: str | None, api_key: str | None) -> str | None:
    """The API takes headers only: the inbox pages' cookie is no credential here (no CSRF on JSON)."""
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return api_key


bearer = HTTPBearer(auto_error=False, description="a token from POST /api/login (12 hours)")
api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="an API key (POST /api/staff/{id}/api-keys)"
)


def any_scope(
    db: DB,
    at: Now,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None,
    x_api_key: Annotated[str | None, Depends(api_key)] = None,
) -> Principal:
    """The caller, whatever their API key's scopes."""
    token = credentials.credentials if credentials else x_api_key
    if not token:
        raise HTTPException(
            401, "log in first: Authorization: Bearer <token> or X-API-Key", {"WWW-Authenticate": "Bearer"}
        )
    who = principal_for(db, token, at)
    if who is None:
        raise HTTPException(
            401, "this token or key is unknown, expired or revoked", {"WWW-Authenticate": "Bearer"}
        )
    return who


def principal(who: Annotated[Principal, Depends(any_scope)]) -> Principal:
    """The caller, with a credential that is not limited to some scopes."""
    if who.scopes:
        raise HTTPException(403, f"this API key is limited to: {', '.join(sorted(who.scopes))}")
    return who


def scoped_writer(scope: str) -> Callable[[Principal], Principal]:
    """An adviser, lead or admin acting for their partner: a key limited to `scope` will do."""

    def check(who: Annotated[Principal, Depends(any_scope)]) -> Principal:
        if who.scopes and scope not in who.scopes:
            raise HTTPException(403, f"this API key is limited to: {', '.join(sorted(who.scopes))}")
        if not who.writes:
            raise HTTPException(403, "this needs the role adviser, lead or admin")
        return who

    return check


Caller = Annotated[Principal, Depends(principal)]
Places = Annotated[Principal, Depends(scoped_writer("places"))]
Offers = Annotated[Principal, Depends(scoped_writer("offers"))]


def require(*roles: str) -> Callable[[Principal], Principal]:
    def check(caller: Caller) -> Principal:
        if caller.role not in roles:
            raise HTTPException(403, f"this needs the role {' or '.join(roles)}")
        return caller

    return check


Admin = Annotated[Principal, Depends(require("admin"))]
Reader = Annotated[Principal, Depends(require("coordinator", "admin"))]
Adviser = Annotated[Principal, Depends(require("adviser", "lead", "admin"))]
