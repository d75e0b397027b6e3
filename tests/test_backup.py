"""`sixtcap db backup` / `sixtcap db restore`, run as commands on SQLite and PostgreSQL: back up, wipe,
restore, and every youth, question and capacity is back; a youth erased after the backup stays erased."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from bot.brain import Brain
from bot.catalogue.files import read_catalogue
from bot.catalogue.loader import load_catalogue
from bot.config import load_settings
from bot.db import make_engine, session_factory, transaction
from bot.messages import Incoming
from bot.migrations import upgrade
from bot.models import Handoff, Service, Youth
from bot.privacy import ErasureLog, Pseudonyms
from bot.resources import Resources
from bot.territory import Territory
from nlu.parser import EmbeddedParser
from sixtcap.backup import wipe
from tests.conftest import DATA

SIXTCAP = str(Path(sys.executable).parent / "sixtcap")
KEY = "backup-test-key"


def command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([SIXTCAP, *args], env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return done


def snapshot(engine: Engine) -> dict[str, Any]:
    with session_factory(engine)() as session:
        return {
            "youths": sorted((y.channel, y.user_ref) for y in session.scalars(select(Youth))),
            "questions": sorted((h.id, h.question, h.status) for h in session.scalars(select(Handoff))),
            "capacity": sorted(
                (s.id, s.places_total, s.places_available) for s in session.scalars(select(Service))
            ),
        }


def tg(user: str, text: str | None = None, payload: str | None = None, update: int = 0) -> Incoming:
    return Incoming(
        "telegram", user, text=text, payload=payload, reply_to=user, message_id=f"{user}-{update}"
    )


@pytest.mark.slow
def test_backup_wipe_restore_finds_everything_and_erased_youths_stay_erased(
    database_url: str, tmp_path: Path, parser: EmbeddedParser, territory: Territory
) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    load_catalogue(engine, read_catalogue(DATA / "catalogue", territory), territory)
    erasures = ErasureLog(tmp_path / "erasures.log")
    brain = Brain(
        engine, Resources.load(load_settings()), parser, Pseudonyms(KEY.encode()), erasures=erasures
    )
    for n in range(5):
        brain.handle(Incoming("widget", f"conversation-{n}", text="salut je cherche un job a champigny"))
    for user in ("1001", "1002"):  # two questions for an adviser
        brain.handle(tg(user, "jsuis de champi j'ai 19 ans je veux passer le permis", update=1))
        brain.handle(tg(user, payload="adviser", update=2))
        brain.handle(tg(user, "comment je finance mon permis ?", update=3))
    brain.handle(tg("1003", "/oubli", update=1))  # erased before the backup: not in it
    assert brain.handle(tg("1003", payload="forget:yes", update=2)).erased
    with transaction(engine) as session:
        services = session.scalars(select(Service.id).order_by(Service.id).limit(3)).all()
        for places, service in enumerate(services):
            session.execute(
                update(Service).where(Service.id == service).values(places_total=10, places_available=places)
            )
    before = snapshot(engine)
    assert len(before["youths"]) == 7 and len(before["questions"]) == 2

    env = {
        **os.environ,
        "SIXTCAP_DATABASE_URL": database_url,
        "SIXTCAP_VAR_DIR": str(tmp_path),
        "SIXTCAP_SECRET_KEY": KEY,
    }
    backup_file = tmp_path / "backups" / "sixtcap.backup"
    taken = command(env, "db", "backup", str(backup_file))
    assert "SIXTCAP_SECRET_KEY" in taken.stderr  # the key is reminded
    assert backup_file.stat().st_mode & 0o077 == 0  # minors' data: readable by its owner only
    assert '"secret_key_fingerprint"' in (tmp_path / "backups" / "sixtcap.backup.json").read_text()

    # after the backup, a youth asks to be forgotten
    brain.handle(tg("1002", "/oubli", update=4))
    assert brain.handle(tg("1002", payload="forget:yes", update=5)).erased
    # and another writes to the staff, who erase them by hand
    asked = command(env, "privacy", "erase", "--channel", "widget", "--user", "conversation-1")
    assert asked.stdout.strip() == "widget user erased"
    gone = {
        ("telegram", brain.pseudonyms.ref("telegram", "1002")),
        ("widget", brain.pseudonyms.ref("widget", "conversation-1")),
    }
    assert gone <= set(before["youths"]) and not gone & set(snapshot(engine)["youths"])
    assert "conversation-1" not in erasures.path.read_text()  # pseudonyms only

    wipe(engine)  # the database is lost
    engine.dispose()
    if database_url.startswith("sqlite"):
        Path(database_url.removeprefix("sqlite:///")).unlink()
    restored = command(env, "db", "restore", "--yes", str(backup_file))
    assert "erased again from the erasure log: 2" in restored.stdout

    after = snapshot(engine)
    assert after["youths"] == [y for y in before["youths"] if y not in gone]
    assert after["capacity"] == before["capacity"]
    kept = {h for h in before["questions"]}
    assert set(after["questions"]) < kept and len(after["questions"]) == 1  # the erased youth's went too
    assert brain.handle(Incoming("widget", "conversation-0", text="merci")).messages  # the bot carries on
    engine.dispose()


def test_restore_refuses_a_backup_of_the_other_kind(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'sixtcap.db'}"
    upgrade(make_engine(database_url))
    wrong = tmp_path / "not-sqlite.backup"
    wrong.write_bytes(b"PGDMP\x01\x0e\x00 pretend")
    env = {**os.environ, "SIXTCAP_DATABASE_URL": database_url, "SIXTCAP_VAR_DIR": str(tmp_path)}
    done = subprocess.run(
        [SIXTCAP, "db", "restore", "--yes", str(wrong)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1 and "is not a SQLite backup" in done.stderr
