"""The territory: communes, priority neighbourhoods (quartiers), helplines and the sources of it all,
read from `data/territory.yml`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import yaml

from nlu.text import fold


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float
    approximate: bool = False


@dataclass(frozen=True)
class Commune:
    name: str
    insee: str
    postcodes: tuple[str, ...]
    department: str
    latitude: float
    longitude: float
    aliases: tuple[str, ...]
    ambiguous_aliases: tuple[str, ...]

    @property
    def point(self) -> Point:
        return Point(self.latitude, self.longitude)


@dataclass(frozen=True)
class Quartier:
    name: str
    commune: str
    insee: tuple[str, ...]
    latitude: float | None
    longitude: float | None
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Helpline:
    number: str
    name: str
    audience: str
    hours: str
    cost: str
    website: str | None


@dataclass(frozen=True)
class Territory:
    communes: tuple[Commune, ...]
    quartiers: tuple[Quartier, ...]
    helplines: tuple[Helpline, ...]
    source_ids: frozenset[str]

    @cached_property
    def _communes_by_key(self) -> dict[str, Commune]:
        index: dict[str, Commune] = {}
        for commune in self.communes:
            for key in (commune.name, commune.insee, *commune.postcodes, *commune.aliases):
                index.setdefault(fold(key), commune)
        return index

    @cached_property
    def _quartiers_by_key(self) -> dict[str, Quartier]:
        index: dict[str, Quartier] = {}
        for quartier in self.quartiers:
            for key in (quartier.name, *quartier.aliases):
                index.setdefault(fold(key), quartier)
        return index

    def commune(self, name_or_code: str) -> Commune | None:
        """A commune by official name, INSEE code, postcode or alias (accents and case ignored)."""
        return self._communes_by_key.get(fold(name_or_code))

    def commune_by_insee(self, insee: str) -> Commune | None:
        return next((c for c in self.communes if c.insee == insee), None)

    def quartier(self, name: str) -> Quartier | None:
        return self._quartiers_by_key.get(fold(name))

    def point_of(self, commune: Commune, quartier: Quartier | None = None) -> Point:
        """The neighbourhood's point when known, else the commune point (then approximate if a
        neighbourhood was asked for)."""
        if quartier and quartier.latitude is not None and quartier.longitude is not None:
            return Point(quartier.latitude, quartier.longitude)
        return Point(commune.latitude, commune.longitude, approximate=quartier is not None)


def _commune(raw: dict[str, Any]) -> Commune:
    return Commune(
        name=str(raw["name"]),
        insee=str(raw["insee"]),
        postcodes=tuple(str(p) for p in raw.get("postcodes") or ()),
        department=str(raw["department"]),
        latitude=float(raw["lat"]),
        longitude=float(raw["lon"]),
        aliases=tuple(str(a) for a in raw.get("aliases") or ()),
        ambiguous_aliases=tuple(str(a) for a in raw.get("ambiguous_aliases") or ()),
    )


def _quartier(raw: dict[str, Any]) -> Quartier:
    lat, lon = raw.get("lat"), raw.get("lon")
    return Quartier(
        name=str(raw["name"]),
        commune=str(raw["commune"]),
        insee=tuple(str(i) for i in raw.get("insee") or ()),
        latitude=float(lat) if lat is not None else None,
        longitude=float(lon) if lon is not None else None,
        aliases=tuple(str(a) for a in raw.get("aliases") or ()),
    )


def _helpline(raw: dict[str, Any]) -> Helpline:
    website = raw.get("website")
    return Helpline(
        number=str(raw["number"]),
        name=str(raw["name"]),
        audience=str(raw.get("for", "")),
        hours=str(raw.get("hours", "")),
        cost=str(raw.get("cost", "")),
        website=str(website) if website else None,
    )


@cache
def load_territory(path: Path) -> Territory:
    with path.open(encoding="utf-8") as stream:
        raw = yaml.safe_load(stream)
    return Territory(
        communes=tuple(_commune(c) for c in raw["communes"]),
        quartiers=tuple(_quartier(q) for q in raw["quartiers"]),
        helplines=tuple(_helpline(h) for h in raw["helplines"]),
        source_ids=frozenset(str(s["id"]) for s in raw["sources"]),
    )
