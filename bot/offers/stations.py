"""Stations (data/offers/stations.yml): how far an offer's workplace is from public transport, for youths
without a driving licence or a car."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Stations:
    points: tuple[tuple[float, float], ...]
    far_km: float

    def nearest_km(self, latitude: float, longitude: float) -> float | None:
        """Distance to the nearest station (equirectangular, enough at this scale); None without data."""
        if not self.points:
            return None
        return round(min(flat_km(latitude, longitude, lat, lon) for lat, lon in self.points), 2)


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
