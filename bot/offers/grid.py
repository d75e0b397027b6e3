"""A grid over France for the offers' spatial prefilter: each offer is filed under a fine cell (about
2 km) and a coarse zone (about 11 km), both indexed; a search lists the cells that cover the youth's
disc and asks the database for those cells only (an equality on an index, on SQLite and PostgreSQL
alike), then keeps the offers truly within the radius."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Grid:
    lat_step: float  # degrees
    lon_step: float

    def of(self, latitude: float, longitude: float) -> int:
        return self._key(
            math.floor(latitude / self.lat_step), math.floor((longitude + 180.0) / self.lon_step)
        )

    @staticmethod
    def _key(row: int, column: int) -> int:
        return row * 100_000 + column

    def covering(self, south: float, west: float, north: float, east: float) -> list[int]:
        """The cells a box overlaps."""
        rows = range(math.floor(south / self.lat_step), math.floor(north / self.lat_step) + 1)
        first, last = (math.floor((lon + 180.0) / self.lon_step) for lon in (west, east))
        return [self._key(row, column) for row in rows for column in range(first, last + 1)]


FINE = Grid(0.02, 0.03)  # about 2.2 km x 2.2 km around Paris
COARSE = Grid(0.1, 0.15)  # about 11 km x 11 km
FINE_UP_TO_KM = 10.0  # discs up to this radius are covered with fine cells, larger ones with zones
