"""France Travail's "Offres d'emploi v2": OAuth2 client credentials, a search around each commune of the
territory (INSEE code + distance), paged with `range` (at most 150 offers a call), mapped to `OfferIn`.

Paging: 206 means more pages, `Content-Range: offres 0-149/1234` gives the total; 204 means none; the
API refuses a `range` starting beyond 3000 (at most 3150 offers per search): a commune that has more is
read as far as the API allows and the refresh is marked incomplete, so that nothing expires on a partial
view. Why not a package: see README ("Offers")."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import ValidationError

from bot.offers.remote import Politeness, SourceFailed, call
from bot.offers.store import CONTRACTS, OfferIn

PAGE = 150  # the API's maximum per call
LAST_START = 3000  # the API's largest first index
SCOPE = "api_offresdemploiv2 o2dsoffre"
LEVELS = (  # formations[].niveauLibelle -> European level
    (re.compile(r"bac\s*\+\s*5|master|ingenieur", re.I), 7),
    (re.compile(r"bac\s*\+\s*[34]|licence", re.I), 6),
    (re.compile(r"bac\s*\+\s*2|bts|dut", re.I), 5),
    (re.compile(r"\bbac\b", re.I), 4),
    (re.compile(r"cap|bep", re.I), 3),
)


@dataclass(frozen=True)
class Fetched:
    """What a refresh read: the offers, whether it saw the whole source, and what it had to skip."""

    offers: list[OfferIn]
    complete: bool
    skipped: list[str]


class FranceTravail:
    def __init__(
        self,
        client_id: str,
        client_secret: str,
        token_url: str,
        search_url: str,
        politeness: Politeness | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.token_url, self.search_url = token_url, search_url
        self.politeness = politeness or Politeness()
        self.client = client or httpx.Client()
        self._token: str | None = None

    def token(self, renew: bool) -> str:
        """The access token, asked for once and again when the API said 401."""
        if self._token is None or renew:
            response = call(
                self.client,
                "POST",
                self.token_url,
                self.politeness,
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "scope": SCOPE,
                },
            )
            try:
                self._token = str(response.json()["access_token"])
            except (ValueError, KeyError, TypeError) as error:
                raise SourceFailed("the token answer has no access_token") from error
        return self._token

    def pages(self, commune: str, distance_km: int) -> Iterator[tuple[list[dict[str, Any]], bool]]:
        """Each page of the search around `commune`, and whether the search was read to its end."""
        start = 0
        while True:
            params = {"commune": commune, "distance": distance_km, "range": f"{start}-{start + PAGE - 1}"}
            response = call(self.client, "GET", self.search_url, self.politeness, self.token, params=params)
            if response.status_code == 204:
                yield [], True
                return
            try:
                results = list(response.json().get("resultats") or [])
            except (ValueError, AttributeError) as error:
                raise SourceFailed("the search answer is not JSON") from error
            total = content_total(response.headers.get("Content-Range", ""))
            start += PAGE
            more = response.status_code == 206 and bool(results) and (total is None or start < total)
            if not more:
                yield results, True
                return
            if start > LAST_START:
                yield results, False  # the API stops here: the rest of this commune is not readable
                return
            yield results, True  # more pages follow

    def fetch(self, communes: list[str], distance_km: int) -> Fetched:
        """Every offer around the communes (each once), with whether every search was read to its end."""
        by_id: dict[str, OfferIn] = {}
        skipped: list[str] = []
        complete = True
        for commune in communes:
            read_to_end = False
            for results, to_end in self.pages(commune, distance_km):
                read_to_end = to_end
                for raw in results:
                    offer = to_offer(raw)
                    if offer is None:
                        skipped.append(str(raw.get("id", "?")) if isinstance(raw, dict) else "?")
                    else:
                        by_id[offer.id] = offer
            complete = complete and read_to_end
        return Fetched(list(by_id.values()), complete, skipped)


def content_total(header: str) -> int | None:
    """`offres 0-149/1234` -> 1234."""
    match = re.search(r"/\s*(\d+)\s*$", header)
    return int(match.group(1)) if match else None


def level_of(formations: Any) -> int | None:
    """The European level of the diploma an offer requires (exigence E), if any."""
    levels = []
    for formation in formations if isinstance(formations, list) else []:
        if not isinstance(formation, dict) or formation.get("exigence") != "E":
            continue
        label = str(formation.get("niveauLibelle") or "")
        levels += [level for pattern, level in LEVELS if pattern.search(label)][:1]
    return min(levels) if levels else None


def to_offer(raw: Any) -> OfferIn | None:
    """One offer of the API as an OfferIn; None when it lacks what sixtcap needs (id, title, a place)."""
    if not isinstance(raw, dict):
        return None
    place = raw.get("lieuTravail") or {}
    contact = raw.get("contact") or {}
    origin = raw.get("origineOffre") or {}
    nature = str(raw.get("natureContrat") or "")
    alternance = (
        bool(raw.get("alternance")) or "apprentissage" in nature.lower() or "profession" in nature.lower()
    )
    label = str(place.get("libelle") or "")
    fields = {
        "id": str(raw.get("id") or ""),
        "title": raw.get("intitule"),
        "description": raw.get("description"),
        "employer": (raw.get("entreprise") or {}).get("nom"),
        "rome_code": raw.get("romeCode"),
        "rome_label": raw.get("romeLibelle"),
        "contract_type": raw.get("typeContrat"),
        "contract_label": raw.get("typeContratLibelle"),
        "alternance": alternance,
        "experience": raw.get("experienceExige") or "S",
        "diploma_level": level_of(raw.get("formations")),
        "commune": label.split(" - ", 1)[-1].title() if label else None,
        "code_insee": place.get("commune"),
        "code_postal": place.get("codePostal"),
        "latitude": place.get("latitude"),
        "longitude": place.get("longitude"),
        "salary": (raw.get("salaire") or {}).get("libelle"),
        "working_time": raw.get("dureeTravailLibelleConverti"),
        "apply_url": contact.get("urlPostulation") or origin.get("urlOrigine"),
        "created_at": raw.get("dateCreation"),
        "updated_at": raw.get("dateActualisation"),
    }
    if fields["contract_type"] not in (None, *CONTRACTS):
        fields["contract_type"] = None  # a code sixtcap does not know yet: the label still says it
    try:
        return OfferIn.model_validate({k: v for k, v in fields.items() if v not in (None, "")})
    except ValidationError:
        return None
