"""The web application: health check and portal page now; channels and admin API mount here later."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from bot.catalogue.loader import catalogue_counts
from bot.config import Settings
from bot.db import make_engine, session_factory

PAGES = Path(__file__).resolve().parent / "pages"


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    engine = engine or make_engine(settings.database_url)
    sessions = session_factory(engine)
    app = FastAPI(title="sixtcap", version="0.1.0", docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.engine = engine

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        """Database reachable, and how many partners and services are active."""
        try:
            with sessions() as session:
                session.execute(text("SELECT 1"))
                counts = catalogue_counts(session)
        except SQLAlchemyError as error:
            body: dict[str, Any] = {
                "status": "error",
                "database": "unreachable",
                "detail": type(error).__name__,
            }
            return JSONResponse(body, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok", "catalogue": counts})

    @app.get("/", response_class=HTMLResponse)
    def portal() -> str:
        """The 6Tcap portal page (placeholder until the widget and the village arrive)."""
        return (PAGES / "portal.html").read_text(encoding="utf-8")

    return app
