"""Towns, neighbourhoods and ages, as youths write them; spans point at what they typed."""

from __future__ import annotations

import pytest

from nlu.entities import Gazetteer, extract
from tests.conftest import DATA


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.from_territory(DATA / "territory.yml")


def found(text: str, gazetteer: Gazetteer) -> list[tuple[str, object, str]]:
    return [(e["entity"], e["value"], text[e["start"] : e["end"]]) for e in extract(text, gazetteer)]


@pytest.mark.parametrize(
    ("text", "commune"),
    [
        ("jsuis de champi", "Champigny-sur-Marne"),
        ("j'habite à Champigny-sur-Marne", "Champigny-sur-Marne"),
        ("CHAMPIGNY", "Champigny-sur-Marne"),
        ("jhabite a champigni", "Champigny-sur-Marne"),  # typo
        ("94500", "Champigny-sur-Marne"),
        ("st mande", "Saint-Mandé"),
        ("saint-mandé", "Saint-Mandé"),
        ("fontenay", "Fontenay-sous-Bois"),  # ambiguous alias: the territory's commune
        ("vers villiers sur marne", "Villiers-sur-Marne"),
        ("chenevieres", "Chennevières-sur-Marne"),
        ("je suis a la varenne", "Saint-Maur-des-Fossés"),
        ("jsuis a vincenne", "Vincennes"),
    ],
)
def test_communes(text: str, commune: str, gazetteer: Gazetteer) -> None:
    entities = [e for e in found(text, gazetteer) if e[0] == "commune"]
    assert [e[1] for e in entities] == [commune]


def test_longest_alias_wins(gazetteer: Gazetteer) -> None:
    assert found("Villiers-sur-Marne stp", gazetteer) == [
        ("commune", "Villiers-sur-Marne", "Villiers-sur-Marne")
    ]


@pytest.mark.parametrize(
    ("text", "typed"),
    [
        ("fontenai sous boa", "fontenai sous boa"),
        ("jsuis a champigni sur marn jcherche", "champigni sur marn"),
        ("jsuis a fontenay et jai pas de sous", "fontenay"),
    ],
)
def test_a_town_misspelt_word_by_word_is_one_town(text: str, typed: str, gazetteer: Gazetteer) -> None:
    """The whole name is the town, so that its words are not read as something else ("sous": money)."""
    assert [e[2] for e in found(text, gazetteer) if e[0] == "commune"] == [typed]


def test_a_neighbourhood_implies_its_commune(gazetteer: Gazetteer) -> None:
    assert found("jsuis au bois l'abbé", gazetteer) == [
        ("quartier", "Le Bois-l'Abbé", "bois l'abbé"),
        ("commune", "Champigny-sur-Marne", "bois l'abbé"),
    ]
    assert ("commune", "Villiers-sur-Marne", "hautes noues") in found("aux hautes noues", gazetteer)
    assert ("quartier", "Les Larris", "cité des larris") in found("cité des larris ou la redoute", gazetteer)


@pytest.mark.parametrize(
    ("text", "age", "span"),
    [
        ("j'ai 19 ans", 19, "19"),
        ("19ans", 19, "19"),
        ("jai 17a", 17, "17"),
        ("18 ans le mois dernier", 18, "18"),
        ("j ai dix-neuf ans", 19, "dix-neuf"),
        ("g 21 ans et jsuis de champi", 21, "21"),
        ("J'AI 16 ANS", 16, "16"),
        ("ya du boulot pour un jeune de 17 ans?", 17, "17"),
        ("I'm 19 and I need a job", 19, "19"),
        ("need a job asap, i am 20", 20, "20"),
        ("im 22 years old", 22, "22"),
    ],
)
def test_ages(text: str, age: int, span: str, gazetteer: Gazetteer) -> None:
    assert ("age", age, span) in found(text, gazetteer)


@pytest.mark.parametrize(
    "text",
    [
        "j'ai perdu ma montre",
        "jai 20 euros",
        "mon code postal c'est 94500",
        "il a 2 ans",
        "bonjour",
        "noisette",
        "c quoi les sports gratuits pour les 16-25 ans",  # an age limit, not the youth's age
        "c'est pour les jeunes de 16 a 25 ans ?",
        "il faut avoir moins de 26 ans",
        "je veux aller a la ville, en centre ville",  # not La Ville-du-Bois
        "les champs elysees c'est beau",  # not Champs-sur-Marne
        "je vais a la croix rouge",
    ],
)
def test_no_false_age_or_town(text: str, gazetteer: Gazetteer) -> None:
    entities = found(text, gazetteer)
    assert not any(e[0] == "age" for e in entities)
    if "94500" not in text:
        assert entities == []


def test_spans_are_positions_in_the_original_text(gazetteer: Gazetteer) -> None:
    text = "🙂 Wesh j’habite à Saint‑Mandé, j'ai 18 ans"
    for entity, _value, span in found(text, gazetteer):
        assert span in {"Saint‑Mandé", "18"}, entity
