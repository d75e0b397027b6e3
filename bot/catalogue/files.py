"""Read the catalogue (a folder of YAML files, one file, or a data·inclusion JSON export) and check
everything, including against the territory. Returns the entries, or every problem found."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.catalogue.datainclusion import partner_dicts
from bot.catalogue.schema import PartnerFile
from bot.territory import Territory
from bot.yamlfile import Problem, YamlDocument, YamlError, describe_error, dotted, read_yaml


class CatalogueInvalid(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Source:
    """One partner's raw data, with where it came from (for error messages)."""

    name: str
    data: Any
    document: YamlDocument | None = None
    expected_id: str | None = None

    def line(self, key: tuple[str | int, ...]) -> int | None:
        return self.document.line_of(key) if self.document else None

    def problem(self, key: tuple[str | int, ...], reason: str) -> Problem:
        return Problem(self.name, self.line(key), dotted(key), reason)


def parse_source(source: Source) -> tuple[PartnerFile | None, list[Problem]]:
    """Validate one partner's data on its own."""
    if not isinstance(source.data, dict):
        return None, [Problem(source.name, 1, "", "expected a mapping with 'partner' and 'services'")]
    try:
        return PartnerFile.model_validate(source.data), []
    except ValidationError as error:
        return None, [source.problem(tuple(e["loc"]), describe_error(e)) for e in error.errors()]


def _territory_problems(source: Source, entry: PartnerFile, territory: Territory) -> Iterable[Problem]:
    partner = entry.partner
    if source.expected_id and partner.id != source.expected_id:
        yield source.problem(
            ("partner", "id"), f"the file must be named after the partner id ({partner.id}.yml)"
        )
    for index, source_id in enumerate(partner.sources):
        if source_id not in territory.source_ids:
            yield source.problem(("partner", "sources", index), f"unknown source {source_id!r}")
    location_ids = {location.id for location in partner.locations}
    for index, location in enumerate(partner.locations):
        key: tuple[str | int, ...] = ("partner", "locations", index)
        commune = territory.commune(location.commune)
        if commune is None:
            yield source.problem((*key, "commune"), f"unknown commune {location.commune!r}")
            continue
        if commune.name != location.commune:
            yield source.problem((*key, "commune"), f"write the official name {commune.name!r}")
        if location.code_postal and location.code_postal not in commune.postcodes:
            yield source.problem(
                (*key, "code_postal"), f"{location.code_postal} is not a postcode of {commune.name}"
            )
        if location.quartier:
            quartier = territory.quartier(location.quartier)
            if quartier is None:
                yield source.problem((*key, "quartier"), f"unknown neighbourhood {location.quartier!r}")
            elif commune.insee not in quartier.insee:
                yield source.problem((*key, "quartier"), f"{quartier.name} is not in {commune.name}")
    for s_index, service in enumerate(entry.services):
        key = ("services", s_index)
        for index, ref in enumerate(service.locations or []):
            if ref not in location_ids:
                yield source.problem((*key, "locations", index), f"no location {ref!r} in this partner")
        for index, zone in enumerate(service.zone_eligibilite):
            if len(zone) == 5 and territory.commune_by_insee(zone) is None:
                yield source.problem(
                    (*key, "zone_eligibilite", index), f"unknown commune INSEE code {zone!r}"
                )
        for index, source_id in enumerate(service.sources):
            if source_id not in territory.source_ids:
                yield source.problem((*key, "sources", index), f"unknown source {source_id!r}")


def check_sources(sources: list[Source], territory: Territory) -> list[PartnerFile]:
    """Validate every source, then the whole catalogue; raise CatalogueInvalid with every problem."""
    problems: list[Problem] = []
    entries: list[tuple[Source, PartnerFile]] = []
    for source in sources:
        entry, found = parse_source(source)
        problems += found
        if entry is not None:
            problems += _territory_problems(source, entry, territory)
            entries.append((source, entry))
    seen_partners: dict[str, str] = {}
    seen_services: dict[str, str] = {}
    for source, entry in entries:
        if entry.partner.id in seen_partners:
            problems.append(
                source.problem(
                    ("partner", "id"), f"also the id of a partner in {seen_partners[entry.partner.id]}"
                )
            )
        seen_partners.setdefault(entry.partner.id, source.name)
        for index, service in enumerate(entry.services):
            if service.id in seen_services:
                problems.append(
                    source.problem(
                        ("services", index, "id"), f"also the id of a service in {seen_services[service.id]}"
                    )
                )
            seen_services.setdefault(service.id, source.name)
    if problems:
        raise CatalogueInvalid(problems)
    return [entry for _, entry in entries]


def yaml_sources(path: Path) -> list[Source]:
    """The YAML files of a folder (or one file). A file that is not YAML raises CatalogueInvalid."""
    files = sorted(p for p in path.glob("*.yml") if not p.name.startswith("_")) if path.is_dir() else [path]
    sources: list[Source] = []
    problems: list[Problem] = []
    for file in files:
        try:
            document = read_yaml(file, _display(file))
        except YamlError as error:
            problems.append(error.problem)
            continue
        sources.append(Source(_display(file), document.data, document, expected_id=file.stem))
    if problems:
        raise CatalogueInvalid(problems)
    if not sources:
        raise CatalogueInvalid([Problem(_display(path), None, "", "no catalogue file (*.yml) found")])
    return sources


def json_sources(path: Path) -> list[Source]:
    """The structures of a data·inclusion export, each as one source named after its position."""
    name = _display(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as error:
        raise CatalogueInvalid([Problem(name, None, "", f"invalid JSON: {error}")]) from None
    partners, problems = partner_dicts(data)
    if problems:
        raise CatalogueInvalid([Problem(name, None, "", reason) for reason in problems])
    return [Source(f"{name} {where}", raw) for where, raw in partners]


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def read_catalogue(path: Path, territory: Territory) -> list[PartnerFile]:
    """Read and check the catalogue at `path`: a folder of YAML files, a YAML file, or a data·inclusion
    JSON export (see `datainclusion`)."""
    if not path.exists():
        raise CatalogueInvalid([Problem(str(path), None, "", "no such file or folder")])
    if path.suffix == ".json":
        return check_sources(json_sources(path), territory)
    return check_sources(yaml_sources(path), territory)
