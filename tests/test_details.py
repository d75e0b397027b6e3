"""Answers about a service just shown, from the catalogue's own fields: the documents to bring come from
data·inclusion's `justificatifs` and `pre_requis`, which survive the loader and the export."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bot.catalogue.datainclusion import export_catalogue, partner_dicts
from bot.catalogue.snapshot import load_services
from bot.config import load_settings
from bot.db import session_factory
from bot.details import answer_detail
from bot.resources import Resources

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
RESOURCES = Resources.load(load_settings())


def test_documents_come_from_justificatifs_then_prerequisites(loaded_engine: Engine) -> None:
    with session_factory(loaded_engine)() as session:
        service = next(s for s in load_services(session) if s.id == "ml-bdm-permis")
    known = replace(service, justificatifs=("pièce d'identité",), pre_requis=("avoir 18 ans",))
    text = answer_detail("documents", known, "faut ramener quoi", NOW, RESOURCES.zone, RESOURCES.texts).text
    assert "pièce d'identité" in text and "avoir 18 ans" in text
    unknown = replace(service, justificatifs=(), pre_requis=(), conditions_acces=None)
    text = answer_detail("documents", unknown, "faut ramener quoi", NOW, RESOURCES.zone, RESOURCES.texts).text
    assert "Un conseiller peut te la donner" in text


def test_prerequisites_and_documents_survive_the_data_inclusion_export(loaded_engine: Engine) -> None:
    with session_factory(loaded_engine)() as session:
        exported = export_catalogue(session)
    services = exported["services"]
    assert all("pre_requis" in s and "justificatifs" in s for s in services)
    back, problems = partner_dicts(exported)
    assert problems == []
    assert all(isinstance(s["justificatifs"], list) for _, p in back for s in p["services"])


def test_a_sourced_address_without_a_point_is_said_and_its_map_searches_the_address(
    loaded_engine: Engine,
) -> None:
    with session_factory(loaded_engine)() as session:
        services = {s.id: s for s in load_services(session)}
    epide = services["epide-parcours-insertion"]
    assert epide.places[0].approximate, "the EPIDE has no coordinates of its own: placed at Montry's point"
    reply = answer_detail("address", epide, "c'est ou", NOW, RESOURCES.zone, RESOURCES.texts)
    assert "50 avenue du 27 Août 1944, 77450 Montry" in reply.text
    (map_button,) = [b for b in reply.buttons if b.url and "openstreetmap" in b.url]
    assert map_button.url.startswith("https://www.openstreetmap.org/search?query=50+avenue+du+27+Ao")
    assert "Montry" in map_button.url
    unknown = services["ml-bdm-permis"]  # no street address sourced for the Bords de Marne antennas
    reply = answer_detail("address", unknown, "c'est ou", NOW, RESOURCES.zone, RESOURCES.texts)
    assert "je n'ai pas l'adresse exacte" in reply.text
    assert not [b for b in reply.buttons if b.url and "openstreetmap" in b.url]


def test_own_file_one_place_and_general_questions_are_told_apart() -> None:
    words = RESOURCES.details
    assert words.about_own_case("mon allocation cej est pas arrivee ce mois ci")
    assert words.about_own_case("mon dossier il en est ou")
    assert not words.about_own_case("qui peut m aider a faire mon dossier de titre de sejour")
    assert not words.about_own_case("a qui m adresser pour etre accompagne dans ma demande de css")
    assert not words.about_own_case("mon dossier cej", strictly=True)  # "mon dossier" alone: not strictly
    # by how the question is built, whatever the aid: what happened to "ma X", an amount asked exactly
    assert words.about_own_case("pourquoi ma css a ete refusee", strictly=True)
    assert words.about_own_case("ma caf a bloque mes apl", strictly=True)
    assert words.about_own_case("combien exactement jvais toucher avec le cej", strictly=True)
    assert words.about_own_case("mon cheque permis il est ou", strictly=True)
    assert not words.about_own_case("mon titre de sejour expire je fais quoi")
    assert not words.about_own_case("jai perdu ma carte d identite")
    assert words.about_own_case("ils m ont sucre l alloc cej", strictly=True)
    assert words.about_own_case("when will i get my first payment", strictly=True)
    assert words.uncovered("le bafa c finance par qui") and not words.uncovered("c quoi le cej")
    assert words.uncovered("la naturalisation c quoi les conditions")  # no answer on French nationality
    assert words.uncovered("je veux m engager dans l armee qui peut m aider")  # nor on joining the army
    # typed without apostrophes, after a refusal, an attribute of "mon X": the youth's own case
    assert words.about_own_case("pourquoi ils mont radie", strictly=True)
    assert words.about_own_case("pourquoi france travail ma supprime l inscription", strictly=True)
    assert words.about_own_case("je peux refaire une demande apres le refus", strictly=True)
    assert words.about_own_case("c quoi le montant de mon allocation", strictly=True)
    assert not words.about_own_case("c quoi les conditions du cej")
    assert words.about_one_place("le foyer de fontenay il reste une chambre", named=True)
    # the address or phone of one place named without its town: not the general answer on that kind of place
    assert words.about_one_place("l e2c de montreuil c a quelle adresse", named=False)
    assert words.about_one_place("c quoi leur numero au point ecoute", named=False)
    assert words.about_one_place("la mission locale de champi elle ouvre a quelle heure", named=True)
    assert not words.about_one_place("la mission locale elle ouvre le samedi", named=False)
    # what only one place can say, named or not, unless the answer says its hours (the 115: 24h/24)
    assert words.about_one_place("la mission locale elle ouvre a quelle heure", named=False)
    assert words.about_one_place("idc c a quel etage", named=False)
    assert not words.about_one_place("le 115 on appelle a quelle heure", named=False, answer_id="numero_115")
    assert words.about_one_place("il reste des places a l e2c", named=False)  # what only the place knows
    assert not words.about_one_place("les restos du coeur c est ou vers champi", named=True)
    assert words.asks_for_more("y a rien pour moi")
