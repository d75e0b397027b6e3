"""Personal data of minors: pseudonymous identifiers, erasure that leaves nothing, under-15s, retention
with a controlled clock, access requests, logs without phone numbers or conversation ids."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text

from bot.brain import Brain
from bot.config import load_settings
from bot.db import session_factory, transaction
from bot.logs import configure_logging
from bot.messages import Incoming
from bot.models import Base, DailyCount, Handoff, Message, Youth
from bot.privacy import purge
from bot.resources import Resources
from bot.staff import Principal, add_staff
from nlu.parser import EmbeddedParser
from sixtcap.app import create_app
from tests.conftest import PSEUDONYMS

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
SETTINGS = load_settings()


def brain_at(engine: Engine, parser: EmbeddedParser, clock: list[datetime]) -> Brain:
    return Brain(engine, Resources.load(SETTINGS), parser, PSEUDONYMS, clock=lambda: clock[0])


def telegram(text: str | None = None, payload: str | None = None, update: int = 0) -> Incoming:
    return Incoming("telegram", "987654321", text=text, payload=payload, reply_to="987654321",
                    message_id=str(update) if update else None)  # fmt: skip


def dump_everything(engine: Engine) -> str:
    """Every row of every table, as text."""
    with engine.connect() as connection:
        rows = [
            repr(tuple(row))
            for table in Base.metadata.sorted_tables
            for row in connection.execute(text(f'SELECT * FROM "{table.name}"'))
        ]
    return "\n".join(rows)


def test_identifiers_are_keyed_hashes_and_the_address_is_kept_only_to_send(
    loaded_engine: Engine, parser: EmbeddedParser
) -> None:
    brain = brain_at(loaded_engine, parser, [NOW])
    brain.handle(telegram("salut"))
    brain.handle(Incoming("widget", "0b4f2c7e-1d1b-4a63-9a4e-1c3b2c9f8e11", text="salut"))
    with session_factory(loaded_engine)() as session:
        rows = {y.channel: y for y in session.scalars(select(Youth))}
    assert rows["telegram"].user_ref == PSEUDONYMS.ref("telegram", "987654321") != "987654321"
    assert rows["telegram"].address == "987654321"  # needed to send on Telegram
    assert rows["widget"].address is None and "0b4f2c7e" not in dump_everything(loaded_engine)


def test_forget_me_leaves_nothing_but_anonymous_counters(
    loaded_engine: Engine, parser: EmbeddedParser
) -> None:
    clock = [NOW]
    brain = brain_at(loaded_engine, parser, clock)
    typed = ["jsuis de champi j'ai 19 ans je veux passer le permis", "ma question secrète sur le permis"]
    brain.handle(telegram(typed[0], update=1))
    brain.handle(telegram(payload="adviser", update=2))
    brain.handle(telegram(typed[1], update=3))
    with transaction(loaded_engine) as session:
        handoff = session.scalars(select(Handoff)).one()
        staff = add_staff(session, "bdm@6tcap.example", "Bea", "adviser", None, handoff.partner_id)
        adviser = Principal(staff_id=staff.id, role="adviser", partner_id=handoff.partner_id, name="Bea")
        from bot import handoffs

        handoffs.reply(session, adviser, handoff.id, "réponse très personnelle du conseiller", NOW,
                       brain.resources.texts, {"telegram": lambda o: [{"method": "sendMessage", "params": {"text": o.text}}]})  # fmt: skip
    before = dump_everything(loaded_engine)
    assert "987654321" in before and typed[1] in before  # the address, the question, the reply are stored
    replies = brain.handle(telegram("/oubli", update=4)).messages
    assert "C'est définitif" in replies[0].text
    assert brain.handle(telegram(payload="forget:yes", update=5)).erased
    after = dump_everything(loaded_engine)
    ref = PSEUDONYMS.ref("telegram", "987654321")
    for trace in (ref, typed[0], typed[1], "question secrète", "très personnelle"):
        assert trace not in after, trace
    with session_factory(loaded_engine)() as session:
        assert session.scalar(select(func.sum(DailyCount.count))) == 5  # what remains: counts
        assert session.scalar(select(func.count()).select_from(Youth)) == 0
    # the goodbye waits in the outbox for Telegram, with the address only: then it is deleted once sent
    assert after.count("987654321") <= 1


def test_under_15_nothing_beyond_the_running_conversation(
    loaded_engine: Engine, parser: EmbeddedParser
) -> None:
    clock = [NOW]
    brain = brain_at(loaded_engine, parser, clock)
    brain.handle(Incoming("widget", "b9c4", text="salut"))
    brain.handle(Incoming("widget", "b9c4", text="j'ai 14 ans je veux faire du sport a champi"))
    replies = brain.handle(
        Incoming("widget", "b9c4", payload="more")
    ).messages  # the conversation still goes on
    assert replies
    brain.handle(Incoming("widget", "older", text="jsuis de champi j'ai 19 ans je cherche du taf"))
    with session_factory(loaded_engine)() as session:
        young = session.scalars(select(Youth).where(Youth.user_ref == PSEUDONYMS.ref("widget", "b9c4"))).one()
        assert young.under_15
        assert (
            session.scalar(select(func.count()).select_from(Message).where(Message.youth_id == young.id)) == 0
        )
    with transaction(loaded_engine) as session:
        counts = purge(session, NOW + timedelta(hours=25), SETTINGS.retention)
    assert counts["under_15"] == 1
    with session_factory(loaded_engine)() as session:
        assert session.scalar(select(func.count()).select_from(Youth)) == 1  # the 19-year-old stays


def test_retention_purge_with_a_controlled_clock(loaded_engine: Engine, parser: EmbeddedParser) -> None:
    clock = [NOW - timedelta(days=200)]
    brain = brain_at(loaded_engine, parser, clock)
    brain.handle(Incoming("widget", "old-talk", text="jcherche du taf"))
    clock[0] = NOW
    brain.handle(Incoming("widget", "old-talk", text="champi"))
    with transaction(loaded_engine) as session:
        youth = session.scalars(select(Youth)).one()
        session.add(Handoff(youth_id=youth.id, partner_id="idc_formation", status="resolved", urgent=False,
                            created_at=NOW - timedelta(days=100), resolved_at=NOW - timedelta(days=95)))  # fmt: skip
        session.add(Handoff(youth_id=youth.id, partner_id="idc_formation", status="resolved", urgent=False,
                            created_at=NOW - timedelta(days=10), resolved_at=NOW - timedelta(days=5)))  # fmt: skip
    with transaction(loaded_engine) as session:
        counts = purge(session, NOW, SETTINGS.retention)
    assert counts["transcripts"] == 4  # the 200-day-old turn: 1 in, 3 out
    assert counts["closed_handoffs"] == 1  # resolved 95 days ago
    with session_factory(loaded_engine)() as session:
        assert session.scalar(select(func.count()).select_from(Message)) > 0  # today's stay
        assert session.scalar(select(func.count()).select_from(Handoff)) == 1
    with transaction(loaded_engine) as session:
        assert purge(session, NOW + timedelta(days=366), SETTINGS.retention)["inactive_youths"] == 1


def test_access_request_export(tmp_path: Path) -> None:
    sixtcap = str(Path(sys.executable).parent / "sixtcap")
    env = {**os.environ, "SIXTCAP_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "SIXTCAP_VAR_DIR": str(tmp_path),
           "SIXTCAP_SECRET_KEY": "export-test-key"}  # fmt: skip
    for command in (["db", "upgrade"], ["catalogue", "load"]):
        subprocess.run([sixtcap, *command], env=env, check=True, capture_output=True, timeout=120)
    subprocess.run([sixtcap, "chat", "--user", "sam"], input="jcherche du taf a champi\n", env=env, check=True,
                   capture_output=True, text=True, timeout=120)  # fmt: skip
    result = subprocess.run([sixtcap, "privacy", "export", "--channel", "cli", "--user", "sam"], env=env,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["youth"]["channel"] == "cli"
    assert any(m["text"] == "jcherche du taf a champi" for m in data["messages"])
    assert data["conversation"]["state"]["commune"] == "Champigny-sur-Marne"
    unknown = subprocess.run([sixtcap, "privacy", "export", "--channel", "cli", "--user", "nobody"], env=env,
                             capture_output=True, text=True, timeout=120)  # fmt: skip
    assert unknown.returncode == 1 and "nothing is stored" in unknown.stderr


def test_logs_carry_no_phone_numbers_or_conversation_ids() -> None:
    stream = io.StringIO()
    handler = configure_logging("INFO", stream)
    try:
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/1.1" %d', "127.0.0.1:5000", "GET",
            "/widget/messages?conversation_id=0b4f2c7e-1d1b-4a63-9a4e-1c3b2c9f8e11&after=3", 200,
        )  # fmt: skip
        logging.getLogger("sixtcap").warning("youth wrote 06 12 34 56 78 and sam@example.org, chat 987654321")
    finally:
        logging.getLogger().removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    text_out = stream.getvalue()
    assert len(lines) == 2 and lines[1]["level"] == "WARNING"
    for secret in ("0b4f2c7e", "06 12 34 56 78", "sam@example.org", "987654321"):
        assert secret not in text_out, secret
    assert "<phone>" in text_out and "<email>" in text_out


def test_privacy_page_and_first_contact_notice(loaded_engine: Engine, parser: EmbeddedParser) -> None:
    client = TestClient(create_app(SETTINGS, engine=loaded_engine))
    page = client.get("/confidentialite")
    assert page.status_code == 200 and '<html lang="fr">' in page.text
    assert f"{SETTINGS.retention.transcript_days} jours" in page.text and "moins de 15 ans" in page.text
    assert not re.search(r"\{[a-z_]+\}", page.text)  # every duration filled in
    replies = brain_at(loaded_engine, parser, [NOW]).handle(Incoming("widget", "new", text="salut")).messages
    notice = replies[1].text
    assert (
        "oublie-moi" in notice
        and "/confidentialite" in notice
        and f"{SETTINGS.retention.transcript_days} jours" in notice
    )
    assert len(notice) <= 300


def test_the_daily_purge_job_is_wired_in_the_running_app(
    loaded_engine: Engine, parser: EmbeddedParser
) -> None:
    from tests.conftest import channel_settings, running_app

    clock = [datetime.now(UTC) - timedelta(days=400)]
    brain_at(loaded_engine, parser, clock).handle(Incoming("widget", "long-gone", text="salut"))
    with running_app(channel_settings(), loaded_engine, parser) as client:
        jobs = {job.id for job in client.app.state.context.scheduler.get_jobs()}  # type: ignore[attr-defined]
        assert {"retention-purge", "handoff-reminders"} <= jobs
        client.app.state.context.purge()  # type: ignore[attr-defined]
    with session_factory(loaded_engine)() as session:
        assert session.scalar(select(func.count()).select_from(Youth)) == 0
