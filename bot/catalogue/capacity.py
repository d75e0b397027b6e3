"""The places of a service ("places dispo"): the fields that hold them and the one rule they follow,
for the catalogue files and the staff's daily update alike."""

from __future__ import annotations

CAPACITY_FIELDS = ("places_total", "places_available", "capacity_updated_at")


def over_capacity(available: int | None, total: int | None) -> str | None:
    """Why these figures cannot be, or None: more places available than places in all."""
    if total is not None and available is not None and available > total:
        return f"places_available ({available}) is greater than places_total ({total})"
    return None
