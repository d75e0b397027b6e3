"""Export the catalogue as data·inclusion v1 JSON (structures + services), and read such an export back.

Standard fields carry what a data·inclusion consumer expects (a service's phone and hours are the
structure's when the service has none of its own). What the standard lacks sits in a `sixtcap` object on
each record: partner kind, sources, demo flags, every location, ages, capacity, and which fields the
service takes from its structure, so that the export loads back to the same catalogue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.models import Location, Partner, Service

SCHEMA_VERSION = "data-inclusion v1"
SOURCE = "sixtcap"  # our producer id in data·inclusion's `source`
INHERITED = ("telephone", "courriel", "horaires_accueil")


def _demo(row: Partner | Service | Location, fields: list[str] | None = None) -> bool | list[str]:
    return True if row.is_demo else list(fields or [])


def _address(location: Location | None) -> dict[str, Any]:
    return {
        "adresse": location.adresse if location else None,
        "code_postal": location.code_postal if location else None,
        "commune": location.commune if location else None,
        "code_insee": location.code_insee if location else None,
        "latitude": location.point_latitude if location else None,
        "longitude": location.point_longitude if location else None,
    }


def _location(location: Location) -> dict[str, Any]:
    return {
        "id": location.id,
        "nom": location.nom,
        "adresse": location.adresse,
        "code_postal": location.code_postal,
        "commune": location.commune,
        "quartier": location.quartier,
        "latitude": location.latitude,
        "longitude": location.longitude,
        "demo": location.is_demo,
    }


def _date(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def structure_record(partner: Partner) -> dict[str, Any]:
    first = partner.locations[0] if partner.locations else None
    return {
        "source": SOURCE,
        "id": partner.id,
        "nom": partner.nom,
        "date_maj": partner.updated_at.date().isoformat(),
        "siret": partner.siret,
        **_address(first),
        "telephone": partner.telephone,
        "courriel": partner.courriel,
        "site_web": partner.site_web,
        "description": partner.description,
        "horaires_accueil": partner.horaires_accueil,
        "accessibilite_lieu": None,
        "reseaux_porteurs": partner.reseaux_porteurs,
        "sixtcap": {
            "kind": partner.kind,
            "sources": partner.sources,
            "notes": partner.notes,
            "notify_webhook_url": partner.notify_webhook_url,
            "notify_email": partner.notify_email,
            "demo": _demo(partner, partner.demo_fields),
            "locations": [_location(location) for location in partner.locations],
        },
    }


def service_record(service: Service) -> dict[str, Any]:
    partner = service.partner
    first = service.locations[0] if service.locations else None
    own = {name: getattr(service, name) for name in INHERITED}
    return {
        "source": SOURCE,
        "id": service.id,
        "structure_id": service.partner_id,
        "nom": service.nom,
        "description": service.description,
        "date_maj": service.updated_at.date().isoformat(),
        "type": service.type,
        "thematiques": service.thematiques,
        "frais": service.frais,
        "frais_precisions": service.frais_precisions,
        "publics": service.publics,
        "publics_precisions": service.publics_precisions,
        "conditions_acces": service.conditions_acces,
        "pre_requis": service.pre_requis,
        "justificatifs": service.justificatifs,
        **_address(first),
        **{name: value if value is not None else getattr(partner, name) for name, value in own.items()},
        "modes_accueil": service.modes_accueil,
        "zone_eligibilite": service.zone_eligibilite,
        "lien_mobilisation": service.lien_mobilisation,
        "modes_mobilisation": service.modes_mobilisation,
        "mobilisable_par": service.mobilisable_par or None,  # the schema wants one at least, or nothing
        "sixtcap": {
            "age_min": service.age_min,
            "age_max": service.age_max,
            "places_total": service.places_total,
            "places_available": service.places_available,
            "capacity_updated_at": _date(service.capacity_updated_at),
            "location_ids": [location.id for location in service.locations],
            "inherits": [name for name, value in own.items() if value is None],
            "sources": service.sources,
            "demo": _demo(service, service.demo_fields),
        },
    }


def export_catalogue(session: Session) -> dict[str, Any]:
    """The active catalogue of the network as {structures, services} (what is outside it is not ours)."""
    partners = session.scalars(
        select(Partner)
        .where(Partner.active, Partner.outside_network.is_(False))
        .order_by(Partner.id)
        .options(selectinload(Partner.locations))
    ).all()
    services = session.scalars(
        select(Service)
        .join(Service.partner)
        .where(Service.active, Partner.outside_network.is_(False))
        .order_by(Service.partner_id, Service.position)
        .options(selectinload(Service.locations), selectinload(Service.partner))
    ).all()
    return {
        "schema": SCHEMA_VERSION,
        "structures": [structure_record(p) for p in partners],
        "services": [service_record(s) for s in services],
    }


STRUCTURE_FIELDS = (
    "id",
    "nom",
    "siret",
    "telephone",
    "courriel",
    "site_web",
    "description",
    "horaires_accueil",
    "reseaux_porteurs",
)
SERVICE_FIELDS = (
    "id",
    "nom",
    "description",
    "type",
    "thematiques",
    "frais",
    "frais_precisions",
    "publics",
    "publics_precisions",
    "conditions_acces",
    "pre_requis",
    "justificatifs",
    "modes_accueil",
    "zone_eligibilite",
    "lien_mobilisation",
    "modes_mobilisation",
    "mobilisable_par",
    *INHERITED,
)


def partner_dicts(data: Any) -> tuple[list[tuple[str, Any]], list[str]]:
    """Turn an export back into catalogue-file dicts, one per structure, named 'structures[i]'.
    Returns the dicts and the problems of shape (unknown structure, missing lists)."""
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("structures"), list)
        or not isinstance(data.get("services"), list)
    ):
        return [], ["expected an object with 'structures' and 'services' lists"]
    problems: list[str] = []
    partners: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}
    for index, structure in enumerate(data["structures"]):
        if not isinstance(structure, dict):
            problems.append(f"structures[{index}]: expected an object")
            continue
        extension = structure.get("sixtcap") or {}
        partner = {key: structure.get(key) for key in STRUCTURE_FIELDS}
        partner.update(
            kind=extension.get("kind"),
            sources=extension.get("sources") or [],
            notes=extension.get("notes"),
            notify_webhook_url=extension.get("notify_webhook_url"),
            notify_email=extension.get("notify_email"),
            demo=extension.get("demo", False),
            locations=extension.get("locations") or [],
        )
        partners[str(structure.get("id"))] = {"partner": partner, "services": []}
        names[str(structure.get("id"))] = f"structures[{index}]"
    for index, record in enumerate(data["services"]):
        if not isinstance(record, dict):
            problems.append(f"services[{index}]: expected an object")
            continue
        owner = partners.get(str(record.get("structure_id")))
        if owner is None:
            problems.append(f"services[{index}]: unknown structure_id {record.get('structure_id')!r}")
            continue
        extension = record.get("sixtcap") or {}
        service = {key: record.get(key) for key in SERVICE_FIELDS}
        for name in extension.get("inherits", []):
            service[name] = None
        service.update(
            {
                key: extension.get(key)
                for key in (
                    "age_min",
                    "age_max",
                    "places_total",
                    "places_available",
                    "capacity_updated_at",
                    "sources",
                    "demo",
                )
            }
        )
        service["sources"] = service["sources"] or []
        service["pre_requis"] = service["pre_requis"] or []
        service["justificatifs"] = service["justificatifs"] or []
        service["demo"] = service["demo"] or False
        service["mobilisable_par"] = service["mobilisable_par"] or []
        service["locations"] = extension.get("location_ids")
        owner["services"].append(service)
    return [(names[key], value) for key, value in partners.items()], problems
