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

Everything is done by the database, in one query, on indexed columns: the grid cells covering the
youth's disc (bot/offers/grid.py), with the ROME codes or the kind in front, then the distance on a
local flat projection (plain arithmetic, the same on SQLite and PostgreSQL). The query reads the disc
ring by ring (under 2 km, then 2 to 5 km...), and the database stops at the ring that completes the
offers asked for: nothing farther can come before them, so a dense area is read only around the
youth."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import Boolean, Integer, String, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from bot.db import prepared_at_once
from bot.models.base import UTCDateTime
from bot.offers.grid import COARSE, FINE, FINE_UP_TO_KM
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


SHOWN = (  # what a card shows, read for the offers kept only
    "source, id, title, employer, commune, approximate, contract_type, contract_label, alternance, "
    "experience, apply_url, created_at, station_km, is_demo"
)
# the squared distance to the youth's point in km², on a local flat projection
SQUARED = (
    f"(latitude - :lat0) * (latitude - :lat0) * {KM_PER_DEGREE_LAT**2:.3f}"
    " + (longitude - :lon0) * (longitude - :lon0) * :per_lon2"
)
WANTED = {  # the kind wanted, written so that the (kind, alternance, cell) index serves it: job and
    # alternance both named even when either will do
    "job": "kind = 'job' AND alternance IN (:no, :yes)",
    "alternance": "kind = 'job' AND alternance = :yes",
    "training": "(kind = 'training' AND alternance IN (:no, :yes) OR kind = 'job' AND alternance = :yes)",
}
WANTED_BY_TRADE = {  # with ROME codes, `kind || ''` and `(alternance AND :yes)` so that the (rome_code,
    # cell) index serves instead (PostgreSQL would add a scan of the whole (kind, alternance) index for
    # `alternance = :yes`)
    "job": "kind || '' = 'job'",
    "alternance": "kind || '' = 'job' AND (alternance AND :yes)",
    "training": "(kind || '' = 'training' OR kind || '' = 'job' AND (alternance AND :yes))",
}


def _fit(beginner: bool, mobile: bool, diploma: bool) -> str:
    """0 for the offers that fit best; more for those held back: experience asked (4), a diploma above
    the youth's (2), far from a station (1)."""
    terms = []
    if beginner:
        terms.append("CASE WHEN experience = 'D' THEN 0 ELSE 4 END")
    if diploma:
        terms.append("CASE WHEN diploma_level > :max_level THEN 2 ELSE 0 END")
    if not mobile:
        terms.append("CASE WHEN station_km > :far_km THEN 1 ELSE 0 END")
    return " + ".join(terms) or "0"


@lru_cache(maxsize=256)
def _statement(
    dialect: str,
    by_trade: bool,
    wanted: Wanted,
    beginner: bool,
    mobile: bool,
    diploma: bool,
    fine: tuple[bool, ...],
) -> Any:
    """The query of one shape, built once: one branch per ring of the disc (under 2 km, 2-5 km...; `fine`
    says which are covered with fine cells), each the ring's best `wanted` offers, chained with UNION ALL
    under one LIMIT. The database runs the branches in turn and stops as soon as it has `wanted` offers:
    a dense area is read only around the youth, in one round trip; the columns a card shows are read
    for the offers kept only. Everything that changes is a bound parameter (lat0, lon0, per_lon2,
    inner_k, outer_k, cells_k, codes, far_km, max_level, now, wanted). On PostgreSQL the cells and codes
    are arrays (`= ANY`), so the text never changes with their number: psycopg keeps it converted (it
    must stay under its 4 kB cache limit) and prepares it once per connection, the server keeps its plan.
    With ROME codes, `kind` is read as `kind || ''` so that the database takes the (rome_code, cell)
    index, far more selective."""
    postgres = dialect == "postgresql"

    def among(column: str, name: str) -> str:
        return f"{column} = ANY(:{name})" if postgres else f"{column} IN :{name}"

    conditions = [
        (WANTED_BY_TRADE if by_trade else WANTED)[wanted],
        "expired_at IS NULL AND (expires_at IS NULL OR expires_at > :now)",  # bot/offers/store.py showable
    ]
    if by_trade:
        conditions.insert(0, among("rome_code", "codes"))
    branches = []
    for ring, fine_cells in enumerate(fine):
        where = " AND ".join([among("cell" if fine_cells else "zone", f"cells_{ring}"), *conditions])
        ring_only = f"squared <= :outer_{ring}" + (f" AND squared > :inner_{ring}" if ring else "")
        branches.append(
            f"SELECT * FROM (SELECT * FROM (SELECT source, id, created_at, {SQUARED} AS squared, "
            f"{_fit(beginner, mobile, diploma)} AS fit, {ring} AS ring FROM offers WHERE {where}) AS q "
            f"WHERE {ring_only} ORDER BY fit, created_at DESC, id LIMIT :wanted) AS r{ring}"
        )
    sql = (
        f"SELECT {', '.join('o.' + c for c in SHOWN.split(', '))}, r.squared, r.fit, r.ring "
        f"FROM ({' UNION ALL '.join(branches)} LIMIT :wanted) AS r "
        "JOIN offers AS o ON o.source = r.source AND o.id = r.id"
    )
    arrays = {"codes": String} | {f"cells_{ring}": Integer for ring in range(len(fine))}
    binds: list[Any]
    if postgres:
        binds = [
            bindparam(name, type_=ARRAY(item)) for name, item in arrays.items() if by_trade or name != "codes"
        ]
    else:
        binds = [bindparam(name, expanding=True) for name in arrays if by_trade or name != "codes"]
    if not postgres:  # SQLite compares the text SQLAlchemy writes; psycopg sends a timestamptz itself
        binds.append(bindparam("now", type_=UTCDateTime()))
    flags = {name: Boolean() for name in ("approximate", "alternance", "is_demo")}
    return text(sql).bindparams(*binds).columns(created_at=UTCDateTime(), **flags)


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
    the first `offset` ("Plus d'offres" pages on). `rome_codes` empty: every trade. One query."""
    wanted = offset + limit
    discs = [r for r in BANDS_KM if r < profile.radius_km] + [profile.radius_km]
    per_lon = KM_PER_DEGREE_LON_EQUATOR * math.cos(math.radians(point.latitude))
    parameters: dict[str, Any] = {
        "lat0": point.latitude,
        "lon0": point.longitude,
        "per_lon2": per_lon * per_lon,
        "far_km": profile.far_km,
        "max_level": (profile.diploma_level or 0) + (0 if profile.wanted == "job" else 1),
        "now": now,
        "wanted": wanted,
        "no": False,
        "yes": True,
    }
    inner = 0.0
    for ring, radius in enumerate(discs):
        south = point.latitude - radius / KM_PER_DEGREE_LAT
        north = point.latitude + radius / KM_PER_DEGREE_LAT
        west, east = point.longitude - radius / per_lon, point.longitude + radius / per_lon
        grid = FINE if radius <= FINE_UP_TO_KM else COARSE
        parameters[f"cells_{ring}"] = grid.covering(south, west, north, east)
        parameters[f"inner_{ring}"], parameters[f"outer_{ring}"] = inner * inner, radius * radius
        inner = radius
    if rome_codes:
        parameters["codes"] = list(rome_codes)
    connection = session.connection()
    statement = _statement(
        connection.dialect.name,
        bool(rome_codes),
        profile.wanted,
        profile.beginner,
        profile.mobile,
        profile.diploma_level is not None,
        tuple(radius <= FINE_UP_TO_KM for radius in discs),
    )
    with prepared_at_once(connection):
        rows = list(connection.execute(statement, parameters))
    # nearest ring first, then the fit, the newest, the id (the database gives them joined, unordered)
    rows.sort(key=lambda row: (row.ring, row.fit, -row.created_at.timestamp(), row.id))
    return [_ranked(row, profile) for row in rows[offset:]]


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
