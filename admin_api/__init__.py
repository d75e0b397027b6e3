"""The staff side: the admin API (FastAPI routers, thin over the same services as the bot) at
/admin/api/..., its OpenAPI docs at /admin/docs and /admin/redoc, and the advisers' inbox pages at /admin/."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from admin_api import docs, pages
from admin_api.routes import auth, campaigns, catalogue, handoffs, staff, stats


def api_router() -> APIRouter:
    router = APIRouter(prefix="/api", responses=docs.ERRORS)
    for module in (auth, handoffs, catalogue, staff, stats, campaigns):
        router.include_router(module.router)
    return router


def create_admin_app() -> FastAPI:
    """Mounted at /admin by the web application, which fills its state (engine, clock, texts, ...)."""
    app = FastAPI(
        title="sixtcap — API des partenaires",
        version="0.1.0",
        docs_url=None,  # served from this machine by admin_api/docs.py
        redoc_url=None,
        openapi_url="/openapi.json",
        description="Handoffs, catalogue, capacity, staff and audit for 6Tcap partners. "
        "Authenticate with `POST /api/login`, then `Authorization: Bearer <token>`, or with `X-API-Key`.",
    )
    app.include_router(api_router())
    app.include_router(docs.router)
    app.include_router(pages.router)
    return app
