"""Loading the catalogue into the database, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from bot.catalogue.datainclusion import export_catalogue
from bot.catalogue.files import read_catalogue
from bot.catalogue.loader import catalogue_counts, load_catalogue
from bot.db import session_factory, transaction
from bot.models import Location, Partner, Service
from bot.territory import Territory
from tests.conftest import DATA


def snapshot(engine: Engine) -> dict[str, dict[str, object]]:
    with session_factory(engine)() as session:
        rows = {f"service:{s.id}": s.as_dict() for s in session.scalars(select(Service))}
        rows |= {
            f"partner:{p.id}": {"nom": p.nom, "updated_at": p.updated_at}
            for p in session.scalars(select(Partner))
        }
        rows |= {
            f"location:{loc.partner_id}/{loc.id}": {"commune": loc.commune, "approximate": loc.approximate}
            for loc in session.scalars(select(Location))
        }
    return rows


def copy_catalogue(tmp_path: Path) -> Path:
    folder = tmp_path / "catalogue"
    shutil.copytree(DATA / "catalogue", folder)
    return folder


def test_loading_twice_changes_nothing(loaded_engine: Engine, territory: Territory) -> None:
    before = snapshot(loaded_engine)
    report = load_catalogue(loaded_engine, read_catalogue(DATA / "catalogue", territory), territory)
    assert report.partners.unchanged == 13 and report.partners.updated == report.partners.created == 0
    assert report.services.updated == report.services.created == report.services.deactivated == 0
    assert snapshot(loaded_engine) == before


def test_a_changed_entry_updates_its_row_only(
    loaded_engine: Engine, territory: Territory, tmp_path: Path
) -> None:
    before = snapshot(loaded_engine)
    folder = copy_catalogue(tmp_path)
    target = folder / "epide_montry.yml"
    text = target.read_text(encoding="utf-8")
    first_service_name = text.split("services:", 1)[1].split("nom:", 1)[1].splitlines()[0]
    target.write_text(text.replace(first_service_name, ' "Nouveau nom du parcours"', 1), encoding="utf-8")
    report = load_catalogue(loaded_engine, read_catalogue(folder, territory), territory)
    assert report.services.updated == 1 and report.partners.updated == 0
    after = snapshot(loaded_engine)
    changed = [key for key in after if after[key] != before[key]]
    assert len(changed) == 1 and changed[0].startswith("service:epide-")
    assert after[changed[0]]["nom"] == "Nouveau nom du parcours"


def test_a_removed_entry_is_deactivated_not_deleted(
    loaded_engine: Engine, territory: Territory, tmp_path: Path
) -> None:
    folder = copy_catalogue(tmp_path)
    (folder / "idc_formation.yml").unlink()
    report = load_catalogue(loaded_engine, read_catalogue(folder, territory), territory)
    assert report.partners.deactivated == 1 and report.services.deactivated == 2
    with session_factory(loaded_engine)() as session:
        partner = session.get(Partner, "idc_formation")
        assert partner is not None and partner.active is False
        assert all(not service.active for service in partner.services)
        assert catalogue_counts(session)["partners"] == 12
    # back in the files: active again
    report = load_catalogue(loaded_engine, read_catalogue(DATA / "catalogue", territory), territory)
    assert report.partners.updated == 1 and report.services.updated == 2


def test_staff_capacity_newer_than_the_file_is_kept(loaded_engine: Engine, territory: Territory) -> None:
    with transaction(loaded_engine) as session:
        service = session.scalars(select(Service).where(Service.places_total.is_not(None))).first()
        assert service is not None
        service_id, total = service.id, service.places_total
        service.places_available = 0
        service.capacity_updated_at = datetime.now(UTC) + timedelta(minutes=1)
    load_catalogue(loaded_engine, read_catalogue(DATA / "catalogue", territory), territory)
    with session_factory(loaded_engine)() as session:
        reloaded = session.get(Service, service_id)
        assert reloaded is not None
        assert reloaded.places_available == 0 and reloaded.places_total == total


def test_locations_without_coordinates_sit_at_the_commune_point(
    loaded_engine: Engine, territory: Territory
) -> None:
    with session_factory(loaded_engine)() as session:
        locations = session.scalars(select(Location)).all()
    assert locations
    for location in locations:
        commune = territory.commune(location.commune)
        assert commune is not None and commune.insee == location.code_insee
        if location.latitude is None:
            assert location.approximate
            expected = territory.point_of(
                commune, territory.quartier(location.quartier or "") if location.quartier else None
            )
            assert (location.point_latitude, location.point_longitude) == (
                expected.latitude,
                expected.longitude,
            )


def test_a_service_can_be_offered_at_several_locations(loaded_engine: Engine) -> None:
    with session_factory(loaded_engine)() as session:
        services = session.scalars(select(Service)).all()
        assert any(len(service.locations) >= 2 for service in services)
        for service in services:
            assert all(location.partner_id == service.partner_id for location in service.locations)


def test_data_inclusion_export_loads_back_to_the_same_catalogue(
    loaded_engine: Engine, territory: Territory, tmp_path: Path
) -> None:
    with session_factory(loaded_engine)() as session:
        exported = export_catalogue(session)
    assert len(exported["structures"]) == 13
    structure = exported["structures"][0]
    assert {"id", "nom", "siret", "code_insee", "horaires_accueil", "reseaux_porteurs"} <= set(structure)
    assert {"structure_id", "thematiques", "frais", "publics", "zone_eligibilite", "modes_accueil"} <= set(
        exported["services"][0]
    )
    path = tmp_path / "export.json"
    path.write_text(json.dumps(exported), encoding="utf-8")

    from bot.db import make_engine
    from bot.migrations import upgrade

    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(other)
    load_catalogue(other, read_catalogue(path, territory), territory)
    ignore = {"created_at", "updated_at"}
    first = {
        k: {f: v for f, v in row.items() if f not in ignore} for k, row in snapshot(loaded_engine).items()
    }
    second = {k: {f: v for f, v in row.items() if f not in ignore} for k, row in snapshot(other).items()}
    assert first == second
    with session_factory(other)() as session:
        again = export_catalogue(session)
    for record in (*exported["services"], *exported["structures"], *again["services"], *again["structures"]):
        record.pop("date_maj")
    assert again == exported
