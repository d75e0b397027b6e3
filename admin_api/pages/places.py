"""Places available: the services a staff member keeps up to date, and the form that updates them."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from admin_api.pages.forms import Text
from admin_api.pages.rendering import error_page, not_found, page, redirect, reserved
from admin_api.pages.session import Refused, caller, login_redirect, now, poster, refused, transaction
from admin_api.routes.catalogue import CapacityIn
from bot.directory import partner_names
from bot.places import PlacesError, services_for, update_places
from bot.staff import Principal

router = APIRouter(include_in_schema=False)


def places_page(
    request: Request,
    db: Session,
    who: Principal,
    status: int = 200,
    saved: str | None = None,
    error: tuple[str, str] | None = None,
    typed: tuple[str, str] = ("", ""),
) -> HTMLResponse:
    """`typed`: what was typed in the refused form (available, total), given back as it was."""
    services = services_for(db, who)
    return page(
        request,
        who,
        "places.html",
        status,
        section="places",
        services=services,
        partners=partner_names(db),
        show_partner=not who.of_one_partner,
        saved=saved,
        error=error,
        typed=typed,
    )


@router.get("/places", response_class=HTMLResponse)
def places(request: Request, saved: str | None = None) -> Response:
    with transaction(request) as db:
        who = caller(request, db)
        if who is None:
            return login_redirect(request)
        if not who.writes:
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
            if not who.writes:
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
                typed = ((places_available or "")[:10], (places_total or "")[:10])
                shown = (service_id, problem)
                raise Refused(lambda db: places_page(request, db, who, 422, error=shown, typed=typed))
    except Refused as refusal:
        return refused(request, refusal)
    return redirect(request, f"/places?saved={quote(service_id)}#service-{quote(service_id)}")
