"""Which offers to show a youth, and in which order.

`ranked_offers(session, rome_codes, point, profile, now)` is the one entry point (the conversation and
any other flow that turns a youth's words into offers use it): the offers of those ROME codes (any trade
when none) within the youth's radius, ordered by

1. distance, by bands (under 2 km, 5, 10, 20, 30, farther): nearer first;
2. within a band, the fit: a beginner sees the offers that accept beginners ("débutant accepté") first,
   then those asking no diploma above theirs (one level above for a training or an apprenticeship); a
   youth without a driving licence or a car sees the offers near a station (data/offers/stations.yml)
   before those far from one;
3. recency: the newest first.

Everything is done by the database on indexed columns: the grid cells covering the youth's disc
(bot/offers/grid.py), with the ROME codes or the kind in front, then the distance on a local flat
projection (plain arithmetic, the same on SQLite and PostgreSQL). The disc grows band by band, and only
until it holds the offers asked for (a sparse trade jumps to the band its density calls for): nothing
farther can come before them, so a dense area is read only around the youth."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, bindparam, case, literal, or_, select
from sqlalchemy.orm import Session

from bot.models import Offer
from bot.models.base import UTCDateTime
from bot.offers.grid import COARSE, FINE, FINE_UP_TO_KM
from bot.offers.store import showable
from bot.territory import Point

Wanted = Literal["job", "alternance", "training"]
BANDS_KM = (2.0, 5.0, 10.0, 20.0, 30.0)  # distance bands, nearer first; the discs read, in turn
KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON_EQUATOR = 111.320


@dataclass(frozen=True)
class Profile:
    """What the ranking needs to know of the youth (all optional but the radius)."""

    wanted: Wanted = "job"
    radius_km: float = 10.0
    beginner: bool = True  # no experience in the trade: offers accepting beginners first
    mobile: bool = False  # a driving licence and a car: offers far from a station are not held back
    far_km: float = 1.5  # farther than this from every station: "far from a station"
    diploma_level: int | None = None  # the youth's (European level, 0: none): offers asking more come later


@dataclass(frozen=True)
class RankedOffer:
    """An offer as a card shows it, with its distance to the youth."""

    source: str
    id: str
    title: str
    employer: str | None
    commune: str | None
    distance_km: float
    approximate: bool
    contract_type: str | None
    contract_label: str | None
    alternance: bool
    experience: str
    apply_url: str | None
    created_at: datetime
    far_from_station: bool
    is_demo: bool

    @property
    def key(self) -> str:
        """`source:id`, how the conversation remembers an offer it showed."""
        return f"{self.source}:{self.id}"


COLUMNS = (
    Offer.source,
    Offer.id,
    Offer.title,
    Offer.employer,
    Offer.commune,
    Offer.approximate,
    Offer.contract_type,
    Offer.contract_label,
    Offer.alternance,
    Offer.experience,
    Offer.apply_url,
    Offer.created_at,
    Offer.station_km,
    Offer.is_demo,
)


def _squared_km() -> ColumnElement[Any]:
    """The squared distance to the youth's point in km² (SQL, on bound parameters)."""
    dy = (Offer.latitude - bindparam("lat0")) * KM_PER_DEGREE_LAT
    dx = (Offer.longitude - bindparam("lon0")) * bindparam("per_lon")
    return dy * dy + dx * dx


def _wanted(wanted: Wanted, by_trade: bool) -> ColumnElement[bool]:
    """The kind of offers wanted, written so that the (kind, alternance, cell) index serves it: job and
    alternance both named even when either will do. With ROME codes, `kind` is read as `kind || ''` so
    that the database takes the (rome_code, cell) index instead, far more selective."""
    kind: Any = Offer.kind.concat("") if by_trade else Offer.kind
    if wanted == "alternance":
        return and_(kind == "job", Offer.alternance.is_(True))
    if wanted == "training":
        return or_(
            and_(kind == "training", Offer.alternance.in_((False, True))),
            and_(kind == "job", Offer.alternance.is_(True)),
        )
    return and_(kind == "job", Offer.alternance.in_((False, True)))


def _fit(beginner: bool, mobile: bool, diploma: bool) -> ColumnElement[Any]:
    """0 for the offers that fit best; more for those held back: experience asked (4), a diploma above
    the youth's (2), far from a station (1)."""
    experience = case((Offer.experience == "D", 0), else_=4) if beginner else literal(0)
    above = Offer.diploma_level > bindparam("max_level")
    level = case((above, 2), else_=0) if diploma else literal(0)
    far = Offer.station_km > bindparam("far_km")
    transit = case((far, 1), else_=0) if not mobile else literal(0)
    return experience + level + transit


def _band(squared: ColumnElement[Any]) -> ColumnElement[Any]:
    return case(
        *((squared <= edge * edge, index) for index, edge in enumerate(BANDS_KM)), else_=len(BANDS_KM)
    )


@lru_cache(maxsize=128)
def _statement(
    by_trade: bool, wanted: Wanted, beginner: bool, mobile: bool, diploma: bool, fine: bool
) -> Any:
    """The query of one shape, built once: everything that changes is a bound parameter (lat0, lon0,
    per_lon, radius2, cells, codes, far_km, max_level, now, wanted)."""
    squared, fit = _squared_km(), _fit(beginner, mobile, diploma)
    conditions = [
        (Offer.cell if fine else Offer.zone).in_(bindparam("cells", expanding=True)),
        squared <= bindparam("radius2"),
        _wanted(wanted, by_trade),
        showable(bindparam("now", type_=UTCDateTime())),
    ]
    if by_trade:
        conditions.insert(0, Offer.rome_code.in_(bindparam("codes", expanding=True)))
    return (
        select(*COLUMNS, squared.label("squared"), fit.label("fit"))
        .where(*conditions)
        .order_by(_band(squared), fit, Offer.created_at.desc(), Offer.id)
        .limit(bindparam("wanted"))
    )


def ranked_offers(
    session: Session,
    rome_codes: Sequence[str],
    point: Point,
    profile: Profile,
    now: datetime,
    limit: int = 5,
    offset: int = 0,
) -> list[RankedOffer]:
    """The offers for a youth at `point`, best first (see the module's docstring), `limit` of them after
    the first `offset` ("Plus d'offres" pages on). `rome_codes` empty: every trade."""
    wanted = offset + limit
    discs = [r for r in BANDS_KM if r < profile.radius_km] + [profile.radius_km]
    radius = discs[0]
    while True:
        rows = _read(session, rome_codes, point, profile, now, radius, wanted)
        if len(rows) == wanted or radius >= profile.radius_km:
            break  # a band is complete before any farther offer: nothing outside can come first
        # the disc that should hold `wanted` offers at this density (the area grows as the square)
        needed = radius * math.sqrt(wanted / max(len(rows), 1))
        radius = next((r for r in discs if r >= needed and r > radius), profile.radius_km)
    return [_ranked(row, profile) for row in rows[offset:]]


def _read(
    session: Session,
    rome_codes: Sequence[str],
    point: Point,
    profile: Profile,
    now: datetime,
    radius: float,
    wanted: int,
) -> Sequence[Any]:
    """The best `wanted` offers within `radius` of `point`."""
    per_lon = KM_PER_DEGREE_LON_EQUATOR * math.cos(math.radians(point.latitude))
    south, north = point.latitude - radius / KM_PER_DEGREE_LAT, point.latitude + radius / KM_PER_DEGREE_LAT
    west, east = point.longitude - radius / per_lon, point.longitude + radius / per_lon
    fine = radius <= FINE_UP_TO_KM
    diploma = profile.diploma_level is not None
    statement = _statement(bool(rome_codes), profile.wanted, profile.beginner, profile.mobile, diploma, fine)
    parameters = {
        "lat0": point.latitude,
        "lon0": point.longitude,
        "per_lon": per_lon,
        "radius2": radius * radius,
        "cells": (FINE if fine else COARSE).covering(south, west, north, east),
        "far_km": profile.far_km,
        "max_level": (profile.diploma_level or 0) + (0 if profile.wanted == "job" else 1),
        "now": now,
        "wanted": wanted,
    }
    if rome_codes:
        parameters["codes"] = list(rome_codes)
    return session.execute(statement, parameters).all()


def _ranked(row: Any, profile: Profile) -> RankedOffer:
    return RankedOffer(
        source=row.source,
        id=row.id,
        title=row.title,
        employer=row.employer,
        commune=row.commune,
        distance_km=round(math.sqrt(max(row.squared, 0.0)), 1),
        approximate=row.approximate,
        contract_type=row.contract_type,
        contract_label=row.contract_label,
        alternance=row.alternance,
        experience=row.experience,
        apply_url=row.apply_url,
        created_at=row.created_at,
        far_from_station=row.station_km is not None and row.station_km > profile.far_km,
        is_demo=row.is_demo,
    )
