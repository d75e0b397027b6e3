"""Parsing as the bot sees it: Rasa's shape, youths' words, the safety layer, and bad input."""

from __future__ import annotations

import pytest

from nlu.answers import is_question
from nlu.parser import EmbeddedParser, Thresholds
from nlu.rasa_yaml import read_file
from tests.conftest import DATA

INTENTS = {
    "paperwork", "health", "driving_licence", "sport", "job", "training", "housing", "money", "wellbeing",
    "greet", "goodbye", "thanks", "affirm", "deny", "help", "ask_human", "village", "forget_me", "crisis",
    "out_of_scope", "faq", "explore",
}  # fmt: skip


def test_rasa_parse_shape(parser: EmbeddedParser) -> None:
    result = parser.parse("jsuis de champi j'ai 19 ans je veux passer le permis")
    assert set(result) == {"text", "intent", "entities", "intent_ranking"}  # no response_selector: no faq
    assert result["text"] == "jsuis de champi j'ai 19 ans je veux passer le permis"
    assert set(result["intent"]) == {"name", "confidence"}
    ranking = result["intent_ranking"]
    assert 1 <= len(ranking) <= 10
    assert [r["confidence"] for r in ranking] == sorted((r["confidence"] for r in ranking), reverse=True)
    assert result["intent"]["name"] in {r["name"] for r in ranking}
    for entity in result["entities"]:
        assert set(entity) == {"entity", "value", "start", "end", "extractor"}


def test_the_model_knows_exactly_the_intents_of_the_design(parser: EmbeddedParser) -> None:
    assert set(parser.model.classifier.intents) == INTENTS


def test_a_message_that_carries_everything(parser: EmbeddedParser) -> None:
    result = parser.parse("jsuis de champi j'ai 19 ans je veux passer le permis")
    assert result["intent"]["name"] == "driving_licence"
    values = {(e["entity"], e["value"]) for e in result["entities"]}
    assert values == {("commune", "Champigny-sur-Marne"), ("age", 19)}


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("jveux passer le permi mais g pas de thune", "driving_licence"),
        ("wesh", "greet"),
        ("mrc bcp", "thanks"),
        ("jcherche du taf", "job"),
        ("oublie moi", "forget_me"),
        ("je veux parler a un vrai conseiller", "ask_human"),
        ("caf", "paperwork"),
        ("mutuelle", "health"),
    ],
)
def test_youth_wording(parser: EmbeddedParser, text: str, intent: str) -> None:
    assert parser.parse(text)["intent"]["name"] == intent


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "a" * 10_000,
        "bonjour " * 1500,
        "🙂🙂🔥",
        "مرحبا كيف حالك",
        "Привет как дела",
        "\u200b\u200d\ufeff",
        "\x00\x01\x02\x1b[31m",
        "?!?!...",
        "\ud800",
    ],
)
def test_bad_input_always_gives_a_parse(parser: EmbeddedParser, text: str) -> None:
    result = parser.parse(text)
    assert result["text"] == text
    assert result["intent"]["name"] in INTENTS | {"nlu_fallback"}
    assert isinstance(result["entities"], list)


def test_nothing_understood_is_a_fallback(parser: EmbeddedParser) -> None:
    for text in ("", "🙂🙂🔥", "\u200b", "zzkx qwv"):
        assert parser.parse(text)["intent"]["name"] == "nlu_fallback", text


def test_arabic_script_is_read() -> None:
    """Arabic letters are words for the classifiers (they were folded away once: Arabic distress went unseen)."""
    from nlu.features import features

    assert "w:حياتي" in features("أريد أن أنهي حياتي")


def test_fallback_threshold_follows_configuration(nlu_model) -> None:  # type: ignore[no-untyped-def]
    strict = EmbeddedParser(nlu_model, Thresholds(fallback=0.999, crisis=0.999))
    result = strict.parse("jsais pas trop")
    assert result["intent"] == {"name": "nlu_fallback", "confidence": 0.999}
    assert result["intent_ranking"][0]["name"] == "nlu_fallback"
    assert len(result["intent_ranking"]) <= 10


@pytest.mark.parametrize(
    "text",
    [
        "jveux plus vivre",
        "J'ai envie de me foutre en l'air ce soir",
        "je me suis encore coupé les bras",
        "g avalé toute la boite de doliprane",
        "mon beau-père me frappe",
        "mon copain m'a étranglée hier",
        "un mec me suit depuis la gare jai peur",
        "il est devant ma porte avec un couteau",
        "ma mère m'a mise dehors cette nuit",
        "on veut me marier de force",
        "jsuis sur le toit jvais sauter",
    ],
)
def test_danger_is_always_crisis_with_its_kind(parser: EmbeddedParser, text: str) -> None:
    result = parser.parse(text)
    assert result["intent"] == {"name": "crisis", "confidence": 1.0}
    kinds = [e for e in result["entities"] if e["entity"] == "crisis_kind"]
    assert kinds and all(e["value"] in parser.model.lexicon.kinds for e in kinds)
    for kind in kinds:
        assert 0 <= kind["start"] < kind["end"] <= len(text)


def test_crisis_recall_on_every_labelled_example(parser: EmbeddedParser) -> None:
    """Training and held-out crisis examples: not one is missed."""
    examples = [
        *read_file(DATA / "nlu" / "crisis.yml").examples,
        *read_file(DATA / "nlu" / "test" / "test.yml").examples,
    ]
    missed = [
        e.text
        for e in examples
        if e.intent == "crisis" and parser.parse(e.text)["intent"]["name"] != "crisis"
    ]
    assert missed == []


def test_a_question_gets_rasas_response_selector(parser: EmbeddedParser) -> None:
    result = parser.parse("c quoi le cej")
    assert result["intent"]["name"] == "faq"
    selector = result["response_selector"]
    assert selector["all_retrieval_intents"] == ["faq"]
    response = selector["faq"]["response"]
    assert response["intent_response_key"] == "faq/cej" and response["utter_action"] == "utter_faq/cej"
    assert 0 < response["confidence"] <= 1
    ranking = [r["confidence"] for r in selector["faq"]["ranking"]]
    assert ranking == sorted(ranking, reverse=True) and len(ranking) <= 5


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("jsuis a ormesson", "Ormesson-sur-Marne"),
        ("94490", "Ormesson-sur-Marne"),
        ("slt chui de paris 20e jcherche du taf", "Paris 20e arrondissement"),
        ("75018", "Paris 18e arrondissement"),
        ("jsuis du 13eme", "Paris 13e arrondissement"),
        ("jsuis de marseille", "Marseille"),
        ("j'habite a bondy", "Bondy"),
        ("jsuis a sucy, ya des aides ?", "Sucy-en-Brie"),  # the short names youths use
        ("mon permis c'est a rosny", "Rosny-sous-Bois"),
        ("jveux bosser a roissy a l'aeroport", "Roissy-en-France"),
    ],
)
def test_a_town_outside_the_territory_is_recognised(parser: EmbeddedParser, text: str, value: str) -> None:
    entities = [(e["entity"], e["value"]) for e in parser.parse(text)["entities"]]
    assert ("elsewhere", value) in entities


@pytest.mark.parametrize(
    "text",
    [
        "avec plaisir",
        "ma mere est gentille",
        "on est vert de rage",
        "le stand de la ville dans le village",
        "la croix rouge recrute ?",
        "on va aux champs elysees",
    ],
)
def test_town_names_that_are_common_words_are_not_towns(parser: EmbeddedParser, text: str) -> None:
    assert not [e for e in parser.parse(text)["entities"] if e["entity"] == "elsewhere"]


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("c quoi le pass sport", "pass_sport"),  # sport words, but a question the knowledge base answers
        ("wesh comment on renouvelle une cni perdue", "carte_identite"),
        ("c koi l'ecole de la 2e chance", "e2c"),
    ],
)
def test_a_question_on_a_known_topic_gets_its_answer(parser: EmbeddedParser, text: str, answer: str) -> None:
    parsed = parser.parse(text)
    assert parsed["intent"]["name"] == "faq"
    assert parsed["response_selector"]["faq"]["response"]["intent_response_key"] == f"faq/{answer}"


@pytest.mark.parametrize(
    ("text", "intent"),
    [("ya un centre de santé a champigny?", "health"), ("jcherche une formation a fontenay", "training")],
)
def test_where_to_go_in_a_town_is_the_concern(parser: EmbeddedParser, text: str, intent: str) -> None:
    assert parser.parse(text)["intent"]["name"] == intent


def test_questions_in_english_and_slang_are_questions_and_requests_are_not() -> None:
    for question in ("why hasn t my payment arrived", "where can i get tested", "pk on a pas le rsa", "c cb"):
        assert is_question(question), question
    for request in ("jcherche un service civique", "permis 1 euro", "slt jveux du taf"):
        assert not is_question(request), request


def test_questions_without_a_question_word_are_questions() -> None:
    # a yes/no question in English, Darija in Latin letters, facts asked without a question word
    for question in ("is the fjt for students too", "wach kayen formation", "css conditions", "e2c age max"):
        assert is_question(question), question
    for request in ("jcherche une formation", "jveux bosser dans la vente", "i need a job"):
        assert not is_question(request), request


def test_a_question_in_a_message_of_danger_keeps_the_answer_it_asks_for(parser: EmbeddedParser) -> None:
    parsed = parser.parse("la capote a craqué hier, la pilule du lendemain faut la prendre quand ?")
    assert parsed["intent"]["name"] == "crisis"
    key = parsed["response_selector"]["faq"]["response"]["intent_response_key"]
    assert key == "faq/contraception_urgence"
