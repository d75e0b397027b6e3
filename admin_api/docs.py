"""The admin API's documentation, served from this machine: Swagger UI at /admin/docs (with the Authorize
button) and ReDoc at /admin/redoc, their files taken from the fastapi-offline package (no CDN), and the
errors every route may answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter, HTTPException, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
FILES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
    "favicon.png": "image/png",
}
router = APIRouter(include_in_schema=False)


class ErrorOut(BaseModel):
    """Every refusal: the reason, in English (pages choose their French by the status and code)."""

    detail: str | list[dict[str, Any]]


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "no valid token or key (log in, or send X-API-Key)"},
    403: {"model": ErrorOut, "description": "the role or the API key's scopes do not allow it"},
    404: {"model": ErrorOut, "description": "no such thing, or another partner's"},
    409: {"model": ErrorOut, "description": "the thing is not in a state that allows it (e.g. resolved)"},
    422: {"model": ErrorOut, "description": "the request is invalid (the detail says which field and why)"},
    503: {"model": ErrorOut, "description": "the database is unavailable: try again"},
}


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


@router.get("/docs")
def swagger(request: Request) -> HTMLResponse:
    base = _root(request)
    return get_swagger_ui_html(
        openapi_url=f"{base}/openapi.json",
        title="sixtcap — API des partenaires",
        swagger_js_url=f"{base}/docs-assets/swagger-ui-bundle.js",
        swagger_css_url=f"{base}/docs-assets/swagger-ui.css",
        swagger_favicon_url=f"{base}/docs-assets/favicon.png",
        swagger_ui_parameters={"persistAuthorization": True},
    )


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    base = _root(request)
    return get_redoc_html(
        openapi_url=f"{base}/openapi.json",
        title="sixtcap — API des partenaires",
        redoc_js_url=f"{base}/docs-assets/redoc.standalone.js",
        redoc_favicon_url=f"{base}/docs-assets/favicon.png",
        with_google_fonts=False,
    )


@router.get("/docs-assets/{name}")
def asset(name: str) -> FileResponse:
    if name not in FILES:
        raise HTTPException(404, "no such file")
    return FileResponse(ASSETS / name, media_type=FILES[name], headers={"Cache-Control": "max-age=86400"})
