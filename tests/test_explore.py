"""The trades a youth can discover (data/explore/trades.yml), how answers choose three of them, and the
question an adviser reads at the end of the exploration (on SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import hashlib
import html
import itertools
import re
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from admin_api.pages.security import COOKIE
from bot.brain import Brain
from bot.config import load_settings
from bot.db import session_factory, transaction
from bot.explore import TRAITS, Explorer, load_explorer
from bot.messages import Incoming
from bot.models import Handoff, Staff
from bot.resources import Resources
from bot.staff import add_staff, issue_token
from nlu.parser import EmbeddedParser
from tests.conftest import PSEUDONYMS, channel_settings, running_app

DATA = Path(__file__).resolve().parent.parent / "data" / "explore" / "trades.yml"
ROME_CODE = re.compile(r"^[A-N]\d{4}$")
PARTNER = "mission_locale_bords_de_marne"
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture(scope="module")
def explorer() -> Explorer:
    return load_explorer(DATA)


def every_answer_set(explorer: Explorer) -> list[dict[str, str]]:
    """Every way to answer (or skip) the questions."""
    choices = [[None, *(a.id for a in q.answers)] for q in explorer.questions]
    return [
        {q.id: a for q, a in zip(explorer.questions, combo, strict=True) if a is not None}
        for combo in itertools.product(*choices)
    ]


def test_each_trade_is_sourced_and_said_plainly_in_french_and_english(explorer: Explorer) -> None:
    assert len(explorer.trades) >= 10
    assert len({t.id for t in explorer.trades}) == len(explorer.trades)
    for trade in explorer.trades:
        assert ROME_CODE.match(trade.rome_code), trade.id
        assert trade.rome_label and trade.source.startswith("Arrêté"), trade.id
        assert set(trade.traits) <= TRAITS and trade.traits, trade.id
        for field in (trade.title, trade.description, trade.where, trade.training):
            assert field.get("fr") and field.get("en"), trade.id
        for language in ("fr", "en"):
            sentences = re.findall(r"[^.!?]+[.!?]", trade.description[language])
            assert len(sentences) == 2, (trade.id, language, trade.description[language])
            assert len(trade.description[language]) <= 200, (trade.id, language)
            assert len(trade.where[language]) <= 130, (trade.id, language)  # one line of the trade's card
            assert len(trade.training[language]) <= 130, (trade.id, language)


ROME_ROWS = DATA.parent / "rome_v347_acces.csv"


def rome_access_rows() -> dict[str, str]:
    """The extract of the ROME fiches' "Accès à l'emploi/métier" rows kept beside the data file."""
    with ROME_ROWS.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["libelle_type_texte"] == "acces_a_em"]
    texts: dict[str, list[str]] = {}
    for row in sorted(rows, key=lambda r: int(r["position_libelle_txt"])):
        texts.setdefault(row["code_rome"], []).append(row["libelle_texte"].replace("''", "'"))
    return {code: " ".join(sentences) for code, sentences in texts.items()}


def test_each_trade_says_what_its_rome_fiche_says_of_starting_without_a_diploma(explorer: Explorer) -> None:
    """Every quote is the fiche's own words (the kept extract, as recorded in the file), and its `start` is
    what those words say: nothing invented."""
    source = explorer.sources["rome_v347"]
    assert hashlib.sha256(ROME_ROWS.read_bytes()).hexdigest() == source["extract_sha256"]
    fiches = rome_access_rows()
    for trade in explorer.trades:
        access = trade.access
        assert access is not None, trade.id  # all thirteen fiches were found; null would be allowed
        fiche = fiches[trade.rome_code]
        for piece in re.split(r"\s*\[\.\.\.\]\s*", access.fiche):
            assert piece.strip(" .") in fiche, (trade.id, piece)
        free = "sans diplôme ni expérience professionnelle" in fiche
        with_experience = "sans diplôme particulier" in fiche or "sans diplôme et avec expérience" in fiche
        compulsory = "obligatoire" in fiche
        expected = (
            "regulated" if compulsory else
            "no_diploma" if free else
            "experience" if with_experience or "avec une expérience professionnelle" in fiche else
            "diploma"
        )  # fmt: skip
        assert access.start == expected, (trade.id, access.start, expected)
        assert access.says.get("fr") and access.says.get("en"), trade.id
        assert len(access.says["fr"]) <= 120, trade.id  # one line of the card


def test_a_fiche_not_found_is_null_and_any_other_start_is_refused(tmp_path: Path) -> None:
    text = DATA.read_text(encoding="utf-8")
    macon = text.index("  - id: macon")
    start, end = text.index("    access:", macon), text.index("    traits:", macon)
    missing = tmp_path / "missing.yml"
    missing.write_text(text[:start] + "    access: null  # fiche not found\n" + text[end:], encoding="utf-8")
    assert load_explorer(missing).trade("macon").access is None  # type: ignore[union-attr]
    invented = tmp_path / "invented.yml"
    invented.write_text(text.replace("start: experience", "start: easy", 1), encoding="utf-8")
    with pytest.raises(ValueError, match="start 'easy'"):
        load_explorer(invented)
    forgotten = tmp_path / "forgotten.yml"
    forgotten.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(ValueError, match="needs access"):
        load_explorer(forgotten)


def test_a_card_whose_fiche_was_not_found_sends_the_youth_to_the_adviser(
    tmp_path: Path, loaded_engine: Engine, parser: EmbeddedParser
) -> None:
    """The mason's fiche made null: its card says to check with the adviser, in French and in English,
    and the cards of the other trades still say what their fiche says."""
    text = DATA.read_text(encoding="utf-8")
    macon = text.index("  - id: macon")
    start, end = text.index("    access:", macon), text.index("    traits:", macon)
    missing = tmp_path / "missing.yml"
    missing.write_text(text[:start] + "    access: null\n" + text[end:], encoding="utf-8")
    resources = replace(Resources.load(load_settings()), explorer=load_explorer(missing))
    brain = Brain(loaded_engine, resources, parser, PSEUDONYMS, clock=lambda: NOW)
    for user, first, asked in (
        (
            "fr-youth",
            "jsp koi faire jsuis de champigny",
            "❓ Diplôme pour commencer : à vérifier avec ton conseiller.",
        ),
        (
            "en-youth",
            "idk what job to do, i live in champigny",
            "❓ Diploma to start: check with your adviser.",
        ),
    ):
        brain.handle(Incoming("test", user, text=first))
        for answer in ("with=hands", "where=outside", "pace=moving", "proud=built", "cannot_stand=skip"):
            brain.handle(Incoming("test", user, payload=f"explore:{answer}"))
        replies = brain.handle(Incoming("test", user, payload="explore:hours=ok")).messages
        cards = {card.id: card for reply in replies for card in reply.cards if card.kind == "trade"}
        assert asked in cards["macon"].details, cards["macon"].details
        assert not any("✅" in line or "🟡" in line for line in cards["macon"].details)
        assert any(line.startswith("🟡") for line in cards["paysagiste"].details), cards["paysagiste"].details


def test_the_questions_are_at_most_six_with_buttons(explorer: Explorer) -> None:
    assert 1 <= len(explorer.questions) <= 6
    for question in explorer.questions:
        assert 2 <= len(question.answers) <= 4, question.id  # fits WhatsApp's buttons and a phone screen


def test_three_trades_from_three_families_whatever_the_answers(explorer: Explorer) -> None:
    for answers in every_answer_set(explorer):
        best = explorer.best(answers)
        assert len(best) == 3, answers
        assert len({t.family for t in best}) == 3, answers


def test_every_trade_can_come_first(explorer: Explorer) -> None:
    """No trade is dead weight: some set of answers puts each one first."""
    firsts = {explorer.best(answers)[0].id for answers in every_answer_set(explorer)}
    assert firsts == {t.id for t in explorer.trades}


@pytest.mark.parametrize(
    ("answers", "expected_first"),
    [
        ({"with": "hands", "where": "outside", "pace": "moving"}, {"macon", "paysagiste"}),
        ({"with": "screens", "pace": "calm"}, {"administratif", "informatique"}),
        ({"with": "people", "proud": "helped"}, {"advf"}),
        ({"with": "hands", "where": "inside", "proud": "tidy"}, {"proprete", "preparateur"}),
        ({"with": "people", "where": "inside", "pace": "moving", "hours": "ok"}, {"serveur"}),
    ],
)
def test_profiles_get_the_trades_their_answers_describe(
    explorer: Explorer, answers: dict[str, str], expected_first: set[str]
) -> None:
    assert explorer.best(answers)[0].id in expected_first


def test_what_the_youth_cannot_stand_is_left_out(explorer: Explorer) -> None:
    cold = explorer.best({"with": "hands", "cannot_stand": "cold"})
    assert all(t.traits.get("outside", 0) < 2 for t in cold), [t.id for t in cold]
    crowd = explorer.best({"with": "screens", "cannot_stand": "crowd"})
    assert crowd[0].traits.get("people", 0) < 2, crowd[0].id
    nights = explorer.best({"with": "people", "hours": "no"})
    assert nights[0].id == "administratif"  # the only people trade without odd hours in its source


def test_no_answer_at_all_gives_the_files_order(explorer: Explorer) -> None:
    families: list[str] = []
    for trade in explorer.trades:
        if trade.family not in families:
            families.append(trade.family)
    assert [t.family for t in explorer.best({})] == families[:3]


def test_the_ways_to_try_follow_the_youths_age(explorer: Explorer) -> None:
    assert {w.id for w in explorer.fitting_ways(None)} == {"pmsmp", "apprenticeship", "e2c", "epide"}
    assert {w.id for w in explorer.fitting_ways((16, 16))} == {"pmsmp", "apprenticeship"}
    assert {w.id for w in explorer.fitting_ways((17, 17))} == {"pmsmp", "apprenticeship", "epide"}
    assert "e2c" in {w.id for w in explorer.fitting_ways((18, 25))}
    assert not explorer.fitting_ways((14, 14))  # under 16: the school first (the dialogue says so)
    assert {w.id for w in explorer.fitting_ways((27, 27))} == {"apprenticeship"}


def test_an_unquoted_no_or_an_unknown_trait_is_refused(tmp_path: Path) -> None:
    text = DATA.read_text(encoding="utf-8")
    broken = tmp_path / "bool.yml"
    broken.write_text(text.replace('{id: "no",', "{id: no,"), encoding="utf-8")
    with pytest.raises(ValueError, match="quoted"):
        load_explorer(broken)
    unknown = tmp_path / "trait.yml"
    unknown.write_text(text.replace("{hands: 2, outside: 2, moving: 2, build: 2, dirt: 1}", "{hand: 2}"))
    with pytest.raises(ValueError, match="unknown trait 'hand'"):
        load_explorer(unknown)


# -- the handoff, as the adviser reads it -------------------------------------------------------------------

ISSUE_MESSAGE = "jai arreter lecole en 3eme jai pas de diplome jsp koi faire"
ANSWERS = ("explore:with=hands", "explore:where=outside", "explore:pace=moving", "explore:proud=skip",
           "explore:cannot_stand=dirt", "explore:hours=no")  # fmt: skip


def youth_explores(client: TestClient, last: tuple[str, ...]) -> str:
    """A youth on the widget: the issue's message, the six answers, their town, then `last`."""
    conversation = str(uuid.uuid4())
    steps = [
        {"text": ISSUE_MESSAGE},
        *({"payload": p} for p in ANSWERS),
        {"payload": "town:Champigny-sur-Marne"},
    ]
    steps += [{"payload": p} if p.startswith("explore:") else {"text": p} for p in last]
    for body in steps:
        response = client.post("/widget/messages", json={"conversation_id": conversation, **body})
        assert response.status_code == 200, response.text
    return conversation


def staff_cookie(engine: Engine, email: str) -> str:
    with transaction(engine) as session:
        staff = session.scalars(select(Staff).where(Staff.email == email)).one()
        return issue_token(session, staff, datetime.now(UTC))


def test_the_adviser_reads_the_answers_the_trades_and_how_to_reach_the_youth(
    loaded_engine: Engine, parser: EmbeddedParser
) -> None:
    with transaction(loaded_engine) as session:
        add_staff(session, "bdm@6tcap.example", "Bea", "adviser", "un-mot-de-passe-solide", PARTNER)
        add_staff(session, "epide@6tcap.example", "Eli", "adviser", "un-mot-de-passe-solide", "epide_montry")
    with running_app(channel_settings(), loaded_engine, parser) as client:
        youth_explores(client, ("explore:call", "06 12 34 56 78"))
        with session_factory(loaded_engine)() as session:
            handoff = session.scalars(select(Handoff)).one()
        assert (handoff.partner_id, handoff.concern, handoff.urgent) == (PARTNER, "explore", False)

        client.cookies.set(COOKIE, staff_cookie(loaded_engine, "bdm@6tcap.example"), path="/admin")
        page = client.get(f"/admin/handoffs/{handoff.id}")
        assert page.status_code == 200
        text = html.unescape(page.text)
        for seen in (
            "Découverte des métiers",
            "Bosser avec : Mes mains 🛠️",
            "Où : Dehors 🌳",
            "Fier·e de : passée",
            "Supporte pas : Me salir",
            "Horaires décalés : Plutôt pas",
            "Maçon / maçonne (F1703)",
            "Contact souhaité : un appel",
            "06 12 34 56 78",  # the number the youth typed, for this partner only
            "Trouver ce qui me plaît",  # the subject in the youth's panel
        ):
            assert seen in text, seen

        client.cookies.set(COOKIE, staff_cookie(loaded_engine, "epide@6tcap.example"), path="/admin")
        assert client.get(f"/admin/handoffs/{handoff.id}").status_code == 404  # another partner's adviser


def test_a_youth_who_wants_a_message_gets_one_question_with_the_answers(
    loaded_engine: Engine, parser: EmbeddedParser
) -> None:
    with running_app(channel_settings(), loaded_engine, parser) as client:
        youth_explores(client, ("explore:write",))
        youth_explores(client, ("explore:no",))
        with session_factory(loaded_engine)() as session:
            handoffs = session.scalars(select(Handoff)).all()
        assert len(handoffs) == 1  # "non merci" opens nothing
        question = handoffs[0].question or ""
        assert (
            question.startswith("🧭 Découverte des métiers")
            and "Contact souhaité : un message ici" in question
        )
        assert "Bosser avec : Mes mains 🛠️" in question
