"""Places available: which services a staff member updates, and the daily update itself (checked,
audited, and no longer a demo value), one way for the admin API and the inbox pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.audit import audit
from bot.catalogue.capacity import CAPACITY_FIELDS, over_capacity
from bot.errors import CodedError
from bot.models import Service
from bot.staff import Principal


class PlacesError(CodedError):
    """`code` is "not_found" (no such active service of the caller's) or "over_total"."""


@dataclass(frozen=True)
class Capacity:
    service_id: str
    places_available: int | None
    places_total: int | None
    capacity_updated_at: datetime | None


def services_for(session: Session, principal: Principal) -> list[Service]:
    """The active services whose places this staff member keeps up to date, in the catalogue's order."""
    query = select(Service).where(Service.active).order_by(Service.partner_id, Service.position, Service.id)
    if principal.of_one_partner:
        query = query.where(Service.partner_id == principal.partner_id)
    return list(session.scalars(query))


def update_places(
    session: Session,
    principal: Principal,
    service_id: str,
    available: int | None,
    total: int | None,
    now: datetime,
) -> Capacity:
    """Set the places of a service (`total` None keeps the known total; `available` None: unknown again,
    the bot then says nothing about places). An adviser only for their partner's services: another's does
    not exist for them."""
    row = session.get(Service, service_id)
    if row is None or not row.active or not principal.sees_partner(row.partner_id):
        raise PlacesError("not_found", f"no service {service_id!r} of yours")
    total = total if total is not None else row.places_total
    problem = over_capacity(available, total) if available is not None else None
    if problem:
        raise PlacesError("over_total", problem)
    before = {"places_available": row.places_available, "places_total": row.places_total}
    row.places_available, row.places_total = available, total
    row.capacity_updated_at = row.updated_at = now  # updated_at refreshes the bot's catalogue cache
    row.demo_fields = [f for f in row.demo_fields if f not in CAPACITY_FIELDS]  # the partner's own figure
    after = {"places_available": row.places_available, "places_total": row.places_total}
    audit(session, principal.staff_id, "capacity", "service", service_id, before, after, now)
    return Capacity(service_id, row.places_available, row.places_total, row.capacity_updated_at)
