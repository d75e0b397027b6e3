"""The safety layer as a reviewer and a youth meet it: every phrase family raises its kind on its examples
and not on its counter-examples (data/safety/), jokes raise nothing, a broken phrase file is refused with
its name; an urgent question reaches the coordinators at once and is never closed by the youth."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from bot.brain import Brain
from bot.config import load_settings
from bot.db import transaction
from bot.messages import Incoming
from bot.models import Handoff, OutboxMessage
from bot.resources import Resources
from bot.staff import add_staff
from nlu.danger import labelled_sets
from nlu.parser import EmbeddedParser
from nlu.safety import LexiconError, load_lexicon
from nlu.text import fold
from tests.conftest import DATA, PSEUDONYMS

LEXICON = load_lexicon(DATA / "safety")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


def cases(which: str) -> list[object]:
    out: list[object] = []
    for family in (*LEXICON.families, *LEXICON.harmless):
        texts = family.examples if which == "examples" else family.counter_examples
        if family.kind == "harmless" and which == "examples":
            out += [pytest.param(None, text, id=f"harmless: {text}") for text in texts]
        elif family.kind != "harmless":
            out += [pytest.param(family.kind, text, id=f"{family.source}: {text}") for text in texts]
    return out


@pytest.mark.parametrize(("kind", "text"), cases("examples"))
def test_every_example_raises_its_kind(kind: str | None, text: str) -> None:
    raised = [alarm.kind for alarm in LEXICON.alarms(fold(text))]
    if kind is None:  # a joke of harmless.yml
        assert raised == [], LEXICON.explain(fold(text))
    else:
        assert kind in raised, LEXICON.explain(fold(text))


@pytest.mark.parametrize(("kind", "text"), cases("counter_examples"))
def test_no_counter_example_raises_its_kind(kind: str, text: str) -> None:
    assert kind not in [alarm.kind for alarm in LEXICON.alarms(fold(text))], LEXICON.explain(fold(text))


def every_pattern_in_turn(text: str) -> str:
    """The harmless families' patterns all tried in order, without the screen: what blanking means."""
    original = text
    for family in LEXICON.harmless:
        if family.framed(original):
            for pattern in family.patterns:
                text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text


def test_the_screen_blanks_what_every_pattern_in_turn_would() -> None:
    """The screen runs only the patterns whose words are in a text; on every development message and
    every example of the phrase files, it blanks exactly what trying every pattern would."""
    texts = [text for text, _ in labelled_sets(DATA / "safety")]
    for family in (*LEXICON.families, *LEXICON.harmless):
        texts += [*family.examples, *family.counter_examples]
    folded = [" ".join(fold(text).split()) for text in texts]
    different = [t for t in folded if LEXICON.blank_harmless(t) != every_pattern_in_turn(t)]
    assert len(folded) > 10_000 and different == []
    assert sum(LEXICON.blank_harmless(t) != t for t in folded) > 500  # the jokes are blanked


def test_every_kind_has_examples_and_fitting_lines() -> None:
    rules = Resources.load(load_settings()).crisis
    assert set(LEXICON.kinds) == set(rules.kinds)
    for kind in LEXICON.kinds:
        assert any(f.examples for f in LEXICON.families if f.kind == kind), kind
        assert all(f.comment for f in LEXICON.families if f.kind == kind), kind


@pytest.mark.parametrize(
    ("text", "kinds", "about_other"),
    [
        ("mdr jveux mourir", ["suicide"], False),
        ("😂😂 jme suis encore coupée hier", ["self_harm"], False),
        ("mon pote a pris 30 cachets il repond plus", ["medical"], True),
        ("il m'a violée et jveux mourir", ["suicide", "sexual_violence"], False),
        ("mon pere me frappe", ["abuse_home"], False),  # not the generic "violence" as well
        ("je suis mort de rire", [], False),
        (
            "jsuis enceinte et mon mec me donne des coups dans le ventre",
            ["partner_violence", "pregnancy"],
            False,
        ),
        (
            "on m'a droguée en soirée, je me suis réveillée sans mes habits",
            ["sexual_violence"],
            False,
        ),  # not 15
        ("je vole de l'argent a ma mere pour acheter de la frappe", ["addiction"], False),  # weed, not a blow
        ("g 17 ans et jai envie de me tirer une balle", ["suicide"], False),
        ("jvais me tirer une balle si j'entends encore cette chanson mdr", [], False),
        ("le psg a encore perdu, je vais me jeter par la fenêtre mdr", [], False),
        ("ma copine est enceinte et on est trop heureux", [], False),
        ("ma copine est enceinte et on est trop heureux mais moi j'ai peur", ["pregnancy"], True),
        ("c'est quoi le 3018 ? c'est pour un exposé", [], False),
        ("jveux mourir c'est quoi le 3114", ["suicide"], False),
        ("wallah ma b9itch n9ader, kolchi ghadi ykoun mzyan bla biya", ["hopelessness"], False),
        ("bghaw yzewjouni b sif, ana ma bghitch", ["forced_marriage"], False),
    ],
)
def test_kinds_of_a_message(text: str, kinds: list[str], about_other: bool) -> None:
    folded = fold(text)
    assert sorted(a.kind for a in LEXICON.alarms(folded)) == sorted(kinds)
    if kinds:
        assert LEXICON.about_someone_else(folded) is about_other


def test_a_burn_by_a_relative_is_not_blanked_as_a_kitchen_accident() -> None:
    kinds = [a.kind for a in LEXICON.alarms(fold("ma tante chez qui je vis me brule avec le fer a repasser"))]
    assert "abuse_home" in kinds
    assert LEXICON.alarms(fold("je me suis brulée avec le fer a repasser")) == []


@pytest.mark.parametrize(
    "text", [pytest.param(t, id=f"{f.name}: {t}") for f in LEXICON.harmless for t in f.counter_examples]
)
def test_a_joke_family_never_hides_its_counter_examples(text: str) -> None:
    """The `not` of harmless.yml are dangers written like the jokes: they still raise an alarm."""
    assert LEXICON.alarms(fold(text)), LEXICON.explain(fold(text))


def test_the_danger_model_learns_a_friend_in_danger_by_the_friend_s_kind(tmp_path: Path) -> None:
    (tmp_path / "training").mkdir()
    (tmp_path / "training" / "dev.yml").write_text(
        "distress:\n"
        "- {text: ma pote veut en finir, kind: friend_in_danger, friend_kind: suicide}\n"
        "- {text: mon pote dort dehors, kind: friend_in_danger, about: homeless_tonight}\n"
        "harmless:\n- {text: mort de rire}\n",
        encoding="utf-8",
    )
    assert labelled_sets(tmp_path) == [
        ("ma pote veut en finir", "suicide"),
        ("mon pote dort dehors", "homeless"),
        ("mort de rire", "none"),
    ]


def test_the_parse_carries_kinds_and_who_it_is_about(parser: EmbeddedParser) -> None:
    result = parser.parse("ma meilleure amie se scarifie jsais pas quoi faire")
    assert result["intent"]["name"] == "crisis"
    values = {(e["entity"], e["value"]) for e in result["entities"]}
    assert ("crisis_kind", "self_harm") in values and ("crisis_about", "other") in values


def test_a_broken_phrase_file_is_refused_with_its_name(tmp_path: Path) -> None:
    (tmp_path / "words.yml").write_text("me: [me, m]\n", encoding="utf-8")
    (tmp_path / "suicide.yml").write_text(
        "kind: suicide\nfamilies:\n  - name: x\n    patterns: ['{nobody} mourir']\n", encoding="utf-8"
    )
    with pytest.raises(LexiconError, match=r"suicide\.yml: \{nobody\}"):
        load_lexicon(tmp_path)
    (tmp_path / "suicide.yml").write_text(
        "kind: suicide\nfamilies:\n  - name: x\n    patterns: ['(mourir']\n", encoding="utf-8"
    )
    with pytest.raises(LexiconError, match=r"suicide\.yml: x"):
        load_lexicon(tmp_path)


# -- urgent questions, on both databases ---------------------------------------------------------------


def say(brain: Brain, user: str, text: str | None = None, payload: str | None = None) -> str:
    replies = brain.handle(Incoming("test", user, text=text, payload=payload)).messages
    return "\n".join(r.text for r in replies)


def handoffs_of(engine: Engine) -> list[Handoff]:
    with transaction(engine) as session:
        return list(session.scalars(select(Handoff).order_by(Handoff.id)))


def emails_to(engine: Engine, address: str) -> list[OutboxMessage]:
    with transaction(engine) as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.channel == "email", OutboxMessage.recipient == address)
        )
        return list(rows)


@pytest.fixture
def brain(loaded_engine: Engine, parser: EmbeddedParser) -> Brain:
    with transaction(loaded_engine) as session:
        add_staff(session, "coord@6tcap.example", "Coord", "coordinator", "un-mot-de-passe-solide", None)
    return Brain(loaded_engine, Resources.load(load_settings()), parser, PSEUDONYMS, clock=lambda: NOW)


def test_an_urgent_question_reaches_the_coordinators_at_once_with_its_kind(
    brain: Brain, loaded_engine: Engine
) -> None:
    user = uuid.uuid4().hex
    say(brain, user, "jsuis de champi j'ai 17 ans")
    say(brain, user, "jveux me foutre en l'air")
    say(brain, user, payload="crisis:listening")
    (handoff,) = handoffs_of(loaded_engine)
    assert handoff.urgent and handoff.crisis_kind == "idées suicidaires" and handoff.status == "pending"
    (mail,) = emails_to(loaded_engine, "coord@6tcap.example")
    assert "URGENT (idées suicidaires)" in mail.request["subject"]
    assert "foutre" not in str(mail.request)  # no youth's words leave


def test_merci_ok_or_an_old_close_button_never_close_an_urgent_question(
    brain: Brain, loaded_engine: Engine
) -> None:
    user = uuid.uuid4().hex
    say(brain, user, "je veux disparaitre")
    say(brain, user, payload="crisis:yes")
    say(brain, user, payload="crisis:listening")
    for text in ("merci", "ok"):
        assert "reste ouverte" in say(brain, user, text)
    for payload in ("handoff:close", "handoff:close:yes"):  # never offered here: forged
        say(brain, user, payload=payload)
    (handoff,) = handoffs_of(loaded_engine)
    assert handoff.status == "pending" and handoff.resolved_at is None


def test_danger_while_a_question_waits_makes_it_urgent(brain: Brain, loaded_engine: Engine) -> None:
    user = uuid.uuid4().hex
    say(brain, user, "jsuis de villiers je cherche du taf")
    say(brain, user, payload="adviser")
    say(brain, user, "c'est pour le CEJ")
    assert not handoffs_of(loaded_engine)[0].urgent
    assert emails_to(loaded_engine, "coord@6tcap.example") == []
    say(brain, user, "mon copain me frappe")
    (handoff,) = handoffs_of(loaded_engine)
    assert handoff.urgent and handoff.crisis_kind == "violences dans le couple"
    assert len(emails_to(loaded_engine, "coord@6tcap.example")) == 1
    say(brain, user, "il recommence")  # joins the question, no second alert
    assert len(emails_to(loaded_engine, "coord@6tcap.example")) == 1
    # the close button shown while the question was not urgent no longer closes it
    assert "reste ouverte" in say(brain, user, payload="handoff:close")
    assert handoffs_of(loaded_engine)[0].status == "pending"


def test_an_urgent_question_on_a_saturday_evening_goes_to_a_partner_open_first(
    loaded_engine: Engine, parser: EmbeddedParser
) -> None:
    """The listening point opens again on Wednesday: the urgent question goes to a crisis partner of the
    youth's town that opens before; the youth is told why it is not the listening point, and when."""
    saturday_evening = datetime(2026, 11, 28, 19, 0, tzinfo=ZoneInfo("Europe/Paris"))
    brain = Brain(
        loaded_engine, Resources.load(load_settings()), parser, PSEUDONYMS, clock=lambda: saturday_evening
    )
    user = uuid.uuid4().hex
    say(brain, user, "jsuis de champi j'ai 17 ans")
    say(brain, user, "jveux me foutre en l'air")
    told = say(brain, user, payload="crisis:listening")
    (handoff,) = handoffs_of(loaded_engine)
    assert handoff.urgent and handoff.partner_id != "point_ecoute_mda_champigny"
    assert "ne répondrait que mercredi" in told and "une autre structure partenaire" in told
    assert "te répondra ici lundi" in told


def test_a_line_closed_at_night_is_said_closed_with_the_lines_open_now(
    loaded_engine: Engine, parser: EmbeddedParser
) -> None:
    """The 3018 answers 9h–23h (territory.yml): at midnight, "ça sonne dans le vide" gets the lines open day
    and night, not "call again"; at noon, "call again"."""
    for hour, expected, absent in ((0, "est fermé à cette heure", "rappelle"), (12, "rappelle", "fermé")):
        clock = datetime(2026, 11, 28, hour, 5, tzinfo=ZoneInfo("Europe/Paris"))
        brain = Brain(
            loaded_engine, Resources.load(load_settings()), parser, PSEUDONYMS, clock=lambda c=clock: c
        )
        user = uuid.uuid4().hex
        say(brain, user, "jai 15 ans mes nudes tournent sur snap tout le college les a vu")
        told = say(brain, user, "jappelle le 3018 ca sonne dans le vide")
        assert expected in told and absent not in told
        if hour == 0:
            assert "3114" in told and "119" in told and "112" in told
