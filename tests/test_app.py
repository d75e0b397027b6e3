"""The web application: /healthz reports the database and the catalogue; / serves the portal page."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bot.config import load_settings
from bot.db import make_engine
from nlu.parser import EmbeddedParser
from sixtcap.app import create_app
from tests.conftest import channel_settings, running_app


def test_healthz_reports_thirteen_partners(loaded_engine: Engine) -> None:
    client = TestClient(create_app(load_settings(), engine=loaded_engine))
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["catalogue"]["partners"] == 13
    assert body["catalogue"]["services"] >= 40


def test_healthz_answers_503_when_the_database_is_down() -> None:
    engine = make_engine("postgresql://nobody@127.0.0.1:1/none")
    client = TestClient(create_app(load_settings(), engine=engine))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_portal_page_is_in_french(loaded_engine: Engine, parser: EmbeddedParser) -> None:
    with running_app(channel_settings(), loaded_engine, parser) as client:
        response = client.get("/")
    assert response.status_code == 200
    assert '<html lang="fr">' in response.text and "6Tcap" in response.text
    for entry in ('href="/services"', 'href="/village"', "data-sixtcap-payload"):  # menu, village, chat
        assert entry in response.text
