"""Which services have a place near the youth, found by the database: an indexed box around the youth's
point (the places' `point_latitude`, `point_longitude`), joined to the services of those places that
offer one of the thématiques asked. Routing (bot/routing.py) ranks these only, radius by radius, instead
of measuring every service of the catalogue."""

from __future__ import annotations

import math
from collections.abc import Iterable

from sqlalchemy import ColumnElement, String, and_, bindparam, exists, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from bot.models import Location, Service, service_locations
from bot.territory import Point

KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON_EQUATOR = 111.320
MARGIN = 1.02  # the box is a prefilter: a little wider than the radius, routing measures exactly


def services_near(session: Session, point: Point, radius_km: float, thematiques: Iterable[str]) -> set[str]:
    """The ids of the services with a place within `radius_km` of `point` (a box that holds the disc),
    offering one of `thematiques`. One query, on the places' point index."""
    dlat = radius_km * MARGIN / KM_PER_DEGREE_LAT
    dlon = radius_km * MARGIN / (KM_PER_DEGREE_LON_EQUATOR * math.cos(math.radians(point.latitude)))
    place = and_(
        Location.partner_id == service_locations.c.partner_id, Location.id == service_locations.c.location_id
    )
    query = (
        select(service_locations.c.service_id)
        .join(Location, place)
        .join(Service, Service.id == service_locations.c.service_id)
        .where(
            Location.point_latitude.between(point.latitude - dlat, point.latitude + dlat),
            Location.point_longitude.between(point.longitude - dlon, point.longitude + dlon),
            _offers_any(session.get_bind().dialect.name, sorted(thematiques)),
        )
    )
    return set(session.scalars(query))


def _offers_any(dialect: str, thematiques: list[str]) -> ColumnElement[bool]:
    """The service offers one of these thématiques (a JSON list: `?|` on PostgreSQL, json_each on SQLite)."""
    if dialect == "postgresql":
        wanted = bindparam("thematiques", thematiques, type_=ARRAY(String))
        return Service.thematiques.op("?|")(wanted)
    each = func.json_each(Service.thematiques).table_valued("value")
    return exists(select(literal(1)).select_from(each).where(each.c.value.in_(thematiques)))
