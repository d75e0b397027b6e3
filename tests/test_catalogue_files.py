"""Checking catalogue files: the real catalogue passes; each kind of mistake is reported as
file:line: field: reason, and nothing is written to the database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bot.catalogue.files import CatalogueInvalid, read_catalogue
from bot.catalogue.loader import load_catalogue
from bot.models import Service
from bot.territory import Territory
from tests.conftest import DATA

PARTNER = """\
partner:
  id: demo_partner
  nom: "Partenaire de démonstration"
  kind: mission-locale
  horaires_accueil: "Mo-Fr 09:00-12:00"
  sources: []
  demo: true
  locations:
    - id: centre
      commune: "Champigny-sur-Marne"
      code_postal: "94500"
services:
  - id: demo-job
    nom: "Accompagnement emploi"
    type: accompagnement
    thematiques: [trouver-un-emploi--repondre-a-des-offres-demploi]
    frais: gratuit
    publics: [jeunes]
    age_min: 16
    age_max: 25
    modes_accueil: [en-presentiel]
    zone_eligibilite: ["94017"]
    demo: true
"""


def problems_for(
    tmp_path: Path, territory: Territory, text: str, name: str = "demo_partner.yml"
) -> list[str]:
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueInvalid) as caught:
        read_catalogue(tmp_path, territory)
    return [str(p).removeprefix(f"{tmp_path}/") for p in caught.value.problems]


def test_the_minimal_file_is_valid(tmp_path: Path, territory: Territory) -> None:
    (tmp_path / "demo_partner.yml").write_text(PARTNER, encoding="utf-8")
    (entry,) = read_catalogue(tmp_path, territory)
    assert entry.partner.id == "demo_partner"
    assert entry.services[0].age_max == 25


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "frais: gratuit",
            "frais: gratos",
            "demo_partner.yml:17: services[0].frais: unknown frais code 'gratos'",
        ),
        ("    type: accompagnement\n", "", "demo_partner.yml:13: services[0].type: missing field"),
        (
            "age_min: 16",
            "age_min: 30",
            "demo_partner.yml:20: services[0].age_max: age_min (30) is greater than age_max (25)",
        ),
        (
            'commune: "Champigny-sur-Marne"',
            'commune: "Champignolles"',
            "demo_partner.yml:10: partner.locations[0].commune: unknown commune 'Champignolles'",
        ),
        (
            '"Mo-Fr 09:00-12:00"',
            '"lundi 9h-12h"',
            "demo_partner.yml:5: partner.horaires_accueil: bad opening hours 'lundi 9h-12h'",
        ),
        (
            "[trouver-un-emploi--repondre-a-des-offres-demploi]",
            "[trouver-du-taf]",
            "demo_partner.yml:16: services[0].thematiques: unknown thematique code 'trouver-du-taf'",
        ),
        (
            'zone_eligibilite: ["94017"]',
            'zone_eligibilite: ["94999"]',
            "demo_partner.yml:22: services[0].zone_eligibilite[0]: unknown commune INSEE code '94999'",
        ),
        (
            'code_postal: "94500"',
            'code_postal: "94120"',
            "demo_partner.yml:11: partner.locations[0].code_postal: 94120 is not a postcode of Champigny-sur-Marne",
        ),
        (
            "    demo: true\n",
            "    demo: true\n    colour: blue\n",
            "demo_partner.yml:24: services[0].colour: unknown field",
        ),
        (
            "sources: []",
            "sources: [made_up]",
            "demo_partner.yml:6: partner.sources[0]: unknown source 'made_up'",
        ),
        (
            "id: demo_partner",
            "id: other_partner",
            "demo_partner.yml:2: partner.id: the file must be named after the partner id (other_partner.yml)",
        ),
        ("kind: mission-locale", "kind: mission-locale: oops", "demo_partner.yml:4: invalid YAML"),
    ],
)
def test_each_mistake_is_reported_with_file_line_and_field(
    tmp_path: Path, territory: Territory, old: str, new: str, expected: str
) -> None:
    assert old in PARTNER
    found = problems_for(tmp_path, territory, PARTNER.replace(old, new, 1))
    assert any(line.startswith(expected) for line in found), found


def test_every_problem_of_the_catalogue_is_listed_at_once(tmp_path: Path, territory: Territory) -> None:
    broken = PARTNER.replace("frais: gratuit", "frais: gratos").replace("age_min: 16", "age_min: 99")
    found = problems_for(tmp_path, territory, broken)
    assert len(found) == 2


def test_duplicate_service_ids_across_files(tmp_path: Path, territory: Territory) -> None:
    (tmp_path / "other_partner.yml").write_text(PARTNER.replace("id: demo_partner", "id: other_partner"))
    found = problems_for(tmp_path, territory, PARTNER)
    assert any("services[0].id: also the id of a service in" in line for line in found), found


def test_a_typo_in_the_real_catalogue_points_at_its_line(tmp_path: Path, territory: Territory) -> None:
    folder = tmp_path / "catalogue"
    shutil.copytree(DATA / "catalogue", folder)
    target = folder / "femmes_relais_champigny.yml"
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.strip().startswith("frais:"))
    lines[index] = lines[index].replace("gratuit", "gratuiit")
    target.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(CatalogueInvalid) as caught:
        read_catalogue(folder, territory)
    (problem,) = caught.value.problems
    assert problem.file.endswith("femmes_relais_champigny.yml")
    assert problem.line == index + 1
    assert problem.field.endswith(".frais") and "unknown frais code 'gratuiit'" in problem.reason


def test_a_broken_catalogue_writes_nothing(
    loaded_engine: Engine, territory: Territory, tmp_path: Path
) -> None:
    with loaded_engine.connect() as connection:
        before = connection.execute(select(Service.id, Service.nom, Service.active)).all()
    folder = tmp_path / "catalogue"
    shutil.copytree(DATA / "catalogue", folder)
    target = folder / "epide_montry.yml"
    target.write_text(target.read_text(encoding="utf-8").replace("age_max: 25", "age_max: 12", 1))
    with pytest.raises(CatalogueInvalid):
        load_catalogue(loaded_engine, read_catalogue(folder, territory), territory)
    with loaded_engine.connect() as connection:
        assert connection.execute(select(Service.id, Service.nom, Service.active)).all() == before
