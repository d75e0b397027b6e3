"""The coordinators' statistics through /admin/api/stats and the /admin/stats page: counts of youths
by channel, town, neighbourhood, concern, partner shown, "complet", questions; cells under 5 youths
suppressed; CSV; the counts outlive erasure; no text and no identifier ever; per-adviser e-mail settings;
the days before the tallies, rebuilt once by `sixtcap stats backfill`."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select

from bot.db import session_factory, transaction
from bot.models import Conversation, DailyTally, Handoff, Message, OutboxMessage, Service, Youth
from nlu.parser import EmbeddedParser
from tests.test_admin_api import OTHER, OWN, PASSWORD, World, make_world

PERMIS = "jsuis de champi j'ai 19 ans je veux passer le permis"


@pytest.fixture
def world(loaded_engine: Engine, parser: EmbeddedParser) -> Iterator[World]:
    yield from make_world(loaded_engine, parser)


def youth_talks(world: World, *texts: str) -> str:
    conversation = str(uuid.uuid4())
    for text in texts:
        response = world.client.post("/widget/messages", json={"conversation_id": conversation, "text": text})
        assert response.status_code == 200, response.text
    return conversation


def row(rows: list[dict[str, object]], value: str) -> dict[str, object]:
    return next(r for r in rows if r["value"] == value)


def test_counts_of_youths_with_small_cells_suppressed_and_kept_after_erasure(world: World) -> None:
    with transaction(world.engine) as db:  # every service of the Mission locale is full today
        for service in db.scalars(select(Service).where(Service.partner_id == OWN)):
            service.places_available = 0
    youths = [youth_talks(world, PERMIS) for _ in range(6)]
    youth_talks(world, "jsuis de fontenay j'ai 20 ans je cherche un logement")  # one youth: too few to show
    report = world.call("coordinator", "GET", "/stats?group_by=day").json()
    assert report.get("suppressed_below") == 5, report
    assert row(report["towns"], "Champigny-sur-Marne")["youths"] == 7
    assert report["towns"][1:] == [{"value": "Fontenay-sous-Bois", "youths": None}], report["towns"]
    assert row(report["concerns"], "driving_licence")["youths"] == 7
    assert report["totals"]["new_youths"] >= 7 and report["totals"]["conversations"] >= 7
    widget = [s for s in report["series"] if s["channel"] == "widget"]
    assert (
        len(widget) == 1
        and widget[0]["new_youths"] >= 7
        and re.fullmatch(r"\d{4}-\d\d-\d\d", widget[0]["period"])
    )
    partner = next(p for p in report["partners"] if p["partner_id"] == OWN)
    assert partner["youths_shown"] >= 6 and partner["youths_met_full"] >= 6
    assert report["handoffs"][0]["first_response_median_minutes"] is None  # fewer than 5 questions
    assert "passer le permis" not in str(report) and "jsuis" not in str(report)  # no words of youths
    for conversation in youths[:2]:  # erasure removes the youths, never the counts
        for body in ({"text": "oublie-moi"}, {"payload": "forget:yes"}):
            world.client.post("/widget/messages", json={"conversation_id": conversation, **body})
    again = world.call("coordinator", "GET", "/stats?group_by=day").json()
    assert row(again["towns"], "Champigny-sur-Marne")["youths"] == 7

    weekly = world.call("coordinator", "GET", "/stats?group_by=month&channel=telegram").json()
    assert weekly["series"] == [] and weekly["totals"]["new_youths"] == 0  # nobody: a real zero
    exported = world.call("coordinator", "GET", "/stats?format=csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(exported.text)))
    assert lines[0] == ["section", "period", "channel", "key", "measure", "value", "note"]
    assert ["towns", "", "", "Champigny-sur-Marne", "youths", "7", ""] in lines
    assert ["towns", "", "", "Fontenay-sous-Bois", "youths", "<5", "moins de 5 jeunes"] in lines
    assert world.call("adviser", "GET", "/stats").status_code == 403


def test_a_zero_is_zero_and_a_time_from_few_questions_is_never_written_as_under_5(world: World) -> None:
    """QA: a partner with no question, and a period before anything happened, read "moins de 5"; the
    CSV's `first_response_median_minutes,<5` read as "answered in under 5 minutes"; "0.38" on a French
    page; the crisis kinds' labels cut in the charts."""
    world.call("adviser", "POST", f"/handoffs/{world.own_handoff}/reply", {"text": "Passe mardi."})
    long_ago = world.call("coordinator", "GET", "/stats?start=2020-01-01&end=2020-01-31").json()
    assert long_ago["totals"] | {"concerns_per_conversation": 0} == {
        "conversations": 0,
        "new_youths": 0,
        "concerns_per_conversation": 0,
        "messages_in": 0,
        "follow_up_answers": 0,
        "orientations": 0,
        "questions": 0,
        "crisis_conversations": 0,
    }
    report = world.call("coordinator", "GET", "/stats").json()
    own = next(h for h in report["handoffs"] if h["partner_id"] == OWN)
    assert own["questions"] is None and own["first_response_median_minutes"] is None  # 1 question
    exported = world.call("coordinator", "GET", "/stats?format=csv&start=2020-01-01&end=2020-01-31").text
    assert "totals,,,,questions,0," in exported and "<5" not in exported
    lines = list(csv.reader(io.StringIO(world.call("coordinator", "GET", "/stats?format=csv").text)))
    times = [line for line in lines if line[0] == "handoffs" and line[4].endswith("_minutes")]
    assert times and all(line[5:] == ["", "moins de 5 questions"] for line in times), times
    assert ["handoffs", "", "", OWN, "questions", "<5", "moins de 5 jeunes"] in lines

    for _ in range(6):
        youth_talks(world, PERMIS)
    youth_talks(world, "jsuis de champi j'ai 17 ans, mon copain me frappe quand il a bu")
    page = world.client
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.get("/admin/login").text)
    assert csrf is not None
    login = {"email": "coord@6tcap.example", "password": PASSWORD, "csrf": csrf.group(1)}
    assert page.post("/admin/login", data=login, follow_redirects=False).status_code == 303
    html = page.get("/admin/stats").text
    shown = re.search(r"Sujets par conversation \(en moyenne\)</dt><dd>([^<]*)</dd>", html)
    assert shown and re.fullmatch(r"\d+(,\d+)?", shown.group(1)), shown
    assert "moins de 5 questions" in html and "<5" not in html
    assert ">violences dans le couple</text>" in html  # not cut
    rapport = page.get("/admin/stats/rapport?debut=2026-01-01&fin=2026-01-31").text
    assert "<td>0</td>" in rapport


def test_an_answer_again_is_counted_and_the_adviser_who_asked_is_emailed(world: World) -> None:
    world.call("adviser", "POST", f"/handoffs/{world.own_handoff}/reply", {"text": "Passe mardi."})
    with transaction(world.engine) as db:
        from bot import notifications
        from bot.models import Staff

        adviser = db.scalars(select(Staff).where(Staff.email == "bdm@6tcap.example")).one()
        notifications.change(db, adviser.id, {"notify_again": True})
    world.client.post(
        "/widget/messages", json={"conversation_id": world.conversation, "text": "et je dois apporter quoi ?"}
    )
    with session_factory(world.engine)() as db:
        mails = db.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email")).all()
    again = [m for m in mails if m.recipient == "bdm@6tcap.example"]
    assert again and "a réécrit" in again[-1].request["subject"]
    assert "apporter" not in str(again[-1].request)  # never the youth's words
    detail = world.call("adviser", "GET", f"/handoffs/{world.own_handoff}").json()
    last_youth = [m for m in detail["conversation"] if m["author"] == "youth"][-1]
    assert last_youth["text"] == "et je dois apporter quoi ?"  # the bot's answer may take 2 messages
    assert detail["status"] == "open"


def test_the_question_as_the_youth_wrote_it_survives_in_a_long_thread(world: World) -> None:
    for number in range(25):  # a conversation may send 30 messages a minute (limits.widget_per_conversation)
        world.client.post(
            "/widget/messages",
            json={"conversation_id": world.conversation, "text": f"encore un message {number}"},
        )
    detail = world.call("adviser", "GET", f"/handoffs/{world.own_handoff}").json()
    texts = [m["text"] for m in detail["conversation"]]
    assert "le permis a 1 euro c'est pour moi ?" in texts and "encore un message 24" in texts


def test_the_days_before_the_tallies_are_backfilled_once_and_match_the_live_counts(
    world: World, tmp_path: Path
) -> None:
    with transaction(world.engine) as db:  # every service of the Mission locale is full
        for service in db.scalars(select(Service).where(Service.partner_id == OWN)):
            service.places_available = 0
    conversations = [youth_talks(world, PERMIS) for _ in range(6)]
    youth_talks(world, "jsuis de fontenay j'ai 20 ans je cherche un logement")
    live = world.call("coordinator", "GET", "/stats?group_by=day").json()
    # The same database as a release before the tallies would have left it: 40 days ago, no counts.
    with transaction(world.engine) as db:
        for model in (Youth, Message, Handoff):
            for item in db.scalars(select(model)):
                item.created_at -= timedelta(days=40)
        db.execute(delete(DailyTally))
        for conversation in db.scalars(select(Conversation)):
            state = dict(conversation.state)
            state["extra"] = {}
            conversation.state = state
    env = {**os.environ, "SIXTCAP_DATABASE_URL": world.engine.url.render_as_string(hide_password=False)}
    run = [str(Path(sys.executable).parent / "sixtcap"), "stats", "backfill"]
    first = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0 and "8 youth(s) counted" in first.stdout, first.stdout + first.stderr
    back = (date.today() - timedelta(days=41)).isoformat(), (date.today() - timedelta(days=39)).isoformat()
    rebuilt = world.call("coordinator", "GET", f"/stats?group_by=day&start={back[0]}&end={back[1]}").json()
    for section in ("towns", "concerns", "neighbourhoods"):
        assert rebuilt[section] == live[section], section
    # EPIDE's question was stored without its tally (make_world): the backfill finds it
    assert [p for p in rebuilt["partners"] if p["partner_id"] != OTHER] == live["partners"]
    assert {p["partner_id"] for p in rebuilt["partners"]} - {p["partner_id"] for p in live["partners"]} == {
        OTHER
    }
    for total in ("conversations", "new_youths", "concerns_per_conversation"):
        assert rebuilt["totals"][total] == live["totals"][total] == (1.0 if "per" in total else 8), total
    again = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120)
    assert "0 youth(s) counted, 0 count(s) added" in again.stdout, again.stdout  # never twice
    youth_talks_again = world.client.post(
        "/widget/messages", json={"conversation_id": conversations[0], "text": "et le code c combien ?"}
    )
    assert youth_talks_again.status_code == 200
    with session_factory(world.engine)() as db:
        today = db.scalars(select(DailyTally.metric).where(DailyTally.day == date.today())).all()
    assert "active" in today and "new" not in today and "town" not in today  # not counted a second time
