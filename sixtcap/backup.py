"""`sixtcap db backup` and `sixtcap db restore`: a consistent snapshot of the whole database, and its
restoration, for SQLite and PostgreSQL.

- SQLite: the online backup API (a consistent copy while the server writes, WAL included).
- PostgreSQL: `pg_dump --format=custom` (one snapshot transaction) and `pg_restore` in one transaction,
  with Debian's postgresql client binaries; the password goes through the environment, never argv.

Each backup has a sidecar `<file>.json`: the database kind, the schema revision, when, and the fingerprint of
the secret key that made its pseudonyms (a youth is found again only with the same SIXTCAP_SECRET_KEY).

A restore wipes the database, loads the backup, migrates it to this code's schema, erases again every
youth of the erasure log (bot.privacy.ErasureLog: an erased youth stays erased) and runs the retention
purge (what expired since the backup was taken goes at once)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, text

from bot import privacy
from bot.config import Settings
from bot.db import transaction
from bot.migrations import upgrade

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or a restore that cannot be done; the message says why, for the command line."""


@dataclass(frozen=True)
class Restored:
    revision_before: str | None  # the backup's schema, migrated since to this code's
    erased_again: int  # youths of the erasure log the backup still held
    purged: dict[str, int]


def key_fingerprint(settings: Settings) -> str:
    """A short, one-way fingerprint of the secret key (never the key)."""
    return hashlib.sha256(b"sixtcap-key-fingerprint:" + privacy.secret_key(settings)).hexdigest()[:16]


def pg_tool(name: str) -> str:
    """pg_dump / pg_restore: on the PATH, else the newest of Debian's /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    if not candidates:
        raise BackupError(f"{name} is missing: apt-get install postgresql-client")
    return str(candidates[-1])


def libpq(engine: Engine) -> tuple[str, dict[str, str]]:
    """The database as a libpq URL without its password, and the environment carrying the password."""
    url = engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def run(command: list[str], env: dict[str, str] | None = None) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()[-800:]}")


def revision_of(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def backup(engine: Engine, settings: Settings, target: Path) -> Path:
    """Write a consistent snapshot of the database to `target` (and `target.json`)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(sqlite_path(engine))
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
    else:
        url, env = libpq(engine)
        run([pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial), url], env)
    os.chmod(partial, 0o600)  # personal data of minors
    partial.replace(target)
    about = {
        "database": engine.dialect.name,
        "schema": revision_of(engine),
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "secret_key_fingerprint": key_fingerprint(settings),
    }
    sidecar = target.with_name(target.name + ".json")
    sidecar.write_text(json.dumps(about, indent=2) + "\n")
    return sidecar


def wipe(engine: Engine) -> None:
    """Drop every table of the database (ours, and alembic's version table)."""
    tables = MetaData()
    tables.reflect(engine)
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text("PRAGMA foreign_keys=OFF"))
        tables.drop_all(connection)


def restore(engine: Engine, settings: Settings, source: Path) -> Restored:
    """Replace the database by the backup `source`, then migrate, erase again and purge (see above).
    Stop every sixtcap process first: nothing must write meanwhile."""
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    with source.open("rb") as stream:
        magic = stream.read(16)
    if engine.dialect.name == "sqlite":
        if not magic.startswith(SQLITE_MAGIC):
            raise BackupError(f"{source} is not a SQLite backup (the database is SQLite)")
        engine.dispose()
        backup_db = sqlite3.connect(source)
        live = sqlite3.connect(sqlite_path(engine))
        try:
            backup_db.backup(live)
        finally:
            live.close()
            backup_db.close()
    else:
        if not magic.startswith(PG_MAGIC):
            raise BackupError(f"{source} is not a pg_dump custom-format backup (the database is PostgreSQL)")
        wipe(engine)
        engine.dispose()
        url, env = libpq(engine)
        command = [pg_tool("pg_restore"), "--no-owner", "--single-transaction", "--exit-on-error"]
        run([*command, "--dbname", url, str(source)], env)
    before = revision_of(engine)
    upgrade(engine)
    with transaction(engine) as session:
        erased_again = privacy.ErasureLog.of(settings).replay(session)
        purged = privacy.purge(session, datetime.now(UTC), settings.retention)
    return Restored(before, erased_again, purged)


def sidecar_of(source: Path) -> dict[str, str] | None:
    path = source.with_name(source.name + ".json")
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return data if isinstance(data, dict) else None
