"""Stand-ins for the offers APIs, as real HTTP servers on 127.0.0.1: France Travail (OAuth2 token and
"Offres d'emploi v2" search with `range` paging) and La bonne alternance (`/job/v1/search`). They record
every call and can be told to fail: 401 (an expired token), 429 with Retry-After, 5xx."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.stubs.platforms import StubServer

Answer = tuple[int, Any, dict[str, str]]


class HeaderStub(StubServer):
    """A StubServer whose `reply(verb, path, query, form, headers)` also gives response headers; a body
    of None sends nothing (204)."""

    failures: list[tuple[int, dict[str, str]]]  # answered first, one per call, before any real answer

    def start(self) -> None:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, verb: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                form = {k: v[0] for k, v in parse_qs(raw).items()}
                status, body, headers = stub.dispatch(verb, parts.path, query, form, dict(self.headers))
                payload = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def dispatch(
        self, verb: str, path: str, query: dict[str, str], form: dict[str, str], headers: dict[str, str]
    ) -> Answer:
        with self.lock:
            self.calls.append({"verb": verb, "path": path, "query": query, "form": form, "headers": headers})
            if self.failures:
                status, extra = self.failures.pop(0)
                return status, {"message": "stub failure"}, extra
        return self.reply(verb, path, query, form, headers)

    def reply(
        self, verb: str, path: str, query: dict[str, str], form: dict[str, str], headers: dict[str, str]
    ) -> Answer:
        raise NotImplementedError


def ft_offer(number: int, **fields: Any) -> dict[str, Any]:
    """An offer as France Travail's search gives it (the fields sixtcap reads)."""
    offer: dict[str, Any] = {
        "id": f"{180000 + number}X",
        "intitule": f"Vendeur / Vendeuse en prêt-à-porter (H/F) n°{number}",
        "description": "Accueil des clients, mise en rayon.",
        "dateCreation": "2026-11-20T10:00:00.000Z",
        "dateActualisation": "2026-11-25T10:00:00.000Z",
        "lieuTravail": {
            "libelle": "94 - CHAMPIGNY SUR MARNE",
            "latitude": 48.8172,
            "longitude": 2.5156,
            "codePostal": "94500",
            "commune": "94017",
        },
        "romeCode": "D1214",
        "romeLibelle": "Vendeur / Vendeuse en prêt-à-porter",
        "entreprise": {"nom": "BOUTIQUE DEMO"},
        "typeContrat": "CDD",
        "typeContratLibelle": "Contrat à durée déterminée - 6 Mois",
        "natureContrat": "Contrat travail",
        "experienceExige": "D",
        "experienceLibelle": "Débutant accepté",
        "formations": [{"niveauLibelle": "CAP, BEP et équivalents", "exigence": "S"}],
        "alternance": False,
        "salaire": {"libelle": "Mensuel de 1801.80 Euros sur 12 mois"},
        "dureeTravailLibelleConverti": "Temps plein",
        "contact": {"urlPostulation": f"https://candidat.example/offres/{180000 + number}X"},
        "origineOffre": {"origine": "1", "urlOrigine": f"https://candidat.example/detail/{180000 + number}X"},
    }
    offer.update(fields)
    return offer


class StubFranceTravail(HeaderStub):
    """POST /token (client credentials) and GET /search?commune=&distance=&range=a-b, as the real API:
    200 when everything fits, 206 with Content-Range when more pages follow, 204 when nothing, 400 on a
    range beyond 3149. Offers per commune in `offers`; tokens expire when `revoke()` is called."""

    def __init__(self) -> None:
        self.offers: dict[str, list[dict[str, Any]]] = {}
        self.failures = []
        self.tokens_issued = 0
        self.valid_token = ""
        super().__init__()

    @property
    def token_url(self) -> str:
        return f"{self.url}/connexion/oauth2/access_token?realm=%2Fpartenaire"

    @property
    def search_url(self) -> str:
        return f"{self.url}/partenaire/offresdemploi/v2/offres/search"

    def revoke(self) -> None:
        with self.lock:
            self.valid_token = "revoked"

    def searches(self) -> list[dict[str, str]]:
        with self.lock:
            return [c["query"] for c in self.calls if c["path"].endswith("/search")]

    def reply(
        self, verb: str, path: str, query: dict[str, str], form: dict[str, str], headers: dict[str, str]
    ) -> Answer:
        if path.endswith("/access_token"):
            if form.get("grant_type") != "client_credentials" or form.get("client_secret") != "s3cret":
                return 401, {"error": "invalid_client"}, {}
            with self.lock:
                self.tokens_issued += 1
                self.valid_token = f"token-{self.tokens_issued}"
            return 200, {"access_token": self.valid_token, "token_type": "Bearer", "expires_in": 1499}, {}
        if headers.get("Authorization") != f"Bearer {self.valid_token}":
            return 401, {"message": "invalid token"}, {}
        start, end = (int(part) for part in query.get("range", "0-149").split("-"))
        if end - start + 1 > 150 or start > 3000 or end > 3149:
            return 400, {"message": "range invalide"}, {}
        found = self.offers.get(query.get("commune", ""), [])
        if not found:
            return 204, None, {}
        page = found[start : end + 1]
        if not page:
            return 400, {"message": "range hors limites"}, {}
        last = start + len(page) - 1
        status = 200 if start == 0 and last == len(found) - 1 else 206
        return status, {"resultats": page}, {"Content-Range": f"offres {start}-{last}/{len(found)}"}


def lba_job(number: int, **fields: Any) -> dict[str, Any]:
    job: dict[str, Any] = {
        "identifier": {"id": f"lba-{number}", "partner_label": "La bonne alternance", "partner_job_id": None},
        "workplace": {
            "name": "GARAGE DEMO",
            "brand": None,
            "legal_name": "GARAGE DEMO SARL",
            "location": {
                "address": "1 rue de la Démo 94500 Champigny-sur-Marne",
                "geopoint": {"type": "Point", "coordinates": [2.52, 48.82]},
            },
        },
        "offer": {
            "title": f"Mécanicien automobile en apprentissage n°{number}",
            "description": "CAP maintenance des véhicules en alternance.",
            "rome_codes": ["I1604"],
            "target_diploma": {"european": "3", "label": "Cap, autres formations niveau (Infrabac)"},
            "publication": {"creation": "2026-11-20T00:00:00.000Z", "expiration": "2027-01-20T00:00:00.000Z"},
        },
        "contract": {"type": ["Apprentissage"], "start": None, "duration": 24},
        "apply": {"url": f"https://alternance.example/emploi/{number}", "phone": None},
    }
    job.update(fields)
    return job


def lba_recruiter(number: int) -> dict[str, Any]:
    return {
        "identifier": {"id": f"siret-{number}"},
        "workplace": {
            "name": f"CARROSSERIE DEMO {number}",
            "location": {
                "address": "2 avenue de la Démo 94350 Villiers-sur-Marne",
                "geopoint": {"type": "Point", "coordinates": [2.54, 48.83]},
            },
        },
        "apply": {"url": f"https://alternance.example/recruteur/{number}"},
    }


class StubLaBonneAlternance(HeaderStub):
    """GET /api/job/v1/search?romes=&latitude=&longitude=&radius= with a bearer token: `jobs` and
    `recruiters` whose ROME codes were asked for."""

    def __init__(self, token: str = "lba-token") -> None:
        self.token = token
        self.jobs: list[dict[str, Any]] = []
        self.recruiters: dict[str, list[dict[str, Any]]] = {}  # ROME code -> companies
        self.failures = []
        super().__init__()

    @property
    def search_url(self) -> str:
        return f"{self.url}/api/job/v1/search"

    def reply(
        self, verb: str, path: str, query: dict[str, str], form: dict[str, str], headers: dict[str, str]
    ) -> Answer:
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"error": "Unauthorized"}, {}
        missing = [name for name in ("romes", "latitude", "longitude", "radius") if not query.get(name)]
        if missing:
            return 400, {"error": f"missing {missing}"}, {}
        romes = set(query["romes"].split(","))
        jobs = [j for j in self.jobs if set(j["offer"]["rome_codes"]) & romes]
        recruiters = [r for code in romes for r in self.recruiters.get(code, [])]
        return 200, {"jobs": jobs, "recruiters": recruiters, "warnings": []}, {}
