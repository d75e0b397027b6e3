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
