"""Services outside the 6Tcap network, from data·inclusion: the export the official schema accepts, the
import from the API (a local stub of it, recorded-shape records) and from the published files (CSV and
JSON, recorded shape: tests/fixtures/datainclusion/published/), and what a youth sees: the network first,
then what is outside it, labelled, nearby, never a handoff target; France Travail agencies and the CCAS by
their network."""

from __future__ import annotations

import csv
import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from data_inclusion.schema.v1 import Service as OfficialService
from data_inclusion.schema.v1 import Structure as OfficialStructure
from sqlalchemy import Engine, select
from sqlalchemy.orm import selectinload

from bot.brain import Brain
from bot.catalogue.datainclusion import export_catalogue
from bot.catalogue.files import read_catalogue
from bot.catalogue.loader import catalogue_counts, load_catalogue
from bot.catalogue.nearby import Around, Near, nearest_services, services_near
from bot.catalogue.outside import Scope, SourceError, fetch_api, import_outside, read_files
from bot.catalogue.snapshot import load_services
from bot.concerns import thematiques_besides
from bot.config import load_settings
from bot.db import session_factory
from bot.messages import Incoming, Outgoing
from bot.models import Partner, Service
from bot.models.stats import DailyTally
from bot.resources import Resources
from bot.routing import Need, find_services, load_rules
from bot.territory import Point, Territory
from nlu.parser import EmbeddedParser
from tests.conftest import DATA, PSEUDONYMS
from tests.stubs.datainclusion import FIXTURES, DataInclusionStub

WEDNESDAY_MORNING = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
THEMES = (
    "equipement-et-alimentation--alimentation",
    "sante--sante-sexuelle",
    "difficultes-administratives-ou-juridiques",
)
VAL_DE_MARNE = Scope(departements=("94",), thematiques=THEMES)
PUBLISHED = FIXTURES / "published"
CSV_FILES = [str(PUBLISHED / "structures.csv"), str(PUBLISHED / "services.csv")]
JSON_FILES = [str(PUBLISHED / "structures.json"), str(PUBLISHED / "services.json")]
RULES = load_rules(DATA / "routing.yml")
# what `sixtcap catalogue import` reads by default: the thématiques and networks of the specific needs
NEEDS_94 = Scope(
    departements=("94",),
    thematiques=tuple(sorted({t for n in RULES.specific_needs.values() for t in n.thematiques})),
    reseaux=tuple(sorted({r for n in RULES.specific_needs.values() for r in n.reseaux})),
)


@pytest.fixture
def api() -> DataInclusionStub:
    stub = DataInclusionStub()
    yield stub
    stub.stop()


def rows(engine: Engine, model: type[Partner] | type[Service]) -> dict[str, Any]:
    query = select(model)
    if model is Service:
        query = query.options(selectinload(Service.partner), selectinload(Service.locations))
    with session_factory(engine)() as session:
        return {row.id: row for row in session.scalars(query).all()}


# -- the export --------------------------------------------------------------------------------------


def test_every_exported_structure_and_service_is_valid_for_the_official_schema(loaded_engine: Engine) -> None:
    with session_factory(loaded_engine)() as session:
        exported = export_catalogue(session)
    assert len(exported["structures"]) == 13 and len(exported["services"]) == 58
    for record in exported["structures"]:
        assert OfficialStructure.model_validate(record).source == "sixtcap"
    for record in exported["services"]:
        service = OfficialService.model_validate(record)
        assert service.source == "sixtcap"
        # every service of the network says how a youth reaches it: youths can mobilise it themselves
        assert {m.value for m in service.mobilisable_par} == {"usagers"}


def test_the_export_leaves_out_what_is_outside_the_network(
    loaded_engine: Engine, territory: Territory, api: DataInclusionStub
) -> None:
    import_outside(loaded_engine, fetch_api(api.api_url, api.token, VAL_DE_MARNE), territory)
    with session_factory(loaded_engine)() as session:
        exported = export_catalogue(session)
    assert len(exported["structures"]) == 13 and len(exported["services"]) == 58
    assert not [s for s in exported["services"] if s["id"].startswith(("dora--", "soliguide--"))]
    with session_factory(loaded_engine)() as session:  # what /healthz says
        assert catalogue_counts(session) == {"partners": 13, "services": 58, "services_outside_network": 4}


# -- importing from the API --------------------------------------------------------------------------


def test_api_import_keeps_valid_rows_and_reports_the_others(
    engine: Engine, territory: Territory, api: DataInclusionStub
) -> None:
    fetched = fetch_api(api.api_url, api.token, VAL_DE_MARNE, page_size=2)
    report = import_outside(engine, fetched, territory)

    services = rows(engine, Service)
    assert set(services) == {
        "dora--sv-colis",
        "soliguide--sv-epicerie",
        "dora--sv-pilule",
        "dora--sv-juriste",
    }
    problems = "\n".join(report.problems)
    for refused in ("dora--st-x", "dora--sv-x", "dora--sv-depistage", "dora--sv-futur"):
        assert refused in problems
    assert "tous-publics" in problems  # the reason, from the official models
    assert report.services.created == 4 and report.partners.created == 3
    colis = services["dora--sv-colis"]
    assert colis.partner.outside_network and colis.partner.kind == "hors-reseau"
    assert colis.source == "dora" and colis.date_maj.isoformat() == "2026-10-02"
    assert colis.partner.horaires_accueil == "Mo-Fr 08:30-12:00,13:30-17:00; PH off"
    assert colis.locations[0].adresse == "1 place de l'Essai"
    assert colis.mobilisable_par == ["professionnels", "usagers"]
    # the token went with every call, and the pages were all read (size 2)
    assert all(call["headers"].get("Authorization") == "Bearer test-token" for call in api.calls)
    pages = [call["query"].get("page") for call in api.calls if call["path"].endswith("/services")]
    assert ["1"] in pages and ["2"] in pages


def test_importing_again_changes_nothing(
    engine: Engine, territory: Territory, api: DataInclusionStub
) -> None:
    import_outside(engine, fetch_api(api.api_url, api.token, VAL_DE_MARNE), territory)
    before = {k: (v.updated_at, v.active) for k, v in rows(engine, Service).items()}
    again = import_outside(engine, fetch_api(api.api_url, api.token, VAL_DE_MARNE), territory)
    assert again.services.created == again.services.updated == again.services.deactivated == 0
    assert again.services.unchanged == 4 and again.partners.unchanged == 3
    assert {k: (v.updated_at, v.active) for k, v in rows(engine, Service).items()} == before


def test_services_gone_from_the_source_are_deactivated_and_the_network_is_untouched(
    loaded_engine: Engine, territory: Territory, api: DataInclusionStub
) -> None:
    import_outside(loaded_engine, fetch_api(api.api_url, api.token, VAL_DE_MARNE), territory)
    api.services = [s for s in api.services if s["id"] != "soliguide--sv-epicerie"]
    api.services[0]["nom"] = "Colis alimentaires d'urgence"
    report = import_outside(loaded_engine, fetch_api(api.api_url, api.token, VAL_DE_MARNE), territory)
    assert report.services.deactivated == 1 and report.partners.deactivated == 1
    assert report.services.updated == 1
    services = rows(loaded_engine, Service)
    assert not services["soliguide--sv-epicerie"].active
    assert services["dora--sv-colis"].nom == "Colis alimentaires d'urgence"
    network = [s for s in services.values() if not s.partner.outside_network]
    assert len(network) == 58 and all(s.active for s in network)
    # and loading the network's files leaves what is outside it alone
    load_catalogue(loaded_engine, read_catalogue(DATA / "catalogue", territory), territory)
    assert rows(loaded_engine, Service)["dora--sv-colis"].active


def test_import_by_commune_reads_the_search_with_nested_structures(
    engine: Engine, territory: Territory, api: DataInclusionStub
) -> None:
    scope = Scope(communes=("94017",), thematiques=("equipement-et-alimentation",))
    import_outside(engine, fetch_api(api.api_url, api.token, scope), territory)
    assert set(rows(engine, Service)) == {"dora--sv-colis", "soliguide--sv-epicerie"}
    calls = [c for c in api.calls if c["path"].endswith("/search/services")]
    assert calls and calls[0]["query"]["code_commune"] == ["94017"]
    assert calls[0]["query"]["thematiques"] == ["equipement-et-alimentation"]


def test_a_refused_token_writes_nothing(engine: Engine, territory: Territory, api: DataInclusionStub) -> None:
    with pytest.raises(SourceError, match="token"):
        fetch_api(api.api_url, "wrong", VAL_DE_MARNE)
    api.stop()
    with pytest.raises(SourceError, match="unreachable"):
        fetch_api(api.api_url, api.token, VAL_DE_MARNE)
    assert rows(engine, Service) == {}


# -- importing the published files -------------------------------------------------------------------


def test_published_files_import_the_scope_only(engine: Engine, territory: Territory) -> None:
    files = [str(FIXTURES / "structures.json"), str(FIXTURES / "services.json")]
    report = import_outside(engine, read_files(files, VAL_DE_MARNE), territory)
    # the service in Orléans is outside the scope: not even read
    assert set(rows(engine, Service)) == {
        "dora--sv-colis",
        "soliguide--sv-epicerie",
        "dora--sv-pilule",
        "dora--sv-juriste",
    }
    assert not any("sv-loin" in p for p in report.problems)
    food = Scope(departements=("94",), thematiques=("equipement-et-alimentation--alimentation",))
    narrower = import_outside(engine, read_files(files, food), territory)
    assert narrower.services.deactivated == 2  # the import is the whole selection


def test_the_published_csv_gives_the_same_catalogue_as_the_published_json(
    engine: Engine, territory: Territory
) -> None:
    from_csv = import_outside(engine, read_files(CSV_FILES, VAL_DE_MARNE), territory)
    services = rows(engine, Service)
    # Soliguide is not in the open files; the rows the official models refuse are reported, not imported
    assert {k for k, s in services.items() if s.active} == {
        "dora--sv-colis",
        "dora--sv-pilule",
        "dora--sv-juriste",
    }
    problems = "\n".join(from_csv.problems)
    for refused in ("dora--st-x", "dora--sv-x", "dora--sv-depistage", "dora--sv-futur"):
        assert refused in problems
    colis = services["dora--sv-colis"]  # the list cells, read as lists
    assert colis.mobilisable_par == ["professionnels", "usagers"] and colis.zone_eligibilite == ["94017"]
    assert colis.partner.reseaux_porteurs == ["ccas-cias"] and colis.date_maj.isoformat() == "2026-10-02"
    assert colis.partner.horaires_accueil == "Mo-Fr 08:30-12:00,13:30-17:00; PH off"
    assert colis.locations[0].latitude == 48.817
    # the JSON of the same publication (dates in milliseconds) changes nothing, nor the CSV again
    from_json = import_outside(engine, read_files(JSON_FILES, VAL_DE_MARNE), territory)
    again = import_outside(engine, read_files(CSV_FILES, VAL_DE_MARNE), territory)
    for report in (from_json, again):
        assert report.services.unchanged == 3 and report.partners.unchanged == 2
        assert report.services.created == report.services.updated == report.services.deactivated == 0
        assert report.problems == from_csv.problems


def _rewrite(source: Path, target: Path, change: Any) -> str:
    """A copy of a published CSV file where `change(row)` edits, drops (None) or keeps each row."""
    with (
        source.open(encoding="utf-8", newline="") as read,
        target.open("w", encoding="utf-8", newline="") as out,
    ):
        reader = csv.DictReader(read)
        writer = csv.DictWriter(out, fieldnames=list(reader.fieldnames or []))
        writer.writeheader()
        for row in reader:
            changed = change(dict(row))
            if changed is not None:
                writer.writerow(changed)
    return str(target)


def test_a_bad_csv_row_is_reported_and_skipped_and_nothing_else_is_lost(
    engine: Engine, territory: Territory, tmp_path: Path
) -> None:
    def spoil(row: dict[str, str]) -> dict[str, str]:
        if row["id"] == "dora--sv-colis":
            row["thematiques"] = "['equipement-et-alimentation--alimentation'"  # a cut cell
        if row["id"] == "dora--sv-pilule":
            row["id"] = ""
        return row

    services_csv = _rewrite(PUBLISHED / "services.csv", tmp_path / "services.csv", spoil)
    with open(services_csv, "a", encoding="utf-8") as cut:  # a file cut short in its last row
        cut.write("dora--sv-coupe,dora--st-ccas,dora\n")
    last = len(Path(services_csv).read_text(encoding="utf-8").splitlines())
    report = import_outside(engine, read_files([CSV_FILES[0], services_csv], VAL_DE_MARNE), territory)
    assert {k for k, s in rows(engine, Service).items() if s.active} == {"dora--sv-juriste"}
    problems = "\n".join(report.problems)
    assert "service dora--sv-colis: thematiques" in problems  # the official models' reason
    assert f"service at {services_csv}:4: no id" in problems  # the pill's row, line 4 of the file
    assert f"row at {services_csv}:{last}: 3 cells for 34 columns" in problems
    assert report.services.created == 1


def test_a_csv_reimport_deactivates_what_left_the_publication(
    engine: Engine, territory: Territory, tmp_path: Path
) -> None:
    import_outside(engine, read_files(CSV_FILES, VAL_DE_MARNE), territory)
    later = _rewrite(
        PUBLISHED / "services.csv",
        tmp_path / "services.csv",
        lambda row: (
            None if row["id"] == "dora--sv-pilule" else {**row, "nom": row["nom"].replace("Colis", "Paniers")}
        ),
    )
    report = import_outside(engine, read_files([CSV_FILES[0], later], VAL_DE_MARNE), territory)
    assert report.services.deactivated == 1 and report.partners.deactivated == 1  # the centre had only it
    assert report.services.updated == 1 and report.services.unchanged == 1
    services = rows(engine, Service)
    assert not services["dora--sv-pilule"].active and services["dora--sv-colis"].nom == "Paniers alimentaires"


def test_a_network_brings_every_service_of_its_structures(
    engine: Engine, territory: Territory, api: DataInclusionStub
) -> None:
    networks = Scope(departements=("94",), reseaux=("france-travail", "ccas-cias"))
    expected = {
        "france-travail--sv-accompagnement",
        "france-travail--sv-atelier-cv",  # 3.5 hours a week, "2.0" weeks in the CSV
        "dora--sv-colis",
        "dora--sv-juriste",
    }
    import_outside(engine, read_files(CSV_FILES, networks), territory)
    assert {k for k, s in rows(engine, Service).items() if s.active} == expected
    report = import_outside(engine, fetch_api(api.api_url, api.token, networks), territory)
    assert report.services.unchanged == 4 and report.services.deactivated == 0
    asked = [c["query"] for c in api.calls if c["path"].endswith("/structures")]
    assert {q["reseaux_porteurs"][0] for q in asked} == {"france-travail", "ccas-cias"}
    assert not [c for c in api.calls if c["path"].endswith("/services")]  # no thématique: not asked
    agency = rows(engine, Partner)["france-travail--st-agence"]
    assert agency.outside_network and agency.source == "france-travail"


def test_the_demo_file_is_marked_demo_and_replaced_by_a_real_import(
    engine: Engine, territory: Territory, tmp_path: Path
) -> None:
    demo = json.loads((DATA / "outside_network" / "demo.json").read_text(encoding="utf-8"))
    assert demo["demo"] is True and "DEMO" in demo["_comment"]
    assert not any("adresse" in r or "telephone" in r for r in demo["structures"] + demo["services"])
    import_outside(engine, read_files([str(DATA / "outside_network" / "demo.json")], VAL_DE_MARNE), territory)
    assert all(s.is_demo and s.active for s in rows(engine, Service).values())
    files = [str(FIXTURES / "structures.json"), str(FIXTURES / "services.json")]
    import_outside(engine, read_files(files, VAL_DE_MARNE), territory)
    assert {k for k, s in rows(engine, Service).items() if s.active} == {
        "dora--sv-colis",
        "soliguide--sv-epicerie",
        "dora--sv-pilule",
        "dora--sv-juriste",
    }


# -- routing -----------------------------------------------------------------------------------------


def test_outside_services_come_after_the_network_and_only_nearby(
    loaded_engine: Engine, territory: Territory, api: DataInclusionStub
) -> None:
    import_outside(
        loaded_engine, fetch_api(api.api_url, api.token, Scope(departements=("94", "45"))), territory
    )
    resources = Resources.load(load_settings())
    with session_factory(loaded_engine)() as session:
        services = load_services(session)
    champigny = territory.commune("Champigny-sur-Marne")
    point = territory.point_of(champigny)

    def found(*themes: str) -> list[str]:
        need = Need(frozenset(themes), champigny, None, (17, 17), point)
        matches = find_services(services, need, resources.rules, WEDNESDAY_MORNING, resources.zone).matches
        return [m.service.id for m in matches]

    food = found("equipement-et-alimentation--alimentation")
    assert food == ["dora--sv-colis", "soliguide--sv-epicerie"]  # nearest first; Orléans is not nearby
    sexual_health = found("sante--sante-sexuelle")
    assert sexual_health[0] == "pe-orientation-sante" and sexual_health[-1] == "dora--sv-pilule"
    by_id = {s.id: s for s in services}
    assert by_id["dora--sv-pilule"].hours == "We 13:00-18:00; Sa 09:00-12:00"  # the structure's hours


def test_a_kind_of_place_is_each_structure_once(loaded_engine: Engine, territory: Territory) -> None:
    import_outside(loaded_engine, read_files(CSV_FILES, NEEDS_94), territory)
    with session_factory(loaded_engine)() as session:
        services = load_services(session)
    rules = Resources.load(load_settings()).rules
    champigny = territory.commune("Champigny-sur-Marne")

    def found(*networks: str) -> list[str]:
        need = Need(
            frozenset(), champigny, None, (19, 19), territory.point_of(champigny), reseaux=frozenset(networks)
        )
        matches = find_services(services, need, rules, WEDNESDAY_MORNING, ZoneInfo("Europe/Paris")).matches
        return [m.service.id for m in matches]

    assert found("france-travail") == [
        "france-travail--sv-accompagnement"
    ]  # the agency once, not its workshop
    assert found("ccas-cias") == ["dora--sv-colis"]
    assert found("points-justice") == []  # none imported: no card rather than something else


def test_a_misspelled_network_in_the_routing_rules_is_refused_at_load(tmp_path: Path) -> None:
    text = (DATA / "routing.yml").read_text(encoding="utf-8")
    assert "reseaux: [france-travail]" in text
    wrong = tmp_path / "routing.yml"
    wrong.write_text(text.replace("reseaux: [france-travail]", "reseaux: [pole-emploi]"), encoding="utf-8")
    with pytest.raises(ValueError, match="france_travail: unknown network 'pole-emploi'"):
        load_rules(wrong)


# -- the conversation --------------------------------------------------------------------------------


def test_the_database_finds_the_same_services_measuring_only_those_nearby(
    loaded_engine: Engine, territory: Territory, api: DataInclusionStub
) -> None:
    """Routing asks the database for the services with a place near the youth (an indexed box) and
    measures those only: for every town and neighbourhood and every concern, the same services in the
    same order as measuring the whole catalogue; a service in Orléans is never read for Champigny."""
    import_outside(
        loaded_engine, fetch_api(api.api_url, api.token, Scope(departements=("94", "45"))), territory
    )
    resources = Resources.load(load_settings())
    places = [(c, None) for c in territory.communes] + [
        (territory.commune(q.commune), q) for q in territory.quartiers if q.latitude is not None
    ]
    with session_factory(loaded_engine)() as session:
        services = load_services(session)

        def near(around: Around) -> list[Near]:
            return nearest_services(session, around)

        compared = 0
        for n, (commune, quartier) in enumerate(places):
            point = Point(quartier.latitude, quartier.longitude) if quartier else territory.point_of(commune)
            ages = ((17, 17), (24, 24), None)[n % 3]
            for concern in resources.concerns.values():
                preferred = resources.rules.preferred_partners.get(concern.name, frozenset())
                elsewhere = thematiques_besides(resources.concerns, concern.name)
                need = Need(
                    concern.thematiques,
                    commune,
                    quartier,
                    ages,
                    point,
                    preferred=preferred,
                    elsewhere=elsewhere,
                )
                args = (need, resources.rules, WEDNESDAY_MORNING, resources.zone)
                everything = find_services(services, *args)
                assert find_services(services, *args, nearby=near) == everything, concern.name
                for limit in (1, 4, 7):  # a page and "Plus de résultats": the same first ones
                    first = find_services(services, *args, nearby=near, limit=limit)
                    assert first.matches == everything.matches[:limit], (concern.name, limit)
                    assert (first.radius_km, first.widened) == (everything.radius_km, everything.widened)
                compared += bool(everything.matches)
        assert compared > 20
        champigny = territory.point_of(territory.commune("Champigny-sur-Marne"))
        food = frozenset({"equipement-et-alimentation--alimentation"})
        assert "soliguide--sv-epicerie" in services_near(session, champigny, 10, food)
        every = frozenset().union(*(s.thematiques for s in services))
        assert "dora--sv-loin" not in services_near(session, champigny, 60, every)  # in Orléans
        assert services_near(session, champigny, 10, every) < services_near(session, champigny, 25, every)


@pytest.fixture
def brain(
    loaded_engine: Engine, territory: Territory, parser: EmbeddedParser, api: DataInclusionStub
) -> Brain:
    import_outside(loaded_engine, fetch_api(api.api_url, api.token, VAL_DE_MARNE), territory)
    return Brain(
        loaded_engine, Resources.load(load_settings()), parser, PSEUDONYMS, clock=lambda: WEDNESDAY_MORNING
    )


def talk(brain: Brain, *messages: str, user: str | None = None) -> list[Outgoing]:
    """The replies to the last message; `#payload` presses a button."""
    user = user or f"outside-{uuid.uuid4().hex[:8]}"
    replies: list[Outgoing] = []
    for text in messages:
        said = (
            Incoming("test", user, payload=text[1:])
            if text.startswith("#")
            else Incoming("test", user, text=text)
        )
        replies = brain.handle(said).messages
        assert all(len(r.text) <= 300 for r in replies)
    return replies


@pytest.fixture
def brain_94(loaded_engine: Engine, territory: Territory, parser: EmbeddedParser) -> Brain:
    """After the default import (every specific need's thématiques and networks) of the published CSV."""
    import_outside(loaded_engine, read_files(CSV_FILES, NEEDS_94), territory)
    return Brain(
        loaded_engine, Resources.load(load_settings()), parser, PSEUDONYMS, clock=lambda: WEDNESDAY_MORNING
    )


def service_cards(replies: list[Outgoing]) -> list[str]:
    return [c.id for r in replies for c in r.cards if c.kind == "service"]


def test_no_money_to_eat_ends_at_food_aid_outside_the_network(brain: Brain) -> None:
    replies = talk(brain, "chui a sec jai plus une thune pour manger", "champigny", "17 ans")
    assert service_cards(replies) == ["dora--sv-colis", "soliguide--sv-epicerie"]
    text = "\n".join(r.text for r in replies)
    assert "n'a rien pour manger" in text and "hors réseau" in text
    card = next(c for r in replies for c in r.cards)
    assert card.subtitle.startswith("hors réseau 6Tcap")
    assert "Infos DORA (data·inclusion) du 02/10/2026" in card.details
    assert "Ouvert maintenant, jusqu'à 12h" in card.details  # the structure's hours, Wednesday 10:00
    assert not any(b.title == "Voir le stand" or "stand" in (b.url or "") for b in card.actions)
    # the coordinators' counts: one "hors-reseau" bucket, no producer's structure among the partners
    with session_factory(brain.engine)() as session:
        shown = set(session.scalars(select(DailyTally.value).where(DailyTally.metric == "shown")))
    assert shown == {"hors-reseau"}


def test_a_discreet_sti_test_and_the_emergency_pill_end_at_sexual_health_services(brain: Brain) -> None:
    for first in ("jveux faire un test ist discret", "jai besoin de la pilule du lendemain"):
        replies = talk(brain, first, "champigny", "17 ans")
        shown = service_cards(replies)
        assert "dora--sv-pilule" in shown, (first, shown)
        assert all(s in ("pe-orientation-sante", "dora--sv-pilule") for s in shown), shown


def test_a_question_never_goes_outside_the_network(brain: Brain) -> None:
    replies = talk(brain, "chui a sec jai plus une thune pour manger", "champigny", "17 ans")
    user = f"outside-{uuid.uuid4().hex[:8]}"
    for text in (
        "chui a sec jai plus une thune pour manger",
        "champigny",
        "17 ans",
        "je veux parler a un conseiller",
    ):
        replies = brain.handle(Incoming("test", user, text=text)).messages
    payloads = [b.payload or "" for r in replies for b in r.buttons]
    assert payloads and not any("dora--" in p or "soliguide--" in p for p in payloads)
    forged = brain.handle(Incoming("test", user, payload="handoff:partner:dora--st-ccas")).messages
    assert "CCAS de test" not in "\n".join(r.text for r in forged)


# -- the command -------------------------------------------------------------------------------------


def test_the_import_command_reads_the_token_from_the_environment(
    tmp_path: Path, api: DataInclusionStub
) -> None:
    from tests.test_cli import run

    env = {
        "SIXTCAP_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "SIXTCAP_DATAINCLUSION__API_URL": api.api_url,
    }
    run("db", "upgrade", env=env)
    refused = run("catalogue", "import", "--departement", "94", env=env)
    assert refused.returncode == 1 and "SIXTCAP_DATA_INCLUSION_TOKEN" in refused.stderr
    wrong = run("catalogue", "import", env={**env, "SIXTCAP_DATA_INCLUSION_TOKEN": "wrong"})
    assert wrong.returncode == 1 and "refused the token" in wrong.stderr and "nothing written" in wrong.stderr
    done = run("catalogue", "import", env={**env, "SIXTCAP_DATA_INCLUSION_TOKEN": api.token})
    assert done.returncode == 0, done.stderr
    assert "services: 7 created" in done.stdout  # food, sexual health, legal, care; the agency's two
    assert "skipped: service dora--sv-futur" in done.stderr
    # default scope: config.yml's département, data/routing.yml's specific needs (thématiques, networks)
    searched = [c["query"] for c in api.calls if c["path"].endswith("/services")]
    assert searched[-1]["code_departement"] == ["94"]
    assert "sante--sante-sexuelle" in searched[-1]["thematiques"]
    networks = {n for c in api.calls for n in c["query"].get("reseaux_porteurs", [])}
    assert networks == {"france-travail", "ccas-cias", "points-justice"}
    # the published CSV files of the same data: the same services, but Soliguide is not in open data
    files = run("catalogue", "import", "--file", CSV_FILES[0], "--file", CSV_FILES[1], env=env)
    assert files.returncode == 0, files.stderr
    assert "services: 0 created, 0 updated, 6 unchanged, 1 deactivated" in files.stdout
    demo = run("catalogue", "import", "--file", str(DATA / "outside_network" / "demo.json"), env=env)
    assert demo.returncode == 0 and "services: 6 created" in demo.stdout  # with a France Travail agency


# -- France Travail, the CCAS, a free lawyer: what the network lacks, in the youth's words -------------


def payloads(replies: list[Outgoing]) -> list[str]:
    return [b.payload or "" for r in replies for b in r.buttons]


def test_registering_at_france_travail_shows_the_agency_outside_the_network(brain_94: Brain) -> None:
    user = f"outside-{uuid.uuid4().hex[:8]}"
    replies = talk(brain_94, "jdois m'inscrire a france travail", "champigny", "19 ans", user=user)
    assert service_cards(replies) == ["france-travail--sv-accompagnement"]
    text = "\n".join(r.text for r in replies)
    assert "une agence France Travail" in text and "hors réseau" in text
    card = next(c for r in replies for c in r.cards)
    assert card.title.endswith("Agence France Travail de test") and card.subtitle.startswith(
        "hors réseau 6Tcap"
    )
    assert "Infos France Travail (data·inclusion) du 02/11/2026" in card.details
    assert "Ouvert maintenant, jusqu'à 12h30" in card.details  # its hours, Wednesday 10:00
    assert not [p for p in payloads(replies) if p.startswith("offers:")]  # the place, not job offers
    # never a partner: not offered for a question, and a forged button does nothing
    asked = talk(brain_94, "je veux parler a un conseiller", user=user)
    assert not [p for p in payloads(asked) if "france-travail" in p]
    forged = talk(brain_94, "#handoff:partner:france-travail--st-agence", user=user)
    assert "Agence France Travail de test" not in "\n".join(r.text for r in forged)


def test_the_ccas_of_a_town_is_shown_once(brain_94: Brain) -> None:
    replies = talk(brain_94, "le ccas de champigny c ou", "19 ans")
    assert service_cards(replies) == ["dora--sv-colis"]
    card = next(c for r in replies for c in r.cards)
    assert "CCAS de test" in card.title and card.subtitle.startswith("hors réseau 6Tcap")
    assert "le CCAS" in "\n".join(r.text for r in replies)
    # asked after other results: the CCAS, not a detail of the cards shown
    user = f"outside-{uuid.uuid4().hex[:8]}"
    talk(brain_94, "chui a sec jai plus une thune pour manger", "champigny", "19 ans", user=user)
    later = talk(brain_94, "et le ccas c ou ?", user=user)
    assert service_cards(later) == ["dora--sv-colis"] and "le CCAS" in "\n".join(r.text for r in later)


def test_a_free_lawyer_is_the_legal_aid_outside_the_network(brain_94: Brain) -> None:
    replies = talk(brain_94, "jai besoin d'un avocat gratuit", "champigny", "19 ans")
    assert service_cards(replies) == ["dora--sv-juriste"]
    card = next(c for r in replies for c in r.cards)
    assert (
        card.subtitle.startswith("hors réseau 6Tcap")
        and "Infos DORA (data·inclusion) du 02/10/2026" in card.details
    )


def test_how_to_register_is_answered_then_the_agency_is_a_button_away(brain_94: Brain) -> None:
    user = f"outside-{uuid.uuid4().hex[:8]}"
    answer = talk(brain_94, "comment s'inscrire a france travail", user=user)
    assert "L'inscription se fait en ligne" in "\n".join(r.text for r in answer)  # the sourced answer first
    assert "need:france_travail" in payloads(answer)
    replies = talk(brain_94, "#need:france_travail", "champigny", "19 ans", user=user)
    assert service_cards(replies) == ["france-travail--sv-accompagnement"]


def test_a_doctor_comes_from_the_network_first_then_a_health_centre_outside_it(brain_94: Brain) -> None:
    user = f"outside-{uuid.uuid4().hex[:8]}"
    replies = talk(brain_94, "jdois voir un medecin", "champigny", "19 ans", user=user)
    cards = [c for r in replies for c in r.cards if c.kind == "service"]
    for _ in range(5):  # page after page until the health centre outside the network
        if any(c.id == "dora--sv-consultations" for c in cards) or "more" not in payloads(replies):
            break
        replies = talk(brain_94, "#more", user=user)
        cards += [c for r in replies for c in r.cards if c.kind == "service"]
    ids = [c.id for c in cards]
    assert "dora--sv-consultations" in ids
    outside = ids.index("dora--sv-consultations")
    assert outside > 0  # the network's services for care come first...
    assert not any(c.subtitle.startswith("hors réseau") for c in cards[:outside])
    centre = cards[outside]  # ...then the centre, labelled, with its producer, date and hours
    assert centre.subtitle.startswith("hors réseau 6Tcap")
    assert "Infos DORA (data·inclusion) du 20/10/2026" in centre.details
    assert "Ouvert maintenant, jusqu'à 19h" in centre.details


def test_a_youth_under_16_looking_for_a_job_is_not_sent_to_an_employment_agency(brain_94: Brain) -> None:
    replies = talk(brain_94, "jai 14 ans jveux un taf", "champigny")
    text = "\n".join(r.text for r in replies)
    assert "Avant 16 ans" in text
    assert not any(card.startswith("france-travail--") for card in service_cards(replies))
    older = talk(brain_94, "jai 19 ans jveux un taf", "champigny", "#offers:skip")
    assert "Avant 16 ans" not in "\n".join(r.text for r in older)
