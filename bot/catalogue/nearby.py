"""The services with a place near the youth, best first, found by the database: routing (bot/routing.py)
reads only the first few instead of measuring every service near the youth.

The order is routing's own, as far as the database can tell it: the concern's preferred partners first,
then the services with places left, then those whose capacity is unknown, then the full ones; within
each, the nearest place first, on a local flat projection (`flat_km`: within `FLAT_ERROR` of the geodesic
distance routing measures, so routing can tell which of the services read are surely in their final
place, and asks again for more when it cannot).

One query, on indexed columns: the services of known capacity (few: the network's) and those of the
preferred partners are read from the services (indexes on `places_available`, `partner_id`), then
their places in the box around the youth; those of unknown capacity (most, and all the imported ones)
from the places' point index (migration 0013), ring by ring (under 2 km, 2-5, 5-10, 10-25, 25-60 km),
each ring's nearest first under one LIMIT: the database stops at the ring that completes the page, so a
dense area is read only around the youth."""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Boolean, String, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from bot.catalogue.snapshot import transaction_version
from bot.db import prepared_at_once
from bot.territory import Point

RINGS_KM = (2.0, 5.0, 10.0, 25.0)  # the inner rings; the last one ends at the radius
# The flat distance differs from the geodesic one by less than this (relative), up to 100 km around
# Paris's latitudes (about 0.3 % there: a test measures it); routing reads this far beyond a radius.
FLAT_ERROR = 0.01
_GROUPS = (
    3  # the capacity groups: places left (0), unknown (1), full (2); a preferred partner's: 0-2, others 3-5
)


def km_per_degree(latitude: float) -> tuple[float, float]:
    """The length of a degree of latitude and of longitude at this latitude (WGS84), in km."""
    phi = math.radians(latitude)
    per_lat = 111.13292 - 0.55982 * math.cos(2 * phi) + 0.001175 * math.cos(4 * phi)
    per_lon = 111.41284 * math.cos(phi) - 0.0935 * math.cos(3 * phi)
    return per_lat, per_lon


def flat_km(a: Point, b: Point) -> float:
    """The distance the database orders by: a local flat projection at `a` (the youth's point)."""
    per_lat, per_lon = km_per_degree(a.latitude)
    return math.hypot((b.latitude - a.latitude) * per_lat, (b.longitude - a.longitude) * per_lon)


@dataclass(frozen=True)
class Around:
    """What routing asks: the services with a place within `radius_km` (flat) of `point`, offering one of
    `thematiques`, taking `ages`, inside or outside the network, the first `limit` of them in order."""

    point: Point
    radius_km: float
    thematiques: frozenset[str]
    outside: bool
    preferred: frozenset[str]  # partners that come first
    ages: tuple[int, int] | None
    limit: int


@dataclass(frozen=True)
class Near:
    service_id: str
    km: float  # flat distance to its nearest place
    group: int  # preferred partner and capacity: 0 (preferred, places left) to 5 (other, full)


SQUARED = (
    "(l.point_latitude - :lat0) * (l.point_latitude - :lat0) * :per_lat2"
    " + (l.point_longitude - :lon0) * (l.point_longitude - :lon0) * :per_lon2"
)
ROOM = "CASE WHEN s.places_available IS NULL THEN 1 WHEN s.places_available > 0 THEN 0 ELSE 2 END"


@lru_cache(maxsize=64)
def _statement(dialect: str, preferred: bool, rings: int) -> Any:
    """The query of one shape (a dialect, preferred partners or not, the number of rings), built once;
    everything that changes is a bound parameter. On PostgreSQL the lists are arrays, so the text does
    not change with their length (psycopg prepares it, the server keeps its plan)."""
    postgres = dialect == "postgresql"

    def among(column: str, name: str, negate: bool = False) -> str:
        if postgres:
            return f"{column} <> ALL(:{name})" if negate else f"{column} = ANY(:{name})"
        return f"{column} {'NOT IN' if negate else 'IN'} :{name}"

    offers = (
        "jsonb_exists_any(s.thematiques, :thematiques)"
        if postgres
        else "EXISTS (SELECT 1 FROM json_each(s.thematiques) AS t WHERE t.value IN :thematiques)"
    )
    common = [
        "s.active",
        "p.active",
        "p.outside_network = :outside",
        "COALESCE(s.age_max, 200) >= :age_low",
        "COALESCE(s.age_min, 0) <= :age_high",
        offers,
    ]

    def box(ring: int) -> list[str]:
        return [
            f"l.point_latitude BETWEEN :lat0 - :dlat_{ring} AND :lat0 + :dlat_{ring}",
            f"l.point_longitude BETWEEN :lon0 - :dlon_{ring} AND :lon0 + :dlon_{ring}",
        ]

    # The database starts from the services (few, by an index on capacity or partner: each of their
    # places measured), or from the places in the box, then joins the rest. SQLite joins in the order
    # written with CROSS JOIN; PostgreSQL plans a subquery with OFFSET 0 on its own, and a LATERAL one
    # for each row before it (its estimates of the JSON and box conditions would otherwise start from
    # every service or every place in the box, in the generic plan it keeps once the query is prepared)
    pairs = "l.partner_id = sl.partner_id AND l.id = sl.location_id"

    def source(by_place: bool, where: list[str], ring: int, preferred_first: bool = False) -> str:
        """FROM ... WHERE: the services of this branch, with their places in the ring's box."""
        if postgres and by_place:
            fenced = f"SELECT * FROM locations AS l WHERE {' AND '.join(box(ring))} OFFSET 0"
            tables = f"({fenced}) AS l CROSS JOIN service_locations AS sl CROSS JOIN services AS s"
            conditions = [pairs, "sl.service_id = s.id", *where]
        elif postgres:
            fenced = f"SELECT * FROM services AS s WHERE {' AND '.join(where)} OFFSET 0"
            places = (
                "SELECT l.point_latitude, l.point_longitude FROM service_locations AS sl "
                f"JOIN locations AS l ON {pairs} WHERE sl.service_id = s.id OFFSET 0"
            )
            tables = f"({fenced}) AS s CROSS JOIN LATERAL ({places}) AS l"
            conditions = []
        elif by_place:
            tables = "locations AS l CROSS JOIN service_locations AS sl CROSS JOIN services AS s"
            conditions = [*box(ring), pairs, "sl.service_id = s.id", *where]
        else:  # named, or SQLite reads every service in the order of its id, for the GROUP BY
            index = "ix_services_partner_id" if preferred_first else "ix_services_places_available"
            tables = f"services AS s INDEXED BY {index} CROSS JOIN service_locations AS sl"
            tables += " CROSS JOIN locations AS l"
            conditions = [*where, "sl.service_id = s.id", pairs]
        conditions = [*conditions, "p.id = s.partner_id", *common]
        return f"FROM {tables} CROSS JOIN partners AS p WHERE {' AND '.join(conditions)}"

    def branch(name: str, by_place: bool, where: list[str], group: str, ring: int) -> str:
        start = source(by_place, where, ring, name == "b")
        inner = by_place and ring > 0
        having = f"MIN(squared) <= :outer_{ring}" + (f" AND MIN(squared) > :inner_{ring}" if inner else "")
        return (
            f"SELECT * FROM (SELECT id, MIN(squared) AS squared, grp, {ring} AS ring FROM ("
            f"SELECT s.id AS id, {SQUARED} AS squared, {group} AS grp {start}"
            f") AS q{name} GROUP BY id, grp HAVING {having} ORDER BY grp, squared, id LIMIT :wanted) "
            f"AS {name}"
        )

    last = rings - 1
    others = [among("s.partner_id", "preferred", negate=True)] if preferred else []
    branches = []
    if preferred:  # the preferred partners' services, every capacity, from the partner index
        branches.append(branch("b", False, [among("s.partner_id", "preferred")], ROOM, last))
    branches.append(branch("r", False, ["s.places_available > 0", *others], "3", last))
    for ring in range(rings):  # unknown capacity: ring by ring, from the places' point index
        branches.append(branch(f"u{ring}", True, ["s.places_available IS NULL", *others], "4", ring))
    branches.append(branch("f", False, ["s.places_available <= 0", *others], "5", last))
    sql = f"SELECT id, squared, grp, ring FROM ({' UNION ALL '.join(branches)} LIMIT :wanted) AS n"
    names = ["thematiques", *(["preferred"] if preferred else [])]
    if postgres:
        binds = [bindparam(name, type_=ARRAY(String)) for name in names]
    else:
        binds = [bindparam(name, expanding=True) for name in names]
    return text(sql).bindparams(*binds, bindparam("outside", type_=Boolean()))


def nearest_services(session: Session, around: Around) -> list[Near]:
    """The services near the youth in routing's order (see the module's docstring), the first
    `around.limit`. One query."""
    point = around.point
    per_lat, per_lon = km_per_degree(point.latitude)
    discs = [r for r in RINGS_KM if r < around.radius_km] + [around.radius_km]
    low, high = around.ages if around.ages is not None else (-1, 1_000)
    parameters: dict[str, Any] = {
        "lat0": point.latitude,
        "lon0": point.longitude,
        "per_lat2": per_lat * per_lat,
        "per_lon2": per_lon * per_lon,
        "thematiques": sorted(around.thematiques),
        "outside": around.outside,
        "age_low": low,
        "age_high": high,
        "wanted": around.limit,
    }
    if around.preferred:
        parameters["preferred"] = sorted(around.preferred)
    inner = 0.0
    for ring, radius in enumerate(discs):
        parameters[f"dlat_{ring}"], parameters[f"dlon_{ring}"] = radius / per_lat, radius / per_lon
        parameters[f"inner_{ring}"], parameters[f"outer_{ring}"] = inner * inner, radius * radius
        inner = radius
    connection = session.connection()
    statement = _statement(connection.dialect.name, bool(around.preferred), len(discs))
    with prepared_at_once(connection):
        found = list(connection.execute(statement, parameters))
    rows = sorted(found, key=lambda r: (r.grp, r.ring, r.squared, r.id))
    return [Near(r.id, math.sqrt(max(r.squared, 0.0)), r.grp) for r in rows]


class NearbyCache:
    """`nearest_services`'s answers, kept while the catalogue's version stays the same: they read only
    the catalogue (services, partners, their places), which does not change without changing the version
    (bot/catalogue/snapshot.py; its cache of the services relies on the same). A youth's point is their
    town's or neighbourhood's, so the same questions come again and again: most turns that look for
    places then make no query. At most `size` answers, the least recently asked dropped first;
    thread-safe."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._version: tuple[object, ...] | None = None
        self._answers: OrderedDict[Around, tuple[Near, ...]] = OrderedDict()

    def nearest(self, session: Session, around: Around) -> list[Near]:
        """`nearest_services(session, around)`, from the cache when the catalogue has not changed."""
        version = transaction_version(session)
        with self._lock:
            if version != self._version:
                self._answers.clear()
                self._version = version
            known = self._answers.get(around)
            if known is not None:
                self._answers.move_to_end(around)
                return list(known)
        found = tuple(nearest_services(session, around))
        with self._lock:
            if version == self._version:
                self._answers[around] = found
                while len(self._answers) > self.size:
                    self._answers.popitem(last=False)
        return list(found)


def services_near(session: Session, point: Point, radius_km: float, thematiques: Iterable[str]) -> set[str]:
    """The ids of every service with a place within `radius_km` (flat) of `point` offering one of
    `thematiques`, inside or outside the network (for the checks of the tests)."""
    found: set[str] = set()
    for outside in (False, True):
        around = Around(point, radius_km, frozenset(thematiques), outside, frozenset(), None, 1_000_000)
        found |= {near.service_id for near in nearest_services(session, around)}
    return found
