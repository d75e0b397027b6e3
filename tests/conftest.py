"""Fixtures shared by the suite. Every storage test runs on SQLite and on PostgreSQL (`engine`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from bot.brain import Brain
from bot.catalogue.files import read_catalogue
from bot.catalogue.loader import load_catalogue
from bot.config import PROJECT_ROOT, Settings, load_settings
from bot.db import make_engine, transaction
from bot.migrations import upgrade
from bot.offers.data import OfferData
from bot.offers.demo import demo_offers
from bot.offers.store import save_offers
from bot.privacy import Pseudonyms
from bot.resources import Resources
from bot.territory import Territory, load_territory
from nlu.model import NluData, NluModel, load_or_train
from nlu.parser import EmbeddedParser
from sixtcap.app import create_app
from tests import pgserver

DATA = PROJECT_ROOT / "data"
PSEUDONYMS = Pseudonyms(b"sixtcap-tests-key")


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    try:
        url, stop = pgserver.server_url()
    except Exception as error:  # never skip PostgreSQL silently
        pytest.fail(f"no PostgreSQL server for the tests: {error}", pytrace=False)
    yield url
    stop()


def _admin(url: str) -> psycopg.Connection:
    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


@contextmanager
def empty_database(request: pytest.FixtureRequest, folder: Path) -> Iterator[str]:
    """The URL of a new, empty database on the backend named by request.param."""
    if request.param == "sqlite":
        yield f"sqlite:///{folder / 'sixtcap.db'}"
        return
    with new_postgres_database(request.getfixturevalue("postgres_admin_url")) as url:
        yield url


@contextmanager
def new_postgres_database(admin_url: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped (whoever is still connected) at the end."""
    name = f"sixtcap_test_{uuid.uuid4().hex[:12]}"
    with _admin(admin_url) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with _admin(admin_url) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """An empty PostgreSQL database: for what only PostgreSQL does (row locks seen from outside, several
    server processes)."""
    with new_postgres_database(postgres_admin_url) as url:
        yield url


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each backend."""
    with empty_database(request, tmp_path) as url:
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def module_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated database with the real catalogue, shared by a module's tests, on each backend."""
    with empty_database(request, tmp_path_factory.mktemp("db")) as url:
        engine = make_engine(url)
        upgrade(engine)
        territory = load_territory(DATA / "territory.yml")
        load_catalogue(engine, read_catalogue(DATA / "catalogue", territory), territory)
        load_demo_offers(engine, territory)
        yield engine
        engine.dispose()


def load_demo_offers(engine: Engine, territory: Territory) -> None:
    """The demo offers `make run` shows (bot/offers/demo.py), created before the conversations' clock."""
    offers = OfferData.load(load_settings())
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    with transaction(engine) as session:
        save_offers(
            session, "demo", list(demo_offers(territory, offers.trades, now)), now, territory, offers.stations
        )


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated, empty database."""
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def territory() -> Territory:
    return load_territory(DATA / "territory.yml")


@pytest.fixture
def loaded_engine(engine: Engine, territory: Territory) -> Engine:
    """A migrated database holding the real catalogue."""
    load_catalogue(engine, read_catalogue(DATA / "catalogue", territory), territory)
    return engine


@pytest.fixture(scope="session")
def nlu_source() -> NluData:
    return NluData(DATA / "nlu", DATA / "territory.yml")


@pytest.fixture(scope="session")
def nlu_model(nlu_source: NluData, tmp_path_factory: pytest.TempPathFactory) -> NluModel:
    """The embedded model trained once for the session from the real data."""
    return load_or_train(nlu_source, tmp_path_factory.mktemp("var"))


@pytest.fixture(scope="session")
def parser(nlu_model: NluModel) -> EmbeddedParser:
    return EmbeddedParser(nlu_model)


def channel_settings(**secrets_and_sections: Any) -> Settings:
    """The shipped settings with the given secrets and sections, and an outbox fast enough for tests."""
    base = load_settings()
    fast = base.outbox.model_copy(update={"poll_seconds": 0.1, "pace_seconds": 0.2, "backoff_max_seconds": 2})
    # these apps run on the real clock: an urgent question goes to the partner chosen whatever the day the
    # suite runs (test_safety.py checks the switch to a partner opening first, on a fixed clock)
    pinned = base.handoff.model_copy(update={"urgent_wait_hours": 10_000})
    return base.model_copy(update={"outbox": fast, "handoff": pinned, **secrets_and_sections})


@contextmanager
def running_app(settings: Settings, engine: Engine, parser: EmbeddedParser) -> Iterator[TestClient]:
    """The web app with its lifespan (platform clients, outbox sender) running, on `engine`."""
    brain = Brain(engine, Resources.load(settings), parser, PSEUDONYMS)
    with TestClient(create_app(settings, engine, brain)) as client:
        yield client
