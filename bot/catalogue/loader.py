"""Put a checked catalogue into the database. Loading twice changes nothing; a changed entry updates
its row; an entry that left the files is deactivated, never deleted (handoffs and statistics point at
it). Capacity set by staff since the file was written is kept: the most recent capacity wins."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bot.catalogue.capacity import CAPACITY_FIELDS
from bot.catalogue.schema import LocationEntry, PartnerEntry, PartnerFile, ServiceEntry
from bot.db import transaction
from bot.models import Location, Partner, Service
from bot.models.base import utcnow
from bot.territory import Territory


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged,"
            f" {self.deactivated} deactivated"
        )


@dataclass
class LoadReport:
    partners: Counts = field(default_factory=Counts)
    services: Counts = field(default_factory=Counts)


def partner_values(entry: PartnerEntry) -> dict[str, Any]:
    return {
        "nom": entry.nom,
        "kind": entry.kind,
        "description": entry.description,
        "siret": entry.siret,
        "telephone": entry.telephone,
        "courriel": entry.courriel,
        "site_web": entry.site_web,
        "horaires_accueil": entry.horaires_accueil,
        "reseaux_porteurs": list(entry.reseaux_porteurs),
        "sources": list(entry.sources),
        "is_demo": entry.is_demo,
        "demo_fields": entry.demo_fields,
        "notes": entry.notes,
        "notify_webhook_url": entry.notify_webhook_url,
        "notify_email": entry.notify_email,
        "outside_network": False,
        "active": True,
    }


def location_values(entry: LocationEntry, position: int, territory: Territory) -> dict[str, Any]:
    commune = territory.commune(entry.commune)
    assert commune is not None, "checked by files.check_sources"
    quartier = territory.quartier(entry.quartier) if entry.quartier else None
    if entry.latitude is not None and entry.longitude is not None:
        point_lat, point_lon, approximate = entry.latitude, entry.longitude, False
    else:
        point = territory.point_of(commune, quartier)
        point_lat, point_lon, approximate = point.latitude, point.longitude, True
    return {
        "position": position,
        "nom": entry.nom,
        "adresse": entry.adresse,
        "code_postal": entry.code_postal,
        "commune": commune.name,
        "code_insee": commune.insee,
        "quartier": quartier.name if quartier else None,
        "latitude": entry.latitude,
        "longitude": entry.longitude,
        "point_latitude": point_lat,
        "point_longitude": point_lon,
        "approximate": approximate,
        "is_demo": entry.is_demo,
    }


def service_values(entry: ServiceEntry, partner_id: str, position: int) -> dict[str, Any]:
    return {
        "partner_id": partner_id,
        "position": position,
        "nom": entry.nom,
        "description": entry.description,
        "type": entry.type,
        "thematiques": list(entry.thematiques),
        "frais": entry.frais,
        "frais_precisions": entry.frais_precisions,
        "publics": list(entry.publics),
        "publics_precisions": entry.publics_precisions,
        "conditions_acces": entry.conditions_acces,
        "pre_requis": list(entry.pre_requis),
        "justificatifs": list(entry.justificatifs),
        "age_min": entry.age_min,
        "age_max": entry.age_max,
        "modes_accueil": list(entry.modes_accueil),
        "modes_mobilisation": list(entry.modes_mobilisation),
        "lien_mobilisation": entry.lien_mobilisation,
        "mobilisable_par": entry.who_mobilises,
        "zone_eligibilite": list(entry.zone_eligibilite),
        "horaires_accueil": entry.horaires_accueil,
        "telephone": entry.telephone,
        "courriel": entry.courriel,
        "places_total": entry.places_total,
        "places_available": entry.places_available,
        "capacity_updated_at": entry.capacity_updated_at,
        "sources": list(entry.sources),
        "is_demo": entry.is_demo,
        "demo_fields": entry.demo_fields,
        "active": True,
    }


def apply_values(row: Any, values: dict[str, Any]) -> bool:
    """Set the values that differ; True when anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


def _keep_newer_capacity(row: Service, values: dict[str, Any]) -> dict[str, Any]:
    stored, given = row.capacity_updated_at, values["capacity_updated_at"]
    if stored is not None and (given is None or stored > given):
        return {k: v for k, v in values.items() if k not in CAPACITY_FIELDS}
    return values


def sync_locations(partner: Partner, wanted: dict[str, dict[str, Any]]) -> bool:
    """Make the partner's locations the `wanted` ones (id -> values); True when anything changed."""
    changed = False
    for location in list(partner.locations):
        if location.id not in wanted:
            partner.locations.remove(location)
            changed = True
    existing = {location.id: location for location in partner.locations}
    for location_id, values in wanted.items():
        if location_id in existing:
            changed |= apply_values(existing[location_id], values)
        else:
            partner.locations.append(Location(id=location_id, **values))
            changed = True
    return changed


def _wanted_locations(entry: PartnerEntry, territory: Territory) -> dict[str, dict[str, Any]]:
    return {loc.id: location_values(loc, i, territory) for i, loc in enumerate(entry.locations)}


def upsert_partner(session: Session, entry: PartnerFile, territory: Territory, report: LoadReport) -> None:
    now = utcnow()
    partner = session.get(Partner, entry.partner.id)
    if partner is None:
        partner = Partner(id=entry.partner.id, created_at=now, updated_at=now)
        apply_values(partner, partner_values(entry.partner))
        session.add(partner)
        sync_locations(partner, _wanted_locations(entry.partner, territory))
        report.partners.created += 1
    else:
        changed = apply_values(partner, partner_values(entry.partner))
        changed |= sync_locations(partner, _wanted_locations(entry.partner, territory))
        if changed:
            partner.updated_at = now
            report.partners.updated += 1
        else:
            report.partners.unchanged += 1
    session.flush()
    by_id = {location.id: location for location in partner.locations}
    for position, service_entry in enumerate(entry.services):
        values = service_values(service_entry, partner.id, position)
        wanted_ids = service_entry.locations if service_entry.locations is not None else list(by_id)
        locations = [by_id[i] for i in wanted_ids]
        service = session.get(Service, service_entry.id)
        if service is None:
            service = Service(id=service_entry.id, created_at=now, updated_at=now, **values)
            service.locations = locations
            session.add(service)
            report.services.created += 1
            continue
        changed = apply_values(service, _keep_newer_capacity(service, values))
        if [loc.id for loc in service.locations] != [loc.id for loc in locations]:
            service.locations = locations
            changed = True
        if changed:
            service.updated_at = now
            report.services.updated += 1
        else:
            report.services.unchanged += 1


def load_catalogue(
    engine: Engine,
    entries: list[PartnerFile],
    territory: Territory,
    on_progress: Callable[[int, int], None] | None = None,
) -> LoadReport:
    """Upsert `entries` (already checked) in one transaction and deactivate what is no longer there."""
    report = LoadReport()
    with transaction(engine) as session:
        for done, entry in enumerate(entries, start=1):
            upsert_partner(session, entry, territory, report)
            if on_progress:
                on_progress(done, len(entries))
        partner_ids = {e.partner.id for e in entries}
        service_ids = {s.id for e in entries for s in e.services}
        report.partners.deactivated = deactivate_missing(session, Partner, partner_ids)
        report.services.deactivated = deactivate_missing(session, Service, service_ids)
    return report


def deactivate_missing(
    session: Session,
    model: type[Partner] | type[Service],
    keep: Iterable[str],
    outside_network: bool = False,
    demo_only: bool = False,
) -> int:
    """Deactivate the active rows not in `keep`: the network's (catalogue files), or those outside it
    (data·inclusion imports; with `demo_only`, only demonstration rows)."""
    kept = set(keep)
    query = select(model).where(model.active)
    if model is Service:
        query = query.join(Service.partner)
    rows: list[Partner | Service] = list(
        session.scalars(query.where(Partner.outside_network.is_(outside_network)))
    )
    stale = [row for row in rows if row.id not in kept and (row.is_demo or not demo_only)]
    for row in stale:
        row.active = False
        row.updated_at = utcnow()
    return len(stale)


def catalogue_counts(session: Session) -> dict[str, int]:
    """Active partners and services of the network, and active services outside it: what /healthz reports."""

    def active_services(outside: bool) -> int:
        query = select(func.count()).select_from(Service).join(Service.partner)
        return session.scalar(query.where(Service.active, Partner.outside_network.is_(outside))) or 0

    partners = session.scalar(
        select(func.count()).select_from(Partner).where(Partner.active, Partner.outside_network.is_(False))
    )
    return {
        "partners": partners or 0,
        "services": active_services(False),
        "services_outside_network": active_services(True),
    }
