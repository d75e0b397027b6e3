"""The inbox's views and filters on both databases: a youth's town (kept in the conversation state)
filters the list, the counts follow the views, and reading a question clears its unread mark."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from bot import handoffs, inbox
from bot.brain import Brain
from bot.canned import load_canned
from bot.catalogue.files import read_catalogue
from bot.config import load_settings
from bot.db import transaction
from bot.enums import Role
from bot.inbox import Filters, View
from bot.messages import Incoming
from bot.models import Handoff
from bot.resources import Resources
from bot.staff import Principal, add_staff
from bot.territory import Territory
from nlu.parser import EmbeddedParser
from tests.conftest import DATA, PSEUDONYMS

PARTNER = "mission_locale_bords_de_marne"
MEDICAL = "urgence médicale (surdose, malaise)"  # as the handoff keeps its kind of danger


def ask(brain: Brain, first: str) -> None:
    user = str(uuid.uuid4())
    for incoming in (
        Incoming("widget", user, text=first),
        Incoming("widget", user, payload="adviser"),
        Incoming("widget", user, text="une question pour vous"),
    ):
        brain.handle(incoming)


def test_views_town_filter_and_unread(loaded_engine: Engine, parser: EmbeddedParser) -> None:
    brain = Brain(loaded_engine, Resources.load(load_settings()), parser, PSEUDONYMS)
    ask(brain, "jsuis de champi j'ai 19 ans je veux passer le permis")
    ask(brain, "jsuis de fontenay j'ai 19 ans je veux passer le permis")
    now = datetime.now(UTC) + timedelta(minutes=1)
    with transaction(loaded_engine) as db:
        staff = add_staff(db, "v@6tcap.example", "Vera", "admin", None, None)
        admin = Principal(staff.id, Role.ADMIN, None, "Vera")
        everything = inbox.rows(db, admin, View.ALL, Filters(), now)
        assert len(everything) == 2 and all(row.unread for row in everything)
        champigny = inbox.rows(db, admin, View.ALL, Filters(commune="champigny-sur-marne"), now)
        assert len(champigny) == 1
        panel = inbox.youth_panel(db, champigny[0].handoff, False)
        assert (panel.commune, panel.age) == ("Champigny-sur-Marne", "19 ans")
        assert inbox.rows(db, admin, View.ALL, Filters(text="QUESTION pour"), now)
        assert not inbox.rows(db, admin, View.ALL, Filters(text="logement"), now)
        assert inbox.counts(db, admin) == {View.MINE: 0, View.UNASSIGNED: 2, View.URGENT: 0, View.ALL: 2}
        first = champigny[0].handoff
        handoffs.claim(db, admin, first.id, now)
        inbox.mark_read(db, admin, first, now)
        assert inbox.counts(db, admin)[View.MINE] == 1
        mine = inbox.rows(db, admin, View.MINE, Filters(), now)
        assert [r.handoff.id for r in mine] == [first.id] and not mine[0].unread
        assert db.scalar(select(Handoff.partner_id).where(Handoff.id == first.id)) == PARTNER


def test_the_canned_replies_file_is_valid_and_names_real_partners(territory: Territory) -> None:
    canned = load_canned(DATA / "canned_replies.yml")
    partners = {entry.partner.id for entry in read_catalogue(DATA / "catalogue", territory)}
    assert canned.common and set(canned.partners) <= partners
    own = canned.for_partner(PARTNER)
    assert own[0].title == "Inscription à la mission locale" and own[-1] == canned.common[-1]


def test_an_urgent_question_without_words_shows_its_kind_the_lines_given_and_what_the_youth_wrote(
    loaded_engine: Engine, parser: EmbeddedParser
) -> None:
    """QA (staff side): an overdose and a self-harm habit looked the same in the list ("Pas de question
    écrite"); the transcript hid the helplines given and the button pressed; "jsuis a champigny jai 17
    ans" written into the open question left the panel's town and age empty, and no "Le jeune a réécrit"
    appeared before an adviser's first answer."""
    brain = Brain(loaded_engine, Resources.load(load_settings()), parser, PSEUDONYMS)
    user = str(uuid.uuid4())
    brain.handle(Incoming("widget", user, text="jai pris tous les cachets de ma mere y a 1h"))
    brain.handle(Incoming("widget", user, payload="crisis:listening"))
    now = datetime.now(UTC) + timedelta(minutes=1)
    with transaction(loaded_engine) as db:
        staff = add_staff(db, "w@6tcap.example", "Wassila Haddad", "admin", None, None)
        admin = Principal(staff.id, Role.ADMIN, None, "Wassila Haddad")
        [row] = inbox.rows(db, admin, View.URGENT, Filters(), now)
        assert row.handoff.crisis_kind == MEDICAL and row.handoff.question is None
        assert not row.wrote_again and row.last_words == "jai pris tous les cachets de ma mere y a 1h"
    replies = brain.handle(Incoming("widget", user, text="jsuis a champigny jai 17 ans"))
    said = [r.text for r in replies.messages]  # after an overdose: its lines first, then the line for now
    assert said[0].startswith("Appelle le 15") and "C'est noté, je le transmets à" in said[-1], said
    with transaction(loaded_engine) as db:
        [row] = inbox.rows(db, admin, View.URGENT, Filters(crisis_kind=MEDICAL), now)
        assert not inbox.rows(db, admin, View.ALL, Filters(crisis_kind="idées suicidaires"), now)
        assert row.wrote_again and row.waiting_since == row.handoff.created_at  # nobody answered yet
        assert row.last_words == "jsuis a champigny jai 17 ans"
        assert inbox.last_words(db, row.handoff) == [
            "jai pris tous les cachets de ma mere y a 1h",
            "jsuis a champigny jai 17 ans",
        ]
        panel = inbox.youth_panel(db, row.handoff, False)
        assert (panel.commune, panel.age) == ("Champigny-sur-Marne", "17 ans")
        read = [text for _, text in inbox.as_read(handoffs.thread(db, row.handoff))]
        given = "[Numéros donnés : 15 · SAMU, 112 · Numéro d'urgence européen]"
        assert any(text.endswith(given) for text in read), read
        assert "[Bouton : Le point écoute]" in read
        listed = handoffs.list_handoffs(db, admin, crisis_kind=MEDICAL)
        assert [h.id for h in listed] == [row.handoff.id]
        assert not handoffs.list_handoffs(db, admin, crisis_kind="automutilation")


def test_urgent_questions_offer_the_urgent_canned_replies_first() -> None:
    canned = load_canned(DATA / "canned_replies.yml")
    calm = canned.for_partner(PARTNER)
    assert all(not reply.title.startswith("Urgent") for reply in calm)
    overdose = canned.for_partner(PARTNER, urgent=True, crisis_kind="medical")
    assert overdose[0].title == "Urgent : médicaments, malaise" and "15" in overdose[0].text
    assert overdose[1].title == "Urgent : es-tu en sécurité ?"
    assert "Est-ce que tu es en sécurité, là, maintenant ?" in overdose[1].text
    suicide = canned.for_partner(PARTNER, urgent=True, crisis_kind="suicide")
    assert "3114" in suicide[0].text and "médicaments" not in " ".join(r.title for r in suicide)
    for reply in canned.urgent:
        assert not reply.text.startswith("Bonjour !") and "[prénom]" in reply.text
        assert set(reply.kinds) <= set(Resources.load(load_settings()).crisis.kinds)
