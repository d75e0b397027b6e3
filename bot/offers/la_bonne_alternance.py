"""La bonne alternance (the apprenticeship offers and the companies that hire apprentices, by ROME codes
around a point): `GET /job/v1/search?romes=...&latitude=...&longitude=...&radius=...` with a bearer
token. The answer has `jobs` (offers: apprenticeship or professionalisation contracts) and `recruiters`
(companies likely to hire an apprentice without a published offer: a spontaneous application).

Offers that La bonne alternance relays from France Travail are left out when France Travail is read
directly (one offer, one card)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
from pydantic import ValidationError

from bot.offers.france_travail import Fetched
from bot.offers.remote import Politeness, SourceFailed, call
from bot.offers.store import OfferIn

ROMES_PER_CALL = 20
CONTRACTS = {"apprentissage": "APP", "professionnalisation": "PRO"}


class LaBonneAlternance:
    def __init__(
        self,
        token: str,
        search_url: str,
        caller: str,
        politeness: Politeness | None = None,
        client: httpx.Client | None = None,
        skip_france_travail: bool = True,
    ) -> None:
        self._token, self.search_url, self.caller = token, search_url, caller
        self.politeness = politeness or Politeness()
        self.client = client or httpx.Client()
        self.skip_france_travail = skip_france_travail

    def token(self, renew: bool) -> str:
        if renew:  # a long-lived token: a 401 means it is wrong or revoked, asking again will not help
            raise SourceFailed("the token was refused (401): check SIXTCAP_LA_BONNE_ALTERNANCE_TOKEN")
        return self._token

    def search(
        self, romes: Sequence[str], latitude: float, longitude: float, radius_km: int
    ) -> dict[str, Any]:
        params = {
            "romes": ",".join(romes),
            "latitude": f"{latitude:.5f}",
            "longitude": f"{longitude:.5f}",
            "radius": radius_km,
            "caller": self.caller,
        }
        response = call(self.client, "GET", self.search_url, self.politeness, self.token, params=params)
        try:
            body = response.json()
        except ValueError as error:
            raise SourceFailed("the search answer is not JSON") from error
        if not isinstance(body, dict):
            raise SourceFailed("the search answer is not an object")
        return body

    def fetch(self, romes: Sequence[str], points: Sequence[tuple[float, float]], radius_km: int) -> Fetched:
        """The offers and hiring companies for every ROME code around every point (each once)."""
        by_id: dict[str, OfferIn] = {}
        skipped: list[str] = []
        codes = sorted(set(romes))
        for latitude, longitude in points:
            for start in range(0, len(codes), ROMES_PER_CALL):
                body = self.search(codes[start : start + ROMES_PER_CALL], latitude, longitude, radius_km)
                for raw in body.get("jobs") or []:
                    if self.skip_france_travail and _partner(raw) == "france travail":
                        continue
                    keep(job_offer(raw), raw, by_id, skipped)
                for raw in body.get("recruiters") or []:
                    keep(recruiter_offer(raw), raw, by_id, skipped)
        return Fetched(list(by_id.values()), True, skipped)


def keep(offer: OfferIn | None, raw: Any, by_id: dict[str, OfferIn], skipped: list[str]) -> None:
    if offer is None:
        skipped.append(str(_get(raw, "identifier", "id") or "?"))
    else:
        by_id[offer.id] = offer


def _get(raw: Any, *path: str) -> Any:
    for key in path:
        raw = raw.get(key) if isinstance(raw, dict) else None
    return raw


def _partner(raw: Any) -> str:
    return str(_get(raw, "identifier", "partner_label") or "").strip().lower()


def _point(raw: Any) -> tuple[float | None, float | None]:
    coordinates = _get(raw, "workplace", "location", "geopoint", "coordinates")
    if isinstance(coordinates, list) and len(coordinates) == 2:
        return float(coordinates[1]), float(coordinates[0])  # GeoJSON: longitude first
    return None, None


def _address(raw: Any) -> str | None:
    address = _get(raw, "workplace", "location", "address")
    return str(address)[:100] if address else None


def _employer(raw: Any) -> Any:
    workplace = _get(raw, "workplace") or {}
    return workplace.get("brand") or workplace.get("name") or workplace.get("legal_name")


def _validated(fields: dict[str, Any]) -> OfferIn | None:
    try:
        return OfferIn.model_validate({k: v for k, v in fields.items() if v not in (None, "", [])})
    except ValidationError:
        return None


def job_offer(raw: Any) -> OfferIn | None:
    """An apprenticeship offer."""
    latitude, longitude = _point(raw)
    romes = _get(raw, "offer", "rome_codes") or []
    types = [str(t).lower() for t in _get(raw, "contract", "type") or []]
    contract = next((CONTRACTS[t] for t in types if t in CONTRACTS), "APP")
    level = _get(raw, "offer", "target_diploma", "european")
    return _validated(
        {
            "id": f"job:{_get(raw, 'identifier', 'id') or ''}",
            "title": _get(raw, "offer", "title"),
            "description": _get(raw, "offer", "description"),
            "employer": _employer(raw),
            "rome_code": romes[0] if romes else None,
            "contract_type": contract,
            "contract_label": "Apprentissage" if contract == "APP" else "Contrat de professionnalisation",
            "alternance": True,
            "experience": "D",  # an apprenticeship is a first training at work
            "diploma_level": int(level) if str(level or "").isdigit() else None,
            "commune": _address(raw),
            "latitude": latitude,
            "longitude": longitude,
            "apply_url": _get(raw, "apply", "url"),
            "created_at": _get(raw, "offer", "publication", "creation"),
            "expires_at": _get(raw, "offer", "publication", "expiration"),
        }
    )


def recruiter_offer(raw: Any) -> OfferIn | None:
    """A company that hires apprentices (no published offer): a spontaneous application."""
    latitude, longitude = _point(raw)
    romes = _get(raw, "workplace", "domain", "naf", "rome_codes") or []
    employer = _employer(raw)
    return _validated(
        {
            "id": f"recruiter:{_get(raw, 'identifier', 'id') or ''}",
            "title": f"Candidature spontanée en alternance chez {employer}" if employer else None,
            "employer": employer,
            "rome_code": romes[0] if romes else None,
            "contract_type": "APP",
            "contract_label": "Candidature spontanée (alternance)",
            "alternance": True,
            "experience": "D",
            "commune": _address(raw),
            "latitude": latitude,
            "longitude": longitude,
            "apply_url": _get(raw, "apply", "url"),
        }
    )
