"""The catalogue: partners, their locations and services (create, read, update, deactivate) with the
loader's checks, and the daily "places dispo" update in one call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from admin_api.context import staff_context
from admin_api.deps import DB, Admin, Caller, Now, Places
from bot import directory
from bot.audit import audit
from bot.catalogue.editing import WEBHOOK_MAX, WebhookRefused, partner_raw, save_partner, set_webhook
from bot.catalogue.files import CatalogueInvalid
from bot.catalogue.schema import (
    LocationChanges,
    LocationEntry,
    PartnerChanges,
    PartnerFile,
    ServiceChanges,
    ServiceEntry,
    ServiceOut,
)
from bot.models import Partner, Service
from bot.places import PlacesError, services_for, update_places
from bot.staff import Principal
from bot.webhook_signing import HEADER, partner_secret

router = APIRouter(tags=["catalogue"])


def given(body: BaseModel) -> dict[str, Any]:
    """The fields the caller sent (null included: it clears a field), as the catalogue files write them."""
    return body.model_dump(mode="json", exclude_unset=True)


class CapacityIn(BaseModel):
    places_available: int = Field(ge=0, le=100_000)
    places_total: int | None = Field(default=None, ge=0, le=100_000)


class CapacityPatch(BaseModel):
    places_available: int | None = Field(
        ge=0,
        le=100_000,
        description="places left now; null: unknown again (the bot says nothing about places)",
    )
    places_total: int | None = Field(default=None, ge=0, le=100_000, description="null keeps the known total")


class CapacityItem(CapacityPatch):
    service_id: str = Field(min_length=1, max_length=80)


class MyService(BaseModel):
    id: str
    nom: str
    partner_id: str
    places_available: int | None
    places_total: int | None
    capacity_updated_at: datetime | None


class CapacityOut(BaseModel):
    service_id: str
    places_available: int | None
    places_total: int | None
    capacity_updated_at: datetime | None


def invalid(error: CatalogueInvalid) -> HTTPException:
    problems = [f"{p.field}: {p.reason}" if p.field else p.reason for p in error.problems]
    return HTTPException(422, "; ".join(problems))


def found(db: DB, model: type[Partner] | type[Service], key: str) -> Any:
    row = db.get(model, key)
    if row is None:
        raise HTTPException(404, f"no {model.__tablename__[:-1]} {key!r}")
    return row


def _deactivate(
    db: DB,
    caller: Principal,
    entity: str,
    row: Partner | Service,
    at: datetime,
    dependents: Sequence[Service] = (),
) -> dict[str, Any]:
    """Deactivated, never deleted: handoffs and statistics still point at it. Audited."""
    for item in (row, *dependents):
        item.active, item.updated_at = False, at
    audit(db, caller.staff_id, "deactivate", entity, row.id, {"active": True}, {"active": False}, at)
    return {"id": row.id, "active": False}


def _partner(db: DB, partner_id: str) -> dict[str, Any]:
    raw = partner_raw(db, partner_id)
    if raw is None:
        raise HTTPException(404, f"no partner {partner_id!r}")
    return raw


def _save(db: DB, request: Request, raw: dict[str, Any], at: datetime) -> None:
    try:
        save_partner(db, raw, staff_context(request).territory, at)
    except CatalogueInvalid as error:
        raise invalid(error) from None


@router.get("/partners")
def partners(caller: Caller, db: DB) -> list[dict[str, Any]]:
    return [{"id": p.id, "nom": p.nom, "kind": p.kind, "active": p.active} for p in directory.partners(db)]


class WebhookPayload(BaseModel):
    """What sixtcap POSTs to a partner's `notify_webhook_url` (no youth's words or identifiers)."""

    event: Literal["handoff.created", "handoff.urgent", "handoff.again", "handoff.reminder"]
    handoff_id: int
    partner_id: str
    urgent: bool
    crisis_kind: str | None
    concern: str | None
    created_at: datetime
    url: str = Field(description="the question in the advisers' inbox (login needed)")


class WebhookInfo(BaseModel):
    url: str | None = Field(description="where the notifications go (the catalogue's notify_webhook_url)")
    secret: str = Field(description="this partner's signing secret: keep it private")
    signature_header: str = Field(description="sha256=<hex HMAC-SHA256 of the raw body, key = secret>")
    event_header: str = "X-Sixtcap-Event"
    example: WebhookPayload


class WebhookIn(BaseModel):
    url: str | None = Field(
        max_length=WEBHOOK_MAX,
        description="https:// URL that receives the notifications (http:// only on 127.0.0.1); null: none",
    )


def managed_partner(db: DB, caller: Principal, partner_id: str) -> Partner:
    """A partner whose integrations the caller manages (its lead, an admin); to others it does not exist."""
    row = db.get(Partner, partner_id)
    if row is None or not caller.manages_partner(partner_id):
        raise HTTPException(404, f"no partner {partner_id!r}")
    return row


@router.get("/partners/{partner_id}/webhook")
def partner_webhook(partner_id: str, request: Request, caller: Caller, db: DB, at: Now) -> WebhookInfo:
    """How a partner checks the notifications it receives: its secret and an example of the payload.
    An admin for any partner, a lead for their own."""
    row = managed_partner(db, caller, partner_id)
    example = WebhookPayload(
        event="handoff.created",
        handoff_id=42,
        partner_id=partner_id,
        urgent=False,
        crisis_kind=None,
        concern="job",
        created_at=at,
        url=f"{staff_context(request).public_url.rstrip('/')}/admin/handoffs/42",
    )
    secret = partner_secret(staff_context(request).secret_key, partner_id)
    return WebhookInfo(url=row.notify_webhook_url, secret=secret, signature_header=HEADER, example=example)


@router.put("/partners/{partner_id}/webhook")
def set_partner_webhook(
    partner_id: str, body: WebhookIn, request: Request, caller: Caller, db: DB, at: Now
) -> WebhookInfo:
    """Where the partner's notifications go (new, urgent, answered-again and overdue questions), set by
    its lead or an admin; null stops them. Kept when the catalogue is loaded again from files that name
    no webhook. Audited."""
    before = managed_partner(db, caller, partner_id).notify_webhook_url
    try:
        set_webhook(db, partner_id, body.url, at)
    except WebhookRefused as error:
        raise HTTPException(422, f"url: {error}") from None
    audit(db, caller.staff_id, "set_webhook", "partner", partner_id, {"url": before}, {"url": body.url}, at)
    return partner_webhook(partner_id, request, caller, db, at)


@router.get("/partners/{partner_id}", response_model=PartnerFile)
def partner(partner_id: str, caller: Caller, db: DB) -> dict[str, Any]:
    return _partner(db, partner_id)


@router.post("/partners", status_code=201, response_model=PartnerFile)
def create_partner(body: PartnerFile, request: Request, caller: Admin, db: DB, at: Now) -> dict[str, Any]:
    """A new partner with its places and services, as in a catalogue file (data/catalogue/README.md)."""
    entry, partner_id = given(body), body.partner.id
    if db.get(Partner, partner_id) is not None:
        raise HTTPException(409, f"partner {partner_id!r} exists already")
    _save(db, request, entry, at)
    audit(db, caller.staff_id, "create", "partner", partner_id, None, entry, at)
    return _partner(db, partner_id)


@router.patch("/partners/{partner_id}", response_model=PartnerFile)
def update_partner(
    partner_id: str, body: PartnerChanges, request: Request, caller: Admin, db: DB, at: Now
) -> dict[str, Any]:
    """Change some fields of the partner (its places: the locations routes)."""
    before = _partner(db, partner_id)
    after = {**before, "partner": {**before["partner"], **given(body), "id": partner_id}}
    _save(db, request, after, at)
    audit(db, caller.staff_id, "update", "partner", partner_id, before["partner"], after["partner"], at)
    return _partner(db, partner_id)


@router.delete("/partners/{partner_id}")
def deactivate_partner(partner_id: str, caller: Admin, db: DB, at: Now) -> dict[str, Any]:
    services = directory.services_of(db, partner_id)
    return _deactivate(db, caller, "partner", found(db, Partner, partner_id), at, services)


@router.post("/partners/{partner_id}/locations", status_code=201, response_model=LocationEntry)
def create_location(
    partner_id: str, body: LocationEntry, request: Request, caller: Admin, db: DB, at: Now
) -> dict[str, Any]:
    raw, entry, location_id = _partner(db, partner_id), given(body), body.id
    if any(loc["id"] == location_id for loc in raw["partner"]["locations"]):
        raise HTTPException(409, f"location {location_id!r} exists already")
    raw["partner"]["locations"] = [*raw["partner"]["locations"], entry]
    _save(db, request, raw, at)
    audit(db, caller.staff_id, "create", "location", f"{partner_id}/{location_id}", None, entry, at)
    return location(partner_id, location_id, caller, db)


@router.get("/partners/{partner_id}/locations/{location_id}", response_model=LocationEntry)
def location(partner_id: str, location_id: str, caller: Caller, db: DB) -> dict[str, Any]:
    found = next(
        (loc for loc in _partner(db, partner_id)["partner"]["locations"] if loc["id"] == location_id), None
    )
    if found is None:
        raise HTTPException(404, f"no location {location_id!r} for {partner_id!r}")
    return dict(found)


@router.patch("/partners/{partner_id}/locations/{location_id}", response_model=LocationEntry)
def update_location(
    partner_id: str,
    location_id: str,
    body: LocationChanges,
    request: Request,
    caller: Admin,
    db: DB,
    at: Now,
) -> dict[str, Any]:
    raw = _partner(db, partner_id)
    before = location(partner_id, location_id, caller, db)
    after = {**before, **given(body), "id": location_id}
    raw["partner"]["locations"] = [
        after if loc["id"] == location_id else loc for loc in raw["partner"]["locations"]
    ]
    _save(db, request, raw, at)
    audit(db, caller.staff_id, "update", "location", f"{partner_id}/{location_id}", before, after, at)
    return location(partner_id, location_id, caller, db)


@router.delete("/partners/{partner_id}/locations/{location_id}")
def remove_location(
    partner_id: str, location_id: str, request: Request, caller: Admin, db: DB, at: Now
) -> dict[str, Any]:
    """A place the partner left: its services are no longer offered there (a service left with no place
    at all must be given another one first)."""
    raw = _partner(db, partner_id)
    before = location(partner_id, location_id, caller, db)
    raw["partner"]["locations"] = [loc for loc in raw["partner"]["locations"] if loc["id"] != location_id]
    for service in raw["services"]:
        if service.get("locations") is not None:
            service["locations"] = [ref for ref in service["locations"] if ref != location_id]
    _save(db, request, raw, at)
    audit(db, caller.staff_id, "remove", "location", f"{partner_id}/{location_id}", before, None, at)
    return {"partner_id": partner_id, "id": location_id, "removed": True}


@router.post("/partners/{partner_id}/services", status_code=201, response_model=ServiceOut)
def create_service(
    partner_id: str, body: ServiceEntry, request: Request, caller: Admin, db: DB, at: Now
) -> dict[str, Any]:
    raw, entry, service_id = _partner(db, partner_id), given(body), body.id
    if db.get(Service, service_id) is not None:
        raise HTTPException(409, f"service {service_id!r} exists already")
    raw["services"] = [*raw["services"], entry]
    _save(db, request, raw, at)
    audit(db, caller.staff_id, "create", "service", service_id, None, entry, at)
    return service(service_id, caller, db)


@router.get("/services/mine")
def my_services(caller: Places, db: DB) -> list[MyService]:
    """The active services whose places the caller keeps up to date (an admin: all)."""
    return [MyService.model_validate(s, from_attributes=True) for s in services_for(db, caller)]


@router.patch("/services/capacity")
def capacity_bulk(body: list[CapacityItem], caller: Places, db: DB, at: Now) -> list[CapacityOut]:
    """Several services at once, all or nothing: one refused entry leaves every service as it was."""
    return [_places(db, caller, item.service_id, item, at) for item in body[:500]]


@router.get("/services/{service_id}", response_model=ServiceOut)
def service(service_id: str, caller: Caller, db: DB) -> dict[str, Any]:
    row = found(db, Service, service_id)
    raw = _partner(db, row.partner_id)
    entry = next((s for s in raw["services"] if s["id"] == service_id), None)
    return {**(entry or {"id": service_id}), "partner_id": row.partner_id, "active": row.active}


@router.patch("/services/{service_id}", response_model=ServiceOut)
def update_service(
    service_id: str, body: ServiceChanges, request: Request, caller: Admin, db: DB, at: Now
) -> dict[str, Any]:
    row = db.get(Service, service_id)
    if row is None or not row.active:
        raise HTTPException(404, f"no active service {service_id!r}")
    raw = _partner(db, row.partner_id)
    before = next(s for s in raw["services"] if s["id"] == service_id)
    after = {**before, **given(body), "id": service_id}
    raw["services"] = [after if s["id"] == service_id else s for s in raw["services"]]
    _save(db, request, raw, at)
    audit(db, caller.staff_id, "update", "service", service_id, before, after, at)
    return service(service_id, caller, db)


@router.delete("/services/{service_id}")
def deactivate_service(service_id: str, caller: Admin, db: DB, at: Now) -> dict[str, Any]:
    return _deactivate(db, caller, "service", found(db, Service, service_id), at)


def _places(db: DB, caller: Principal, service_id: str, body: CapacityPatch, at: datetime) -> CapacityOut:
    try:
        updated = update_places(db, caller, service_id, body.places_available, body.places_total, at)
    except PlacesError as error:
        raise HTTPException(404 if error.code == "not_found" else 422, f"{service_id}: {error}") from None
    return CapacityOut(**asdict(updated))


@router.patch("/services/{service_id}/capacity")
def capacity(service_id: str, body: CapacityPatch, caller: Places, db: DB, at: Now) -> CapacityOut:
    """The daily update of places: an adviser for their partner's services (an API key with the scope
    "places" will do)."""
    return _places(db, caller, service_id, body, at)
