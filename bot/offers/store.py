"""Offers in the database: the one shape every importer gives (`OfferIn`), the idempotent upsert by
(source, id), and expiry (offers gone from their source's last refresh, or past their end date).

An importer maps its source's JSON to `OfferIn`; `save_offers` writes them in one transaction: an offer
seen again is updated (never duplicated), its `last_seen_at` moves on, and a refresh that saw the whole
source then calls `expire_unseen`, which hides every offer of that source it did not see."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator, model_validator
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from bot.db import insert_for
from bot.enums import OfferSource
from bot.models import Offer
from bot.offers.grid import COARSE, FINE
from bot.offers.stations import Stations
from bot.territory import Territory
from bot.yamlfile import describe_error, dotted

CONTRACTS = ("CDI", "CDD", "MIS", "SAI", "LIB", "FRA", "CCE", "DDI", "DIN", "TTI", "APP", "PRO", "FOR", "STA")
EXPERIENCE = {"D": "débutant accepté", "S": "expérience souhaitée", "E": "expérience exigée"}


class OfferIn(BaseModel):
    """One offer as every source gives it to sixtcap (France Travail's field meanings, English names).
    The workplace is a point (latitude and longitude) or, failing that, a commune of the territory (its
    INSEE code or name), whose point is then used and flagged approximate."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=120)
    kind: Literal["job", "training"] = "job"
    title: str = Field(min_length=2, max_length=300)
    description: str | None = Field(default=None, max_length=20_000)
    employer: str | None = Field(default=None, max_length=300)
    rome_code: str | None = Field(default=None, pattern=r"^[A-N][0-9]{4}$")
    rome_label: str | None = Field(default=None, max_length=200)
    contract_type: str | None = Field(default=None, max_length=20)
    contract_label: str | None = Field(default=None, max_length=100)
    alternance: bool = False
    experience: Literal["D", "S", "E"] = "S"
    diploma_level: int | None = Field(default=None, ge=0, le=8)
    commune: str | None = Field(default=None, max_length=100)
    code_insee: str | None = Field(default=None, pattern=r"^[0-9][0-9AB][0-9]{3}$")
    code_postal: str | None = Field(default=None, pattern=r"^[0-9]{5}$")
    latitude: float | None = Field(default=None, ge=41.0, le=51.5)  # metropolitan France
    longitude: float | None = Field(default=None, ge=-5.5, le=10.0)
    salary: str | None = Field(default=None, max_length=200)
    working_time: str | None = Field(default=None, max_length=200)
    apply_url: HttpUrl | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    expires_at: datetime | None = None
    is_demo: bool = False

    @field_validator("created_at", "updated_at", "expires_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give the time zone (2026-11-27T09:00:00+01:00 or ...Z)")
        return value

    @field_validator("contract_type")
    @classmethod
    def _contract(cls, value: str | None) -> str | None:
        if value is not None and value.upper() not in CONTRACTS:
            raise ValueError(f"unknown contract type, one of {', '.join(CONTRACTS)}")
        return value.upper() if value else value

    @model_validator(mode="after")
    def _place(self) -> OfferIn:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together")
        if self.latitude is None and not (self.code_insee or self.commune):
            raise ValueError("give the workplace: latitude and longitude, or the commune (code_insee)")
        return self


@dataclass(frozen=True)
class RowProblem:
    """What is wrong with one offer of a batch: `where` is its line or index, as the person sees it."""

    where: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.reason}" if self.field else f"{self.where}: {self.reason}"


class OffersInvalid(Exception):
    """A batch with problems: nothing of it was written."""

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = list(problems)


def parse_offers(rows: Iterable[tuple[str, dict[str, Any]]]) -> list[OfferIn]:
    """Check every (where, raw offer) pair; raise OffersInvalid with one line per problem (every problem of
    the batch, not only the first), including an id given twice."""
    problems: list[RowProblem] = []
    offers: list[OfferIn] = []
    first_seen: dict[str, str] = {}
    for where, raw in rows:
        if not isinstance(raw, dict):
            problems.append(RowProblem(where, "", "an offer must be an object of fields"))
            continue
        try:
            offer = OfferIn.model_validate(raw)
        except ValidationError as error:
            for item in error.errors():
                field = dotted([part for part in item["loc"] if isinstance(part, str | int)])
                problems.append(RowProblem(where, field, describe_error(item)))
            continue
        if offer.id in first_seen:
            problems.append(RowProblem(where, "id", f"{offer.id!r} already given at {first_seen[offer.id]}"))
            continue
        first_seen[offer.id] = where
        offers.append(offer)
    if problems:
        raise OffersInvalid(problems)
    return offers


@dataclass(frozen=True)
class Placed:
    """Where an offer sits: its point, whether that is the commune's, and the commune's names."""

    latitude: float
    longitude: float
    approximate: bool
    commune: str | None
    code_insee: str | None


def place_of(offer: OfferIn, territory: Territory) -> Placed | None:
    """The offer's point, or its commune's (approximate); None when neither is known."""
    commune = territory.commune(offer.code_insee or "") or territory.commune(offer.commune or "")
    name = offer.commune or (commune.name if commune else None)
    insee = offer.code_insee or (commune.insee if commune else None)
    if offer.latitude is not None and offer.longitude is not None:
        return Placed(offer.latitude, offer.longitude, False, name, insee)
    if commune is None:
        return None
    return Placed(commune.latitude, commune.longitude, True, commune.name, commune.insee)


def unplaced(offers: Sequence[OfferIn], territory: Territory) -> list[RowProblem]:
    """The offers whose workplace cannot be placed (no point, and a commune outside the territory)."""
    return [
        RowProblem(offer.id, "code_insee", "no coordinates and a commune sixtcap cannot place")
        for offer in offers
        if place_of(offer, territory) is None
    ]


@dataclass(frozen=True)
class Saved:
    """What a save did."""

    created: int
    updated: int
    skipped: int  # no place for them (see `unplaced`)


def save_offers(
    session: Session,
    source: OfferSource | str,
    offers: Sequence[OfferIn],
    now: datetime,
    territory: Territory,
    stations: Stations,
) -> Saved:
    """Insert or update each offer by (source, id), marked seen now and active again. Offers that cannot
    be placed are skipped (importers of remote sources) — files and the API refuse them first."""
    ids = [o.id for o in offers]
    known: set[str] = set()
    for start in range(0, len(ids), 5000):  # PostgreSQL takes at most 65,535 parameters a statement
        chunk = ids[start : start + 5000]
        known.update(
            session.scalars(select(Offer.id).where(Offer.source == str(source), Offer.id.in_(chunk)))
        )
    rows: list[dict[str, Any]] = []
    keep_created: list[dict[str, Any]] = []  # no creation date given: an update keeps the stored one
    for offer in offers:
        placed = place_of(offer, territory)
        if placed is None:
            continue
        values = {"source": str(source), "id": offer.id, **row_values(offer, placed, now, stations)}
        (rows if offer.created_at is not None else keep_created).append(values)
    for batch, columns in ((rows, COLUMNS), (keep_created, COLUMNS - {"created_at"})):
        if batch:
            statement = insert_for(session, Offer)
            update_set = {name: statement.excluded[name] for name in columns}
            session.execute(
                statement.on_conflict_do_update(index_elements=["source", "id"], set_=update_set), batch
            )
    written = len(rows) + len(keep_created)
    updated = len(known & {row["id"] for row in rows + keep_created})
    return Saved(written - updated, updated, len(offers) - written)


COLUMNS = frozenset(c.name for c in Offer.__table__.columns) - {"source", "id"}


def row_values(offer: OfferIn, placed: Placed, now: datetime, stations: Stations) -> dict[str, Any]:
    return {
        "kind": offer.kind,
        "title": offer.title,
        "description": offer.description,
        "employer": offer.employer,
        "rome_code": offer.rome_code,
        "rome_label": offer.rome_label,
        "contract_type": offer.contract_type,
        "contract_label": offer.contract_label,
        "alternance": offer.alternance,
        "experience": offer.experience,
        "diploma_level": offer.diploma_level,
        "commune": placed.commune,
        "code_insee": placed.code_insee,
        "code_postal": offer.code_postal,
        "latitude": placed.latitude,
        "longitude": placed.longitude,
        "approximate": placed.approximate,
        "cell": FINE.of(placed.latitude, placed.longitude),
        "zone": COARSE.of(placed.latitude, placed.longitude),
        "station_km": stations.nearest_km(placed.latitude, placed.longitude),
        "salary": offer.salary,
        "working_time": offer.working_time,
        "apply_url": str(offer.apply_url) if offer.apply_url else None,
        "created_at": offer.created_at or now,
        "updated_at": offer.updated_at or offer.created_at or now,
        "expires_at": offer.expires_at,
        "last_seen_at": now,
        "expired_at": None,
        "is_demo": offer.is_demo,
    }


def expire_unseen(session: Session, source: OfferSource | str, refresh_started: datetime) -> int:
    """After a complete refresh of `source`: its offers not seen since the refresh started are gone from
    it, so they are no longer shown. How many expired."""
    result = session.execute(
        update(Offer)
        .where(
            Offer.source == str(source),
            Offer.last_seen_at < refresh_started,
            Offer.expired_at.is_(None),
        )
        .values(expired_at=refresh_started)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def expire_past(session: Session, now: datetime) -> int:
    """Offers whose end date has passed are no longer shown. How many expired."""
    result = session.execute(
        update(Offer)
        .where(Offer.expired_at.is_(None), Offer.expires_at.is_not(None), Offer.expires_at <= now)
        .values(expired_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def showable(now: Any) -> Any:
    """The SQL condition of an offer that may be shown at `now` (a time, or a bound parameter)."""
    return and_(Offer.expired_at.is_(None), or_(Offer.expires_at.is_(None), Offer.expires_at > now))
