"""Database engine and sessions: a SQLite file (WAL mode) by default, PostgreSQL to scale out."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker


def normalize_url(url: str) -> str:
    """postgresql:// URLs use the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


BUSY_SECONDS = 5.0  # SQLite: how long a transaction waits for the write lock before failing (503)
SYNCHRONOUS = ("FULL", "NORMAL")


def _sqlite_pragmas(synchronous: str) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (see WriterQueue)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
        cursor.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten, not left in free pages
        cursor.close()

    return on_connect


class WriterQueue:
    """SQLite's one writer, queued in this process. Every transaction takes SQLite's write lock at its
    start (BEGIN IMMEDIATE), so that two turns of the same youth run one after the other (SQLite has no
    SELECT ... FOR UPDATE). Left to SQLite, threads waiting for that lock poll it with sleeps of up to
    100 ms and newcomers overtake them (under load a few turns waited past busy_timeout: 503); here they
    wait on a lock of this process, taken before BEGIN and given back once COMMIT or ROLLBACK is done,
    and are woken as soon as it is free (or fail after the same BUSY_SECONDS). Another process (a
    `sixtcap` command) still meets SQLite's own busy_timeout."""

    def __init__(self, engine: Engine) -> None:
        self.lock = Lock()
        self.holders: set[int] = set()  # id() of the DBAPI connections holding the lock
        dialect = engine.dialect
        commit, rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(dbapi_connection: Any) -> None:
            try:
                commit(dbapi_connection)
            finally:
                self.release(dbapi_connection)

        def do_rollback(dbapi_connection: Any) -> None:
            try:
                rollback(dbapi_connection)
            finally:
                self.release(dbapi_connection)

        dialect.do_commit, dialect.do_rollback = do_commit, do_rollback  # type: ignore[method-assign]
        event.listen(engine, "begin", self.begin)
        event.listen(engine, "checkin", lambda dbapi_connection, _record: self.release(dbapi_connection))

    def begin(self, connection: Any) -> None:
        dbapi_connection = connection.connection.dbapi_connection
        if not self.lock.acquire(timeout=BUSY_SECONDS):  # as SQLite would say after busy_timeout
            busy = sqlite3.OperationalError("database is locked (waited for this process's writer)")
            raise OperationalError("BEGIN IMMEDIATE", None, busy)
        self.holders.add(id(dbapi_connection))
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.release(dbapi_connection)
            raise

    def release(self, connection: Any) -> None:
        key = id(getattr(connection, "dbapi_connection", connection))  # the pool's proxy, or the driver's
        if key in self.holders:
            self.holders.discard(key)
            self.lock.release()


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
        timeouts = " ".join(f"-c {name}={int(value * 1000)}" for name, value in milliseconds.items())
        return f"{timeouts} {GENERIC_PLANS}"


# A statement psycopg has prepared on a connection (from its fifth execution there, or its first inside
# `prepared_at_once`) keeps one plan, made for any values of its parameters, instead of PostgreSQL's
# default of planning it again for each of the next five executions before choosing. Planning the
# offers' and services' queries (a branch per ring of the disc) costs 2 to 9 ms, their execution about 1.
GENERIC_PLANS = "-c plan_cache_mode=force_generic_plan"


@contextmanager
def prepared_at_once(connection: Connection) -> Iterator[None]:
    """PostgreSQL: the statements executed inside are prepared on the server at their first execution on
    this connection, so that their plan is made once (GENERIC_PLANS) and kept for the connection's life.
    For the few statements run on every request whose planning costs more than their execution (one
    text per shape, all values bound); elsewhere psycopg's default (prepare from the fifth execution)
    stands. Nothing to do on SQLite, whose statements are planned in microseconds."""
    if connection.dialect.name != "postgresql":
        yield
        return
    driver = connection.connection.driver_connection
    assert driver is not None  # a checked-out connection
    threshold = driver.prepare_threshold
    driver.prepare_threshold = 0
    try:
        yield
    finally:
        driver.prepare_threshold = threshold


def make_engine(
    url: str, timeouts: Timeouts = Timeouts(), sqlite_synchronous: str = "NORMAL", pool_size: int = 20
) -> Engine:
    """`sqlite_synchronous`: NORMAL (WAL: a commit survives a crash of sixtcap; a power cut may lose the
    last ones) or FULL (an fsync per commit). `pool_size`: PostgreSQL connections kept open by this
    process, about as many as the requests it handles at once (a connection opened beyond them is closed
    again after its request: a new connection per turn under load)."""
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if sqlite_synchronous not in SYNCHRONOUS:
            raise ValueError(f"sqlite_synchronous: one of {', '.join(SYNCHRONOUS)}")
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": BUSY_SECONDS})
        event.listen(engine, "connect", _sqlite_pragmas(sqlite_synchronous))
        WriterQueue(engine)
        return engine
    # No pre-ping (a round trip per turn): after a database restart, the first turn on a stale connection
    # fails, SQLAlchemy drops the pool, and the platform's retry gets a fresh connection.
    return create_engine(
        url,
        pool_recycle=3600,
        pool_size=pool_size,
        max_overflow=10,
        pool_timeout=timeouts.pool_seconds,
        connect_args={"connect_timeout": 5, "options": timeouts.options()},
    )


def make_counter_engine(engine: Engine, timeouts: Timeouts = Timeouts(), durable: bool = False) -> Engine:
    """PostgreSQL: a small pool beside `engine`'s for the rate-limit counters (bot/throttle.py), whose
    statements each commit on their own (autocommit: no BEGIN nor COMMIT round trip, a shared row locked
    for one statement only). Unless `durable` (database.durable_rate_counts), they commit without waiting
    for the disk (synchronous_commit off): a crash of PostgreSQL itself, not of sixtcap, may forget the
    counts of its last fraction of a second (at most 3 x wal_writer_delay, 0.6 s by default), letting that
    many more requests through once. Waiting for the disk put a disk sync in every request, holding the
    global rates' rows meanwhile: every request of every process queued on them."""
    options = timeouts.options() + ("" if durable else " -c synchronous_commit=off")
    return create_engine(
        engine.url,
        isolation_level="AUTOCOMMIT",
        pool_recycle=3600,
        # a request holds one for a single statement; the 12 at most are kept open once opened: a pool of
        # 4 with 8 more at peaks opened and closed a connection (a new PostgreSQL backend) per request
        # beyond 4 at once, and each, slow to open under load, kept more requests waiting
        pool_size=12,
        max_overflow=0,
        pool_timeout=timeouts.pool_seconds,
        connect_args={"connect_timeout": 5, "options": options},
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


_FACTORIES: WeakKeyDictionary[Engine, sessionmaker[Session]] = WeakKeyDictionary()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """The engine's sessionmaker, made once: each new one is a new Session class, whose events SQLAlchemy
    sets up again at its first session (about 10 ms: more than a whole turn's SQL on SQLite)."""
    factory = _FACTORIES.get(engine)
    if factory is None:
        factory = _FACTORIES[engine] = sessionmaker(engine, expire_on_commit=False)
    return factory


def insert_for(session: Session, table: Any) -> Any:
    """An INSERT that knows ON CONFLICT on this session's database (PostgreSQL or SQLite)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


_BUILT: dict[tuple[str, str], Any] = {}


def prebuilt(session: Session, name: str, build: Callable[[Callable[[Any], Any]], Any]) -> Any:
    """The statement `name`, built once per kind of database by `build(insert)` (`insert` knows ON
    CONFLICT there) with bound parameters: for the statements of every turn, whose building and cache
    key would otherwise cost more than running them. Execute it with the parameters' values."""
    kind = session.get_bind().dialect.name
    statement = _BUILT.get((kind, name))
    if statement is None:
        insert = postgresql.insert if kind == "postgresql" else sqlite.insert
        statement = _BUILT[(kind, name)] = build(insert)
    return statement


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed at the end of the block, or rolled back on error."""
    with session_factory(engine)() as session, session.begin():
        yield session


def storable_text(value: str) -> str:
    """The text without NUL characters and lone surrogates, which no database stores as text."""
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
