"""Database engine and sessions: a SQLite file (WAL mode) by default, PostgreSQL to scale out."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def normalize_url(url: str) -> str:
    """postgresql:// URLs use the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _sqlite_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten, not left in free pages
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """Take SQLite's write lock at the start of every transaction, so that two turns of the same youth
    run one after the other (SQLite has no SELECT ... FOR UPDATE)."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


@dataclass(frozen=True)
class Timeouts:
    """How long PostgreSQL may take (database.* in config.yml): a statement, waiting for a lock, a
    transaction left idle, and waiting for a free connection of the pool. A request then fails (503, the
    platform retries) instead of hanging."""

    statement_seconds: float = 5.0
    lock_seconds: float = 3.0
    idle_in_transaction_seconds: float = 30.0
    pool_seconds: float = 5.0

    def options(self) -> str:
        milliseconds = {
            "statement_timeout": self.statement_seconds,
            "lock_timeout": self.lock_seconds,
            "idle_in_transaction_session_timeout": self.idle_in_transaction_seconds,
        }
        return " ".join(f"-c {name}={int(value * 1000)}" for name, value in milliseconds.items())


def make_engine(url: str, timeouts: Timeouts = Timeouts()) -> Engine:
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 5})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # No pre-ping (a round trip per turn): after a database restart, the first turn on a stale connection
    # fails, SQLAlchemy drops the pool, and the platform's retry gets a fresh connection.
    return create_engine(
        url,
        pool_recycle=3600,
        pool_timeout=timeouts.pool_seconds,
        connect_args={"connect_timeout": 5, "options": timeouts.options()},
    )


def forget_deleted(engine: Engine) -> None:
    """After an erasure on SQLite: copy the write-ahead log into the database and empty it, so that the
    erased rows (overwritten there by secure_delete) survive nowhere. Nothing to do on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()  # outside any transaction: a checkpoint cannot run inside one
    try:
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
    finally:
        raw.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def insert_for(session: Session, table: Any) -> Any:
    """An INSERT that knows ON CONFLICT on this session's database (PostgreSQL or SQLite)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed at the end of the block, or rolled back on error."""
    with session_factory(engine)() as session, session.begin():
        yield session
