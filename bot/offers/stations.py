"""Stations (data/offers/stations.yml): how far an offer's workplace is from public transport, for youths
without a driving licence or a car."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CELL_LAT, CELL_LON = 0.05, 0.075  # degrees: about 5.5 km around Paris; stations are looked up by cell


@dataclass(frozen=True)
class Stations:
    points: tuple[tuple[float, float], ...]
    far_km: float
    cells: dict[tuple[int, int], list[tuple[float, float]]] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        filed: dict[tuple[int, int], list[tuple[float, float]]] = defaultdict(list)
        for lat, lon in self.points:
            filed[_cell(lat, lon)].append((lat, lon))
        self.cells.update(filed)

    def nearest_km(self, latitude: float, longitude: float) -> float | None:
        """Distance to the nearest station (equirectangular, enough at this scale); None without data.
        The stations of the 3 x 3 cells around the point first: the nearest of them is the nearest of
        all when it is closer than a cell's width; else every station is measured."""
        if not self.points:
            return None
        row, column = _cell(latitude, longitude)
        around = [
            p for r in (-1, 0, 1) for c in (-1, 0, 1) for p in self.cells.get((row + r, column + c), ())
        ]
        sure_km = min(CELL_LAT * 110.574, CELL_LON * 111.320 * math.cos(math.radians(latitude)))
        best = min((flat_km(latitude, longitude, lat, lon) for lat, lon in around), default=math.inf)
        if best > sure_km:
            best = min(flat_km(latitude, longitude, lat, lon) for lat, lon in self.points)
        return round(best, 2)


def _cell(latitude: float, longitude: float) -> tuple[int, int]:
    return math.floor(latitude / CELL_LAT), math.floor(longitude / CELL_LON)


def flat_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance in km on a local flat projection: within 0.5 % of the geodesic one under 50 km here."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return 6371.0 * math.hypot(x, y)


def load_stations(path: Path) -> Stations:
    if not path.exists():
        return Stations((), 1.5)
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    points = tuple((float(s["lat"]), float(s["lon"])) for s in raw.get("stations") or ())
    return Stations(points, float(raw.get("far_km", 1.5)))
