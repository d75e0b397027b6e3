"""Offers sent by the missions locales and partners: a JSON or CSV file (`sixtcap offers load`) or their
own system (`POST /admin/api/offers` with an API key limited to offers). Every problem on one line,
nothing written on error, sending again updates, a partner never touches another's offers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from bot.db import transaction
from bot.models import Offer
from nlu.parser import EmbeddedParser
from sixtcap.cli import app
from tests.test_admin_api import OTHER, OWN, World, make_world

CSV = """id;title;kind;employer;code_insee;experience;alternance;contract_type;apply_url
ml-1;Vendeuse en boulangerie;job;Boulangerie démo;94017;D;non;CDD;https://ml.example/1
ml-2;Mécanicien auto en apprentissage;job;Garage démo;94079;D;oui;APP;https://ml.example/2
"""


@pytest.fixture
def world(loaded_engine: Engine, parser: EmbeddedParser) -> Iterator[World]:
    yield from make_world(loaded_engine, parser)


def offers_of(engine: Engine) -> dict[str, Offer]:
    with transaction(engine) as session:
        return {o.id: o for o in session.scalars(select(Offer).where(Offer.expired_at.is_(None)))}


def load(engine: Engine, path: Path, *options: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app,
        ["offers", "load", str(path), "--partner", OWN, *options],
        env={"SIXTCAP_DATABASE_URL": str(engine.url.render_as_string(hide_password=False))},
    )
    return result.exit_code, result.output


def test_a_csv_file_from_a_mission_locale_is_loaded_and_loading_it_again_changes_nothing(
    loaded_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "offres.csv"
    path.write_text(CSV, encoding="utf-8")
    assert load(loaded_engine, path) == (0, "mission_locale: 2 new, 0 updated, 0 expired\n")
    assert load(loaded_engine, path) == (0, "mission_locale: 0 new, 2 updated, 0 expired\n")
    offers = offers_of(loaded_engine)
    assert set(offers) == {f"{OWN}/ml-1", f"{OWN}/ml-2"}
    apprenticeship = offers[f"{OWN}/ml-2"]
    assert (apprenticeship.alternance, apprenticeship.contract_type, apprenticeship.approximate) == (
        True,
        "APP",
        True,
    )
    assert apprenticeship.commune == "Villiers-sur-Marne"


def test_a_file_with_mistakes_says_each_one_with_its_line_and_writes_nothing(
    loaded_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "offres.csv"
    path.write_text(
        CSV
        + "ml-3;Serveur;job;;94017;beaucoup;peut-être;CDD;\n"
        + "ml-1;Doublon;job;;94017;D;non;CDD;\n"
        + "ml-4;Caissier;job;;94017;D;non;CDD;pas-un-lien;trop;de;cellules\n",
        encoding="utf-8",
    )
    code, output = load(loaded_engine, path)
    assert code == 1
    lines = output.strip().splitlines()
    assert any(line.startswith("offres.csv:4: experience: Input should be 'D', 'S' or 'E'") for line in lines)
    assert any(line.startswith("offres.csv:4: alternance: ") for line in lines)
    assert "offres.csv:5: id: 'ml-1' already given at offres.csv:2" in lines
    assert any(line.startswith("offres.csv:6: ") and "cells for 9 columns" in line for line in lines)
    assert offers_of(loaded_engine) == {}


def test_a_json_file_replaces_the_partners_list_and_their_missing_offers_expire(
    loaded_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "offres.json"
    first = [
        {"id": "a", "title": "Agent de sécurité", "code_insee": "94017"},
        {"id": "b", "title": "Cariste", "latitude": 48.83, "longitude": 2.5},
    ]
    path.write_text(json.dumps({"offers": first}), encoding="utf-8")
    assert load(loaded_engine, path)[0] == 0
    path.write_text(json.dumps(first[1:]), encoding="utf-8")
    assert load(loaded_engine, path) == (0, "mission_locale: 0 new, 1 updated, 1 expired\n")
    assert set(offers_of(loaded_engine)) == {f"{OWN}/b"}
    path.write_text('[{"id": ', encoding="utf-8")
    code, output = load(loaded_engine, path)
    assert code == 1 and output.startswith("offres.json:1: invalid JSON")


def test_a_partner_system_posts_offers_with_an_offers_key(world: World) -> None:
    created = world.call("adviser", "POST", "/staff/3/api-keys", {"name": "site", "scopes": ["offers"]})
    assert created.status_code == 201, created.text
    key = {"X-API-Key": created.json()["api_key"]}
    batch = {
        "offers": [
            {
                "id": "w1",
                "title": "Plombier H/F",
                "code_insee": "94017",
                "rome_code": "F1603",
                "experience": "D",
            }
        ]
    }
    sent = world.client.post("/admin/api/offers", json=batch, headers=key)
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"source": "mission_locale", "created": 1, "updated": 0, "expired": 0}
    again = world.client.post("/admin/api/offers", json=batch, headers=key)
    assert again.json()["updated"] == 1
    assert world.client.patch("/admin/api/services/capacity", json=[], headers=key).status_code == 403
    assert set(offers_of(world.engine)) == {f"{OWN}/w1"}


def test_posted_offers_with_problems_are_all_listed_and_nothing_is_written(world: World) -> None:
    batch = {
        "offers": [
            {"id": "ok", "title": "Vendeur", "code_insee": "94017"},
            {"id": "x", "title": "Serveur", "code_insee": "94017", "apply_url": "pas un lien"},
            {"id": "y", "title": "Serveur"},
            {"id": "z", "title": "Maçon", "code_insee": "13201"},
        ]
    }
    sent = world.call("adviser", "POST", "/offers", batch)
    assert sent.status_code == 422
    problems = sent.json()["problems"]
    assert any(p.startswith("offers[1]: apply_url: ") for p in problems)
    assert any(p.startswith("offers[2]: ") and "give the workplace" in p for p in problems)
    assert offers_of(world.engine) == {}
    unplaced = world.call("adviser", "POST", "/offers", {"offers": [batch["offers"][0], batch["offers"][3]]})
    assert unplaced.status_code == 422
    assert unplaced.json()["problems"] == ["z: code_insee: no coordinates and a commune sixtcap cannot place"]
    assert offers_of(world.engine) == {}


def test_an_adviser_cannot_send_another_partners_offers(world: World) -> None:
    batch = {"partner_id": OTHER, "offers": [{"id": "a", "title": "Vendeur", "code_insee": "94017"}]}
    assert world.call("adviser", "POST", "/offers", batch).status_code == 403
    assert world.call("coordinator", "POST", "/offers", batch).status_code == 403
    by_admin = world.call("admin", "POST", "/offers", batch)
    assert by_admin.status_code == 200 and by_admin.json()["source"] == "partner"
    assert set(offers_of(world.engine)) == {f"{OTHER}/a"}


def test_demo_offers_are_flagged_and_withdrawn_once_a_real_source_has_credentials(
    loaded_engine: Engine,
) -> None:
    env = {"SIXTCAP_DATABASE_URL": loaded_engine.url.render_as_string(hide_password=False)}
    made = CliRunner().invoke(app, ["offers", "demo", "--count", "20"], env=env)
    assert made.output == "demo offers: 20\n"
    offers = offers_of(loaded_engine)
    assert len(offers) == 20 and all(o.is_demo and o.title.endswith("(démo)") for o in offers.values())
    withdrawn = CliRunner().invoke(
        app, ["offers", "demo"], env=env | {"SIXTCAP_LA_BONNE_ALTERNANCE_TOKEN": "t"}
    )
    assert withdrawn.output == "no demo offers: real sources are on (la_bonne_alternance)\n"
    assert offers_of(loaded_engine) == {}
