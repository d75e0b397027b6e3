"""Services outside the 6Tcap network, from data·inclusion: fetched from its API (a token) or read from its
published files (CSV or JSON), by commune or département, thématique and network (`reseaux_porteurs`: France
Travail agencies, CCAS), checked row by row with the official models (`data-inclusion-schema`), and stored
as partners and services marked `outside_network`.

A row the official models refuse is reported and skipped; nothing else is lost. Importing the same data
twice changes nothing. An import is the whole selection: a service of an earlier import that is not in
this one has left the source (or the selection) and is deactivated, never deleted. The 6Tcap network's
own rows are never touched."""

from __future__ import annotations

import ast
import csv
import hashlib
import json
import tempfile
import types
import typing
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pydantic
from data_inclusion.schema.v1 import Service as OfficialService
from data_inclusion.schema.v1 import Structure as OfficialStructure
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.catalogue.loader import Counts, apply_values, deactivate_missing, sync_locations
from bot.catalogue.schema import check_opening_hours
from bot.db import transaction
from bot.models import Partner, Service
from bot.models.base import utcnow
from bot.territory import Territory

KIND = "hors-reseau"  # the partner kind of every structure outside the network
ID_MAX = 80  # the length of our id columns


class SourceError(Exception):
    """data·inclusion could not be read (HTTP error, unreadable file): nothing was written."""


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple, set)) else []


@dataclass(frozen=True)
class Scope:
    """What to import: services of these communes (INSEE) or départements, on these thématiques (a code,
    or a whole category such as `sante`), plus every service of a structure of these networks
    (`reseaux_porteurs`: france-travail, ccas-cias); no thématique and no network means all of them."""

    communes: tuple[str, ...] = ()
    departements: tuple[str, ...] = ()
    thematiques: tuple[str, ...] = ()
    reseaux: tuple[str, ...] = ()

    def covers_place(self, record: dict[str, Any]) -> bool:
        if not self.communes and not self.departements:
            return True
        insee = str(record.get("code_insee") or "")
        zone = [str(z) for z in _listed(record.get("zone_eligibilite"))]
        return (
            insee in self.communes
            or any(insee.startswith(d) for d in self.departements)
            or bool(set(zone) & {*self.communes, *self.departements})
        )

    def covers_theme(self, record: dict[str, Any]) -> bool:
        if not self.thematiques:
            return not self.reseaux  # networks only: a thématique alone does not bring a service
        if isinstance(record.get("thematiques"), str):
            return True  # an unreadable cell: to the official models, which say why the row is refused
        themes = [str(t) for t in record.get("thematiques") or []]
        return any(t == wanted or t.startswith(wanted + "--") for t in themes for wanted in self.thematiques)

    def covers_network(self, structure: dict[str, Any]) -> bool:
        """A structure of one of the wanted networks (all its services are wanted)."""
        return bool(set(self.reseaux) & {str(r) for r in _listed(structure.get("reseaux_porteurs"))})


@dataclass
class Rows:
    """Raw data·inclusion records, as the API or the files give them."""

    structures: dict[str, dict[str, Any]] = field(default_factory=dict)
    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    demo: bool = False  # a demonstration file (marked so in the file itself)
    problems: list[str] = field(default_factory=list)  # rows that could not even be read

    def add_structure(self, record: Any) -> None:
        if isinstance(record, dict) and record.get("id") is not None:
            self.structures.setdefault(  # the API's detail nests the structure's services
                str(record["id"]), {k: v for k, v in record.items() if k != "services"}
            )

    def add_service(self, record: Any) -> None:
        if isinstance(record, dict) and record.get("id") is not None:
            nested = record.get("structure")
            if isinstance(nested, dict):  # the search endpoint nests the structure
                self.add_structure(nested)
            self.services.setdefault(str(record["id"]), {k: v for k, v in record.items() if k != "structure"})


# -- reading: the API ---------------------------------------------------------------------------------


def _get(client: httpx.Client, path: str, params: list[tuple[str, str]] | None = None) -> Any:
    """The JSON body of a GET, None for a 404; anything else wrong is a SourceError."""
    try:
        response = client.get(path, params=tuple(params or ()))
    except httpx.HTTPError as error:
        raise SourceError(f"data·inclusion API unreachable ({type(error).__name__})") from None
    if response.status_code in (401, 403):
        raise SourceError(f"data·inclusion API refused the token (HTTP {response.status_code})")
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise SourceError(f"data·inclusion API answered HTTP {response.status_code} on {path}")
    try:
        return response.json()
    except ValueError:
        raise SourceError(f"data·inclusion API answered something else than JSON on {path}") from None


def _pages(client: httpx.Client, path: str, params: list[tuple[str, str]], size: int) -> Iterator[Any]:
    """Every item of a paged endpoint ({items, total, page, size, pages})."""
    page = 1
    while True:
        body = _get(client, path, [*params, ("page", str(page)), ("size", str(size))])
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise SourceError(f"data·inclusion API: no page of items on {path}")
        yield from items
        if page >= int(body.get("pages") or 0) or not items:
            return
        page += 1


def _add_with_services(rows: Rows, detail: Any) -> None:
    """A structure's detail (/structures/{id}) and every service it lists."""
    if not isinstance(detail, dict) or detail.get("id") is None:
        return
    rows.add_structure(detail)
    for record in detail.get("services") or []:
        if isinstance(record, dict):
            rows.add_service({**record, "structure_id": record.get("structure_id") or detail["id"]})


def fetch_api(base_url: str, token: str, scope: Scope, page_size: int = 1000, timeout: float = 60) -> Rows:
    """The services of the scope and their structures from the API (GET, `Authorization: Bearer`).

    By commune: /search/services (services of the commune and within 50 km whose zone covers it, the
    structure nested). By département: /services, then /structures of the département and, for a
    structure elsewhere, /structures/{id}. A network (france-travail, ccas-cias): /structures of the
    network in each commune or département, then each one's detail, which lists its services."""
    rows = Rows()
    themes = [("thematiques", t) for t in scope.thematiques]
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    with httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout) as client:
        places = [("code_commune", c) for c in scope.communes] + [
            ("code_departement", d) for d in scope.departements
        ]
        for reseau in scope.reseaux:
            for place in places:
                for found in _pages(client, "/structures", [("reseaux_porteurs", reseau), place], page_size):
                    _add_with_services(rows, _get(client, f"/structures/{found.get('id')}"))
        for commune in scope.communes if scope.thematiques or not scope.reseaux else ():
            for item in _pages(client, "/search/services", [("code_commune", commune), *themes], page_size):
                rows.add_service(item.get("service") if isinstance(item, dict) else None)
        for departement in scope.departements if scope.thematiques or not scope.reseaux else ():
            where = [("code_departement", departement)]
            for record in _pages(client, "/services", [*where, *themes], page_size):
                rows.add_service(record)
            wanted = {str(s.get("structure_id")) for s in rows.services.values()}
            if wanted - rows.structures.keys():
                for record in _pages(client, "/structures", where, page_size):
                    if str(record.get("id")) in wanted:
                        rows.add_structure(record)
        for missing in sorted(
            {str(s.get("structure_id")) for s in rows.services.values()} - rows.structures.keys()
        ):
            rows.add_structure(_get(client, f"/structures/{missing}"))
    return rows


# -- reading: the published files ---------------------------------------------------------------------


def _is_list(annotation: Any) -> bool:
    if typing.get_origin(annotation) in (list, set, frozenset):
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_list(a) for a in typing.get_args(annotation))
    return False


# The columns a CSV file writes as lists: data·inclusion publishes its tables with pandas' `to_csv`, which
# writes a text[] cell as Python's repr of the list (['sante--sante-sexuelle', 'sante--acces-aux-soins'])
# and a NULL as an empty cell.
LIST_COLUMNS = frozenset(
    name
    for model in (OfficialStructure, OfficialService)
    for name, spec in model.model_fields.items()
    if _is_list(spec.annotation)
)


def _csv_record(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as the records of the JSON files: empty cells are None, list cells lists. A list cell
    that cannot be read is left as it is: the official models refuse the row, which is reported."""
    record: dict[str, Any] = {}
    for name, cell in row.items():
        value = (cell or "").strip()
        if not value:
            record[name] = None
        elif name in LIST_COLUMNS and value.startswith("["):
            try:
                parsed = ast.literal_eval(value)
            except (ValueError, SyntaxError):
                parsed = value
            record[name] = list(parsed) if isinstance(parsed, (list, tuple)) else value
        else:
            record[name] = cell
    return record


@contextmanager
def _local(location: str) -> Iterator[Path]:
    """A path to read: the file itself, or a URL downloaded to a temporary file (removed afterwards)."""
    if not location.startswith(("http://", "https://")):
        yield Path(location)
        return
    with tempfile.TemporaryDirectory(prefix="sixtcap-datainclusion-") as folder:
        target = Path(folder) / "download"
        try:
            with httpx.stream("GET", location, follow_redirects=True, timeout=300) as response:
                response.raise_for_status()
                with target.open("wb") as out:
                    for chunk in response.iter_bytes():
                        out.write(chunk)
        except httpx.HTTPError as error:
            raise SourceError(f"{location}: cannot be read ({type(error).__name__})") from None
        yield target


def _split(document: Any) -> tuple[list[Any], list[Any]]:
    """(structures, services) of a file: {structures: [...], services: [...]}, or a list of records (or an
    API page, {items: [...]}) where a service is a record with a `structure_id`."""
    if isinstance(document, dict) and ("structures" in document or "services" in document):
        return list(document.get("structures") or []), list(document.get("services") or [])
    records = document.get("items") if isinstance(document, dict) else document
    records = [r for r in records if isinstance(r, dict)] if isinstance(records, list) else []
    return [r for r in records if "structure_id" not in r], [r for r in records if "structure_id" in r]


class PublishedFile:
    """One published file, JSON (the records, or {structures, services}) or CSV (a header line, then one
    row per structure or service; a services file has a `structure_id` column). A CSV file is read
    row by row each time it is gone through, never held whole: the national files are large."""

    def __init__(self, location: str, path: Path) -> None:
        self.location = location
        self.path = path
        self.demo = False
        self._json: tuple[list[Any], list[Any]] | None = None
        self._columns: list[str] = []
        self.problems: dict[str, None] = {}  # rows that cannot be read, in order (a file is read twice)
        try:
            with path.open("rb") as raw:
                start = raw.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
        except OSError as error:
            raise SourceError(f"{location}: cannot be read ({error})") from None
        if start[:1] in (b"[", b"{"):
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise SourceError(f"{location}: cannot be read ({error})") from None
            self.demo = isinstance(document, dict) and document.get("demo") is True
            self._json = _split(document)
        else:
            self._columns = self._header()
            if "id" not in self._columns:
                raise SourceError(f"{location}: neither JSON nor a CSV file with an `id` column")

    def _header(self) -> list[str]:
        try:
            with self.path.open(encoding="utf-8-sig", newline="") as text:
                return next(csv.reader(text), [])
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            raise SourceError(f"{self.location}: cannot be read ({error})") from None

    @property
    def holds_services(self) -> bool:
        return self._json is not None or "structure_id" in self._columns

    def _rows(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(where, record) for every row of a CSV file; `where` is `file:line`. A row whose cells do not
        match the columns is skipped and reported (in `problems`)."""
        try:
            with self.path.open(encoding="utf-8-sig", newline="") as text:
                reader = csv.reader(text)
                columns = next(reader, [])
                for cells in reader:
                    where = f"{self.location}:{reader.line_num}"
                    if len(cells) != len(columns):
                        found = f"{len(cells)} cells for {len(columns)} columns"
                        self.problems.setdefault(f"row at {where}: {found}")
                        continue
                    yield where, _csv_record(dict(zip(columns, cells, strict=True)))
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            raise SourceError(f"{self.location}: cannot be read ({error})") from None

    def records(self, services: bool) -> Iterator[tuple[str, Any]]:
        """The services (or the structures) of the file, with where each one is."""
        if self._json is not None:
            found = self._json[1] if services else self._json[0]
            yield from ((f"{self.location}: record {n}", r) for n, r in enumerate(found, start=1))
        elif self.holds_services == services:
            yield from self._rows()


def _without_id(where: str, record: Any, what: str, problems: list[str]) -> bool:
    if isinstance(record, dict) and record.get("id") not in (None, ""):
        return False
    problems.append(f"{what} at {where}: no id")
    return True


def read_files(locations: Iterable[str], scope: Scope) -> Rows:
    """Structures and services from data·inclusion's published files (paths or URLs; CSV or JSON): the
    files of data.gouv.fr (structures, services), or one file holding both; kept: the scope's services
    (and every service of a structure of the scope's networks), then their structures."""
    rows = Rows()
    with ExitStack() as stack:
        files = [PublishedFile(loc, stack.enter_context(_local(loc))) for loc in locations]
        rows.demo = any(f.demo for f in files)
        networks: set[str] = set()
        if scope.reseaux:  # first the structures of the wanted networks: their services are wanted too
            for published in files:
                for _, record in published.records(services=False):
                    if isinstance(record, dict) and scope.covers_network(record):
                        networks.add(str(record.get("id")))
        for published in files:
            for where, record in published.records(services=True):
                if _without_id(where, record, "service", rows.problems) or not scope.covers_place(record):
                    continue
                if scope.covers_theme(record) or str(record.get("structure_id")) in networks:
                    rows.add_service(record)
        wanted = {str(s.get("structure_id")) for s in rows.services.values()}
        for published in files:
            for _, record in published.records(services=False):
                if isinstance(record, dict) and str(record.get("id")) in wanted:
                    rows.add_structure(record)
        rows.problems += [problem for published in files for problem in published.problems]
    return rows


# -- checking -----------------------------------------------------------------------------------------


@dataclass
class Checked:
    structures: dict[str, OfficialStructure] = field(default_factory=dict)
    services: list[OfficialService] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _errors(error: pydantic.ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg']}" for e in error.errors())


def _validated(model: Any, what: str, key: str, record: dict[str, Any], problems: list[str]) -> Any:
    """The record through an official model, or None with the reason in `problems`."""
    try:
        row = model.model_validate(record)
    except pydantic.ValidationError as error:
        problems.append(f"{what} {key}: {_errors(error)}")
        return None
    if len(row.id) > ID_MAX:
        problems.append(f"{what} {key}: id longer than {ID_MAX} characters")
        return None
    return row


def check(rows: Rows) -> Checked:
    """Each row through the official models; a refused row (or a service of a refused or missing
    structure) is reported and skipped."""
    checked = Checked(problems=list(rows.problems))
    for key, record in rows.structures.items():
        structure = _validated(OfficialStructure, "structure", key, record, checked.problems)
        if structure is not None:
            checked.structures[structure.id] = structure
    for key, record in rows.services.items():
        service = _validated(OfficialService, "service", key, record, checked.problems)
        if service is None:
            continue
        if service.structure_id in checked.structures:
            checked.services.append(service)
        else:
            checked.problems.append(
                f"service {key}: its structure {service.structure_id!r} is missing or invalid"
            )
    return checked


# -- storing ------------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    partners: Counts = field(default_factory=Counts)
    services: Counts = field(default_factory=Counts)
    problems: list[str] = field(default_factory=list)


def _hours(value: str | None, what: str, problems: list[str]) -> str | None:
    try:
        return check_opening_hours(value)
    except ValueError:
        problems.append(f"{what}: opening hours {value!r} not understood, left out")
        return None


def _codes(values: Iterable[Any] | None) -> list[str]:
    return sorted(str(getattr(v, "value", v)) for v in values or ())


def _place(
    record: OfficialStructure | OfficialService, territory: Territory, position: int
) -> dict[str, Any] | None:
    """Where it is: its coordinates, else its commune's point when the commune is ours; else nowhere."""
    commune = territory.commune_by_insee(record.code_insee) if record.code_insee else None
    if record.latitude is not None and record.longitude is not None:
        point, approximate = (record.latitude, record.longitude), False
    elif commune is not None:
        at = territory.point_of(commune)
        point, approximate = (at.latitude, at.longitude), True
    else:
        return None
    return {
        "position": position,
        "nom": None,
        "adresse": record.adresse,
        "code_postal": record.code_postal,
        "commune": record.commune or (commune.name if commune else ""),
        "code_insee": record.code_insee or "",
        "quartier": None,
        "latitude": record.latitude,
        "longitude": record.longitude,
        "point_latitude": point[0],
        "point_longitude": point[1],
        "approximate": approximate,
        "is_demo": False,
    }


def _service_location_id(service: OfficialService) -> str:
    return "s-" + hashlib.sha1(service.id.encode()).hexdigest()[:12]


def partner_values(structure: OfficialStructure, demo: bool, problems: list[str]) -> dict[str, Any]:
    return {
        "nom": structure.nom,
        "kind": KIND,
        "description": structure.description,
        "siret": structure.siret,
        "telephone": structure.telephone,
        "courriel": str(structure.courriel) if structure.courriel else None,
        "site_web": str(structure.site_web) if structure.site_web else None,
        "horaires_accueil": _hours(structure.horaires_accueil, f"structure {structure.id}", problems),
        "reseaux_porteurs": _codes(structure.reseaux_porteurs),
        "sources": [str(structure.lien_source)] if structure.lien_source else [],
        "is_demo": demo,
        "demo_fields": [],
        "notes": None,
        "notify_webhook_url": None,
        "notify_email": None,
        "outside_network": True,
        "source": structure.source,
        "date_maj": structure.date_maj,
        "active": True,
    }


def service_values(
    service: OfficialService, position: int, demo: bool, problems: list[str]
) -> dict[str, Any]:
    return {
        "partner_id": service.structure_id,
        "position": position,
        "nom": service.nom,
        "description": service.description,
        "type": str(service.type.value) if service.type else "",
        "thematiques": _codes(service.thematiques),
        "frais": str(service.frais.value) if service.frais else "",  # "": not said
        "frais_precisions": service.frais_precisions,
        "publics": _codes(service.publics)
        or ["tous-publics"],  # no public named: everybody (the schema's rule)
        "publics_precisions": service.publics_precisions,
        "conditions_acces": service.conditions_acces,
        "pre_requis": [],
        "justificatifs": [],
        "age_min": None,
        "age_max": None,
        "modes_accueil": _codes(service.modes_accueil),
        "modes_mobilisation": _codes(service.modes_mobilisation),
        "lien_mobilisation": str(service.lien_mobilisation) if service.lien_mobilisation else None,
        "mobilisable_par": _codes(service.mobilisable_par),
        "zone_eligibilite": [str(z) for z in service.zone_eligibilite or []],  # none: no restriction
        "horaires_accueil": _hours(service.horaires_accueil, f"service {service.id}", problems),
        "telephone": service.telephone,
        "courriel": str(service.courriel) if service.courriel else None,
        "places_total": None,
        "places_available": None,
        "capacity_updated_at": None,
        "sources": [str(service.lien_source)] if service.lien_source else [],
        "is_demo": demo,
        "demo_fields": [],
        "source": service.source,
        "date_maj": service.date_maj,
        "active": True,
    }


def _upsert(
    session: Session, model: type[Partner] | type[Service], key: str, values: dict[str, Any]
) -> tuple[Any, str]:
    now = utcnow()
    row: Any = session.get(model, key)
    if row is None:
        row = model(id=key, created_at=now, updated_at=now, **values)
        session.add(row)
        return row, "created"
    if model is Partner and not row.outside_network:
        raise ValueError(f"{key!r} is a partner of the network; data·inclusion does not overwrite it")
    if model is Service and not row.partner.outside_network:
        raise ValueError(f"{key!r} is a service of the network; data·inclusion does not overwrite it")
    if apply_values(row, values):
        row.updated_at = now
        return row, "updated"
    return row, "unchanged"


def _count(counts: Counts, outcome: str) -> None:
    setattr(counts, outcome, getattr(counts, outcome) + 1)


def store(engine: Engine, checked: Checked, territory: Territory, demo: bool = False) -> ImportReport:
    """Upsert the checked rows as outside the network, in one transaction; deactivate the outside-network
    rows not in this import."""
    report = ImportReport(problems=list(checked.problems))
    by_structure: dict[str, list[OfficialService]] = {}
    for service in checked.services:
        by_structure.setdefault(service.structure_id, []).append(service)
    kept_partners: set[str] = set()
    kept_services: set[str] = set()
    with transaction(engine) as session:
        for structure_id, services in sorted(by_structure.items()):
            structure = checked.structures[structure_id]
            try:
                partner, outcome = _upsert(
                    session, Partner, structure.id, partner_values(structure, demo, report.problems)
                )
            except ValueError as error:
                report.problems.append(f"structure {structure.id}: {error}")
                continue
            wanted: dict[str, dict[str, Any]] = {}
            home = _place(structure, territory, 0)
            if home:
                wanted["structure"] = home
            for position, service in enumerate(services, start=1):
                own = service.code_insee is not None or service.latitude is not None
                place = _place(service, territory, position) if own else None
                if place:
                    wanted[_service_location_id(service)] = place
            if sync_locations(partner, wanted) and outcome == "unchanged":
                partner.updated_at, outcome = utcnow(), "updated"
            _count(report.partners, outcome)
            kept_partners.add(partner.id)
            session.flush()
            by_id = {location.id: location for location in partner.locations}
            for position, service in enumerate(services):
                values = service_values(service, position, demo, report.problems)
                try:
                    row, outcome = _upsert(session, Service, service.id, values)
                except ValueError as error:
                    report.problems.append(f"service {service.id}: {error}")
                    continue
                location = by_id.get(_service_location_id(service)) or by_id.get("structure")
                locations = [location] if location else []
                if [loc.id for loc in row.locations] != [loc.id for loc in locations]:
                    row.locations = locations
                    if outcome == "unchanged":
                        row.updated_at, outcome = utcnow(), "updated"
                _count(report.services, outcome)
                kept_services.add(service.id)
        # a demonstration import replaces only demonstrations; a real one replaces everything outside
        report.services.deactivated = deactivate_missing(session, Service, kept_services, True, demo)
        report.partners.deactivated = deactivate_missing(session, Partner, kept_partners, True, demo)
    return report


def import_outside(engine: Engine, rows: Rows, territory: Territory) -> ImportReport:
    """Check the rows, then store what the official models accept."""
    return store(engine, check(rows), territory, demo=rows.demo)
