"""Liveness and readiness, for a process supervisor and a load balancer, each saying what is wrong.

- `/livez`: the process works (its event loop answers; the outbox sender and the scheduler it runs are
  alive). 503 means "restart me".
- `/readyz`: the process can serve now: the database answers, its schema is the one this code expects,
  the catalogue has active services, and the process is not shutting down. 503 means "send me nothing for
  now"; each problem is one readable line."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.catalogue.loader import catalogue_counts
from bot.db import session_factory
from bot.migrations import alembic_config


@cache
def _head() -> str | None:
    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()  # type: ignore[arg-type]


def expected_revision(_engine: Engine) -> str | None:
    """The schema revision this code needs (read once from bot/migrations/versions/)."""
    return _head()


def database_problems(engine: Engine) -> tuple[list[str], dict[str, Any]]:
    """What keeps the database from serving this code, and a few facts about it."""
    head = expected_revision(engine)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
        with session_factory(engine)() as session:
            counts = catalogue_counts(session) if current == head else {}  # an older schema: other columns
    except SQLAlchemyError as error:
        return [f"database unreachable ({type(error).__name__})"], {}
    facts: dict[str, Any] = {"schema": current, "expected_schema": head, "catalogue": counts}
    problems = []
    if current is None:
        problems.append("the database has no schema: run `sixtcap db upgrade`")
    elif current != head:
        problems.append(f"database schema is {current}, this code needs {head}: run `sixtcap db upgrade`")
    elif not counts.get("services"):
        problems.append("the catalogue has no active service: run `sixtcap catalogue load`")
    return problems, facts


def health_router(
    engine: Engine, live_problems: Callable[[], list[str]], shutting_down: Callable[[], bool]
) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/livez")
    async def livez() -> JSONResponse:
        """The process works (answered from the event loop itself)."""
        problems = live_problems()
        status = 503 if problems else 200
        return JSONResponse({"status": "error" if problems else "ok", "problems": problems}, status)

    @router.get("/readyz")
    def readyz() -> JSONResponse:
        """The process can take traffic now."""
        problems, facts = database_problems(engine)
        if shutting_down():
            problems.insert(0, "shutting down")
        problems += live_problems()
        status = 503 if problems else 200
        body = {"status": "error" if problems else "ok", "problems": problems, **facts}
        return JSONResponse(body, status)

    return router
