"""Alembic migrations of the sixtcap database. `sixtcap db upgrade` applies them."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

HERE = Path(__file__).resolve().parent
LOCK_KEY = 0x51C7CA9  # PostgreSQL advisory lock held while migrating (any number of ours, fixed)


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """One migrator at a time: several processes starting together (`sixtcap serve --workers N`, the
    worker, a deployment running `sixtcap db upgrade` on each host) wait for the first, then find the
    schema up to date. PostgreSQL: an advisory lock on its own connection; SQLite: a lock file beside the
    database file."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
                connection.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema to `revision` (the latest by default), one process at a time."""
    with migration_lock(engine):
        command.upgrade(alembic_config(engine), revision)


def revision(engine: Engine, message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    command.revision(alembic_config(engine), message=message, autogenerate=True)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)
