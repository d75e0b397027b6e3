"""A stand-in for the data·inclusion API v1, as a real HTTP server on 127.0.0.1: the endpoints sixtcap
reads (/search/services, /services, /structures filtered by département, commune or network,
/structures/{id} with its services) with their paging ({items, total, page, size, pages}) and the bearer
token, over records in the API's recorded shape (tests/fixtures/datainclusion/)."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.stubs.platforms import StubServer

FIXTURES = Path(__file__).parent.parent / "fixtures" / "datainclusion"
PREFIX = "/api/v1"


def recorded(name: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return records


def _themes_fit(record: dict[str, Any], wanted: list[str]) -> bool:
    themes = record.get("thematiques") or []
    return not wanted or any(t == w or t.startswith(w + "--") for t in themes for w in wanted)


class DataInclusionStub(StubServer):
    def __init__(self, token: str = "test-token") -> None:
        self.token = token
        self.structures = recorded("structures")
        self.services = recorded("services")
        super().__init__()

    @property
    def api_url(self) -> str:
        return self.url + PREFIX

    def answer(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        url = urlsplit(path)
        query = parse_qs(url.query)
        with self.lock:
            self.calls.append({"method": method, "path": url.path, "query": query, "headers": headers})
        authorization = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
        if authorization != f"Bearer {self.token}":
            return 401, {"detail": "Not authenticated"}
        route = url.path.removeprefix(PREFIX)
        themes = query.get("thematiques", [])
        by_id = {s["id"]: s for s in self.structures}
        if route == "/search/services":
            commune = query["code_commune"][0]
            found = [
                {"service": {**s, "structure": by_id[s["structure_id"]]}, "distance": 1}
                for s in self.services
                if _themes_fit(s, themes)
                and (s.get("code_insee") or "")[:2] == commune[:2]  # "within 50 km", roughly
            ]
            return 200, self._page(found, query)
        if route == "/services":
            departement = query["code_departement"][0]
            found = [
                s
                for s in self.services
                if _themes_fit(s, themes) and (s.get("code_insee") or "").startswith(departement)
            ]
            return 200, self._page(found, query)
        if route == "/structures":
            where = query.get("code_commune", query.get("code_departement", [""]))[0]
            networks = set(query.get("reseaux_porteurs", []))
            found = [
                s
                for s in self.structures
                if (s.get("code_insee") or "").startswith(where)
                and (not networks or networks & set(s.get("reseaux_porteurs") or []))
            ]
            return 200, self._page(found, query)
        if route.startswith("/structures/"):  # the detail lists the structure's services
            wanted = by_id.get(route.removeprefix("/structures/"))
            if wanted is None:
                return 404, {"detail": "Not Found"}
            services = [s for s in self.services if s["structure_id"] == wanted["id"]]
            return 200, {**copy.deepcopy(wanted), "services": copy.deepcopy(services)}
        return 404, {"detail": "Not Found"}

    @staticmethod
    def _page(items: list[Any], query: dict[str, list[str]]) -> dict[str, Any]:
        page, size = int(query.get("page", ["1"])[0]), int(query.get("size", ["5000"])[0])
        chosen = copy.deepcopy(items[(page - 1) * size : page * size])
        pages = math.ceil(len(items) / size) if items else 0
        return {"items": chosen, "total": len(items), "page": page, "size": len(chosen), "pages": pages}
