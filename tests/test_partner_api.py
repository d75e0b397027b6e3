"""The partner API as an integrator meets it: documentation served from this machine (Swagger UI with
an Authorize button, ReDoc), errors documented, "my services", places in bulk and back to unknown, API
keys limited to places, listed and revoked (by their owner, the partner's lead, an admin), and gone for
good with a deactivated account; the partner's lead sets where its notifications go."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from bot.catalogue.files import read_catalogue
from bot.catalogue.loader import load_catalogue
from bot.db import session_factory
from bot.models import AuditEntry, OutboxMessage, Service
from bot.territory import Territory
from nlu.parser import EmbeddedParser
from tests.conftest import DATA
from tests.test_admin_api import OTHER, OWN, World, make_world, youth_asks


@pytest.fixture
def world(loaded_engine: Engine, parser: EmbeddedParser) -> Iterator[World]:
    yield from make_world(loaded_engine, parser)


def test_the_docs_work_without_internet_and_document_auth_and_errors(world: World) -> None:
    for path, asset in (("/admin/docs", "swagger-ui-bundle.js"), ("/admin/redoc", "redoc.standalone.js")):
        page = world.client.get(path)
        assert page.status_code == 200 and f"/admin/docs-assets/{asset}" in page.text
        assert "cdn" not in page.text.lower() and "fonts.googleapis" not in page.text
        script = world.client.get(f"/admin/docs-assets/{asset}")
        assert script.status_code == 200 and len(script.content) > 100_000
    assert world.client.get("/admin/docs-assets/../../secret").status_code == 404
    spec = world.client.get("/admin/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}  # the Authorize button
    reply = spec["paths"]["/api/handoffs/{handoff_id}/reply"]["post"]
    assert {"401", "403", "404", "409", "422"} <= set(reply["responses"])
    assert reply["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/ReplyIn")
    stats = spec["paths"]["/api/stats"]["get"]
    assert {p["name"] for p in stats["parameters"]} >= {"group_by", "format", "start", "end", "channel"}


def test_a_places_key_updates_places_in_bulk_and_nothing_else(world: World) -> None:
    mine = world.call("adviser", "GET", "/services/mine").json()
    assert mine and {s["partner_id"] for s in mine} == {OWN}
    adviser_id = 3
    created = world.call(
        "adviser", "POST", f"/staff/{adviser_id}/api-keys", {"name": "planning", "scopes": ["places"]}
    )
    assert created.status_code == 201, created.text
    key = {"X-API-Key": created.json()["api_key"]}
    first, second = mine[0]["id"], mine[1]["id"]
    bulk = world.client.patch(
        "/admin/api/services/capacity",
        json=[
            {"service_id": first, "places_available": 3, "places_total": 10},
            {"service_id": second, "places_available": None},
        ],
        headers=key,
    )
    assert bulk.status_code == 200, bulk.text
    with session_factory(world.engine)() as db:
        assert (db.get(Service, first).places_available, db.get(Service, second).places_available) == (
            3,
            None,
        )  # type: ignore[union-attr]
    refused = world.client.get("/admin/api/handoffs", headers=key)
    assert refused.status_code == 403 and "limited to: places" in refused.json()["detail"]
    wrong = world.client.patch(
        "/admin/api/services/capacity",
        json=[
            {"service_id": first, "places_available": 1},
            {"service_id": "epide-parcours-insertion", "places_available": 1},
        ],
        headers=key,
    )
    assert wrong.status_code == 404  # another partner's service: nothing changed at all
    with session_factory(world.engine)() as db:
        assert db.get(Service, first).places_available == 3  # type: ignore[union-attr]

    listed = world.call("adviser", "GET", "/api-keys").json()
    assert [(k["name"], k["scopes"]) for k in listed] == [
        ("planning", ["places"])
    ] and "api_key" not in listed[0]
    assert world.call("other_adviser", "DELETE", f"/api-keys/{listed[0]['id']}").status_code == 404
    assert world.call("adviser", "DELETE", f"/api-keys/{listed[0]['id']}").json()["revoked_at"]
    assert world.client.get("/admin/api/services/mine", headers=key).status_code == 401


def test_a_deactivated_account_does_not_get_its_keys_back(world: World) -> None:
    key = world.call("admin", "POST", "/staff/3/api-keys", {"name": "full"}).json()["api_key"]
    assert world.client.get("/admin/api/handoffs", headers={"X-API-Key": key}).status_code == 200
    assert world.call("admin", "PATCH", "/staff/3", {"active": False}).status_code == 200
    assert world.call("admin", "PATCH", "/staff/3", {"active": True}).status_code == 200
    assert world.client.get("/admin/api/handoffs", headers={"X-API-Key": key}).status_code == 401


def test_a_partner_reads_its_webhook_secret_and_payload(world: World) -> None:
    info = world.call("lead", "GET", f"/partners/{OWN}/webhook").json()
    assert info["signature_header"] == "X-Sixtcap-Signature" and len(info["secret"]) == 64
    assert info["example"]["event"] == "handoff.created" and info["example"]["partner_id"] == OWN
    for outsider in ("adviser", "other_adviser", "coordinator"):  # the secret: the lead's and admins'
        assert world.call(outsider, "GET", f"/partners/{OWN}/webhook").status_code in (403, 404)
    assert world.call("admin", "GET", f"/partners/{OWN}/webhook").json()["secret"] == info["secret"]
    spec = world.client.get("/admin/openapi.json").json()
    assert "WebhookPayload" in spec["components"]["schemas"]


def test_the_partners_lead_sets_its_webhook_and_it_outlives_a_catalogue_load(
    world: World, territory: Territory
) -> None:
    url = "https://crm.ml-bdm.example/hooks/sixtcap"
    for bad, why in (
        ("http://crm.ml-bdm.example/hook", "https://"),
        ("ftp://crm.ml-bdm.example/hook", "https://"),
        ("https://crm ml-bdm.example", "spaces"),
        ("https://crm.ml-bdm.example/" + "x" * 100, "100 characters"),
    ):
        refused = world.call("lead", "PUT", f"/partners/{OWN}/webhook", {"url": bad})
        assert refused.status_code == 422 and why in refused.json()["detail"], refused.text
    assert world.call("lead", "PUT", f"/partners/{OTHER}/webhook", {"url": url}).status_code == 404
    saved = world.call("lead", "PUT", f"/partners/{OWN}/webhook", {"url": url})
    assert saved.status_code == 200 and saved.json()["url"] == url
    load_catalogue(world.engine, read_catalogue(DATA / "catalogue", territory), territory)  # files: no URL
    youth_asks(world.client, "jsuis de champi j'ai 18 ans je veux passer le permis", "c combien le permis ?")
    with session_factory(world.engine)() as db:
        announced = db.scalars(
            select(OutboxMessage.recipient).where(OutboxMessage.channel == "webhook")
        ).all()
        logged = db.scalars(select(AuditEntry).where(AuditEntry.action == "set_webhook")).one()
    assert announced == [url]  # the new question was posted to the partner's own receiver
    assert (logged.entity_id, logged.after) == (OWN, {"url": url})
    cleared = world.call("lead", "PUT", f"/partners/{OWN}/webhook", {"url": None})
    assert cleared.status_code == 200 and cleared.json()["url"] is None


def test_the_partners_lead_manages_its_staffs_api_keys(world: World) -> None:
    colleagues = world.call("lead", "GET", "/staff").json()
    assert {s["partner_id"] for s in colleagues} == {OWN} and "Bea" in {s["name"] for s in colleagues}
    bea = next(s["id"] for s in colleagues if s["name"] == "Bea")
    created = world.call("lead", "POST", f"/staff/{bea}/api-keys", {"name": "agenda", "scopes": ["places"]})
    assert created.status_code == 201, created.text
    key = {"X-API-Key": created.json()["api_key"]}
    assert world.client.get("/admin/api/services/mine", headers=key).status_code == 200
    own_key = world.call("adviser", "POST", f"/staff/{bea}/api-keys", {"name": "perso"}).json()
    world.call("other_adviser", "POST", "/staff/4/api-keys", {"name": "epide"})
    listed = {k["name"]: k for k in world.call("lead", "GET", "/api-keys").json()}
    assert set(listed) == {"agenda", "perso"}  # the partner's staff's keys, not EPIDE's
    assert world.call("lead", "POST", "/staff/4/api-keys", {"name": "x"}).status_code == 404
    epide_key = world.call("other_adviser", "GET", "/api-keys").json()[0]["id"]
    assert world.call("lead", "DELETE", f"/api-keys/{epide_key}").status_code == 404
    assert world.call("lead", "DELETE", f"/api-keys/{own_key['id']}").json()["revoked_at"]
    assert world.call("adviser", "GET", "/api-keys").json()[0]["revoked_at"]  # Bea sees it revoked
    assert world.call("adviser", "GET", "/staff").status_code == 403


def test_a_question_closed_without_an_answer_is_told_to_the_youth(world: World) -> None:
    assert world.call("adviser", "POST", f"/handoffs/{world.own_handoff}/resolve").status_code == 200
    seen = world.client.get("/widget/messages", params={"conversation_id": world.conversation, "after": 0})
    assert "a clos ta demande" in seen.json()["messages"][-1]["text"]
    reopened = world.call("adviser", "POST", f"/handoffs/{world.own_handoff}/reopen").json()
    assert reopened["status"] == "open" and reopened["claimed_by"] == 3
