"""An in-memory, read-only view of the active catalogue for routing, refreshed when the database
changes (a cheap version query per use instead of loading every service each turn).

Anything that changes a service or a partner (catalogue load, capacity update) must set `updated_at`,
which is what the version looks at."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot.models import Partner, Service


@dataclass(frozen=True)
class Place:
    id: str
    nom: str | None
    adresse: str | None
    code_postal: str | None
    commune: str
    latitude: float
    longitude: float
    approximate: bool


@dataclass(frozen=True)
class ServiceView:
    id: str
    nom: str
    partner_id: str
    partner_nom: str
    partner_kind: str
    thematiques: frozenset[str]
    publics: frozenset[str]
    frais: str
    age_min: int | None
    age_max: int | None
    zone: tuple[str, ...]
    in_person: bool
    remote: bool
    places: tuple[Place, ...]
    hours: str | None
    partner_hours: str | None
    telephone: str | None
    site_web: str | None
    lien_mobilisation: str | None
    places_available: int | None
    is_demo: bool
    demo_fields: frozenset[str]
    description: str | None = None
    frais_precisions: str | None = None
    conditions_acces: str | None = None
    pre_requis: tuple[str, ...] = ()
    justificatifs: tuple[str, ...] = ()
    modes_mobilisation: frozenset[str] = frozenset()
    courriel: str | None = None
    outside_network: bool = False  # from data·inclusion, not a 6Tcap partner: never a handoff target
    source: str | None = None  # outside the network: the producer of the data (dora, soliguide...)
    date_maj: date | None = None  # outside the network: the date of the data
    main_thematique: str | None = None  # the first of its thématiques: what the service is mainly about
    reseaux: frozenset[str] = frozenset()  # the partner's networks (reseaux_porteurs: france-travail...)

    @property
    def has_room(self) -> bool | None:
        """True with places left, False when full, None when unknown."""
        return None if self.places_available is None else self.places_available > 0


def _view(service: Service) -> ServiceView:
    partner = service.partner
    demo = frozenset(service.demo_fields) | {f"partner.{f}" for f in partner.demo_fields}
    return ServiceView(
        id=service.id,
        nom=service.nom,
        partner_id=partner.id,
        partner_nom=partner.nom,
        partner_kind=partner.kind,
        thematiques=frozenset(service.thematiques),
        main_thematique=service.thematiques[0] if service.thematiques else None,
        publics=frozenset(service.publics),
        frais=service.frais,
        age_min=service.age_min,
        age_max=service.age_max,
        zone=tuple(service.zone_eligibilite),
        # data·inclusion may leave modes_accueil out: a service with a place is taken as in person
        in_person="en-presentiel" in service.modes_accueil
        or (not service.modes_accueil and bool(service.locations)),
        remote="a-distance" in service.modes_accueil,
        places=tuple(
            Place(
                loc.id,
                loc.nom,
                loc.adresse,
                loc.code_postal,
                loc.commune,
                loc.point_latitude,
                loc.point_longitude,
                loc.approximate,
            )
            for loc in service.locations
        ),
        hours=service.horaires_accueil or partner.horaires_accueil,
        partner_hours=partner.horaires_accueil,
        telephone=service.telephone or partner.telephone,
        site_web=partner.site_web,
        lien_mobilisation=service.lien_mobilisation,
        places_available=service.places_available,
        is_demo=service.is_demo or partner.is_demo,
        demo_fields=demo,
        description=service.description,
        frais_precisions=service.frais_precisions,
        conditions_acces=service.conditions_acces,
        pre_requis=tuple(service.pre_requis or ()),
        justificatifs=tuple(service.justificatifs or ()),
        modes_mobilisation=frozenset(service.modes_mobilisation),
        courriel=service.courriel or partner.courriel,
        outside_network=partner.outside_network,
        source=service.source or partner.source,
        date_maj=service.date_maj or partner.date_maj,
        reseaux=frozenset(partner.reseaux_porteurs or ()),
    )


VERSION_KEY = "catalogue_version"  # of Session.info
VERSION_COLUMNS = (
    select(func.count()).select_from(Service).scalar_subquery(),
    select(func.max(Service.updated_at)).scalar_subquery(),
    select(func.count()).select_from(Partner).scalar_subquery(),
    select(func.max(Partner.updated_at)).scalar_subquery(),
)  # a statement may read them beside its own columns (`seen_version`): no round trip of their own
VERSION_QUERY = select(*VERSION_COLUMNS)  # built once: building it costs more than running it


def catalogue_version(session: Session) -> tuple[object, ...]:
    """Changes whenever a service or a partner is added, removed or updated. One round trip."""
    return tuple(session.execute(VERSION_QUERY).one())


def seen_version(session: Session, version: tuple[object, ...]) -> None:
    """The catalogue's version, read by a statement of this transaction with VERSION_COLUMNS: the cache
    will not ask for it again in this transaction."""
    session.info[VERSION_KEY] = (session.get_transaction(), tuple(version))


def transaction_version(session: Session) -> tuple[object, ...]:
    """The catalogue's version as this transaction sees it: asked once per transaction (a turn asks
    several times), not at all when a statement of the transaction read it already (`seen_version`)."""
    transaction = session.get_transaction()
    known = session.info.get(VERSION_KEY)
    if transaction is not None and known is not None and known[0] is transaction:
        return tuple(known[1])
    version = catalogue_version(session)
    seen_version(session, version)
    return version


def load_services(session: Session) -> tuple[ServiceView, ...]:
    rows = session.scalars(
        select(Service)
        .join(Service.partner)
        .where(Service.active, Partner.active)
        .order_by(Service.partner_id, Service.position)
        .options(selectinload(Service.partner), selectinload(Service.locations))
    ).all()
    return tuple(_view(row) for row in rows)


class CatalogueCache:
    """The active services, reloaded only when the catalogue version changes. Thread-safe: the version
    and its services are replaced together, read without a lock (a turn reads them several times; a
    thread holding a lock can lose the CPU inside it, and every other turn then waits); the lock only
    keeps two threads from loading the same version at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: tuple[tuple[object, ...] | None, tuple[ServiceView, ...]] = (None, ())

    def services(self, session: Session) -> tuple[ServiceView, ...]:
        """The active services; the version is asked once per transaction (a turn asks several times)."""
        version = transaction_version(session)
        known, services = self._known
        if version == known:
            return services
        with self._lock:
            if version != self._known[0]:
                self._known = (version, load_services(session))
            return self._known[1]
