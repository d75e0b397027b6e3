"""The admin API as staff use it: log in, handle a youth's question end to end, keep the catalogue and the
places up to date, manage accounts; the audit log; and the authorization matrix (every endpoint x every
role x own / other partner). On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from bot.db import session_factory, transaction
from bot.models import AuditEntry, Handoff, Service
from bot.staff import add_staff, issue_token
from nlu.parser import EmbeddedParser
from tests.conftest import PSEUDONYMS, channel_settings, running_app

PASSWORD = "un-mot-de-passe-solide"
OWN, OTHER = "mission_locale_bords_de_marne", "epide_montry"


@dataclass
class World:
    client: TestClient
    engine: Engine
    tokens: dict[str, str]
    own_handoff: int
    other_handoff: int
    conversation: str  # the youth's widget conversation id

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who in self.tokens else {}

    def call(self, who: str, method: str, path: str, json: Any = None) -> Any:
        return self.client.request(method, f"/admin/api{path}", json=json, headers=self.headers(who))


def youth_asks(client: TestClient, text: str, question: str) -> str:
    conversation = str(uuid.uuid4())
    for body in ({"text": text}, {"payload": "adviser"}, {"text": question}):
        response = client.post("/widget/messages", json={"conversation_id": conversation, **body})
        assert response.status_code == 200, response.text
    return conversation


def make_world(engine: Engine, parser: EmbeddedParser) -> Iterator[World]:
    with transaction(engine) as session:
        add_staff(session, "admin@6tcap.example", "Admin", "admin", PASSWORD, None)
        add_staff(session, "coord@6tcap.example", "Coord", "coordinator", PASSWORD, None)
        add_staff(session, "bdm@6tcap.example", "Bea", "adviser", PASSWORD, OWN)
        add_staff(session, "epide@6tcap.example", "Eli", "adviser", PASSWORD, OTHER)
        add_staff(session, "lead@6tcap.example", "Lina", "lead", PASSWORD, OWN)  # Bea's partner's lead
    with running_app(channel_settings(), engine, parser) as client:
        tokens = {}
        for who, email in (
            ("admin", "admin"),
            ("coordinator", "coord"),
            ("adviser", "bdm"),
            ("other_adviser", "epide"),
            ("lead", "lead"),
        ):
            response = client.post(
                "/admin/api/login", json={"email": f"{email}@6tcap.example", "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            tokens[who] = response.json()["token"]
        conversation = youth_asks(
            client,
            "jsuis de champi j'ai 19 ans je veux passer le permis",
            "le permis a 1 euro c'est pour moi ?",
        )
        with transaction(engine) as session:
            own = session.scalars(select(Handoff.id).where(Handoff.partner_id == OWN)).one()
            other = Handoff(youth_id=session.scalars(select(Handoff.youth_id)).one(), partner_id=OTHER, status="pending",
                            urgent=False, created_at=datetime.now(UTC))  # fmt: skip
            session.add(other)
            session.flush()
            other_id = other.id
        yield World(client, engine, tokens, own, other_id, conversation)


@pytest.fixture
def world(loaded_engine: Engine, parser: EmbeddedParser) -> Iterator[World]:
    yield from make_world(loaded_engine, parser)


def test_login_wrong_password_and_logout(world: World) -> None:
    bad = world.client.post(
        "/admin/api/login", json={"email": "bdm@6tcap.example", "password": "nope-nope-nope"}
    )
    assert bad.status_code == 401 and "wrong e-mail or password" in bad.json()["detail"]
    assert world.call("adviser", "GET", "/handoffs").status_code == 200
    assert world.call("adviser", "POST", "/logout").status_code == 204
    again = world.call("adviser", "GET", "/handoffs")
    assert again.status_code == 401 and "revoked" in again.json()["detail"]


def test_an_expired_token_is_refused(world: World) -> None:
    with transaction(world.engine) as session:
        from bot.models import Staff

        staff = session.scalars(select(Staff).where(Staff.email == "bdm@6tcap.example")).one()
        old = issue_token(session, staff, datetime.now(UTC) - timedelta(hours=13))
    response = world.client.get("/admin/api/handoffs", headers={"Authorization": f"Bearer {old}"})
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_a_question_from_the_widget_is_answered_by_the_adviser(world: World) -> None:
    listed = world.call("adviser", "GET", "/handoffs?status=pending").json()
    assert [h["id"] for h in listed] == [world.own_handoff]
    detail = world.call("adviser", "GET", f"/handoffs/{world.own_handoff}").json()
    assert detail["question"] == "le permis a 1 euro c'est pour moi ?" and detail["channel"] == "widget"
    assert any(m["author"] == "youth" and "permis" in (m["text"] or "") for m in detail["conversation"])
    assert world.call("adviser", "POST", f"/handoffs/{world.own_handoff}/claim").json()["status"] == "open"
    replied = world.call(
        "adviser", "POST", f"/handoffs/{world.own_handoff}/reply", {"text": "Oui ! Passe mardi."}
    )
    assert replied.status_code == 200 and replied.json()["first_response_at"]
    conversation = world.call("adviser", "GET", f"/handoffs/{world.own_handoff}").json()["conversation"]
    assert conversation[-1]["author"] == "staff" and "Passe mardi" in conversation[-1]["text"]
    resolved = world.call("adviser", "POST", f"/handoffs/{world.own_handoff}/resolve").json()
    assert resolved["status"] == "resolved" and resolved["resolved_by"] == "staff"
    assert world.call("adviser", "POST", f"/handoffs/{world.own_handoff}/resolve").status_code == 409


def test_an_urgent_question_carries_its_kind_and_its_transcript_the_lines_given(world: World) -> None:
    """QA (staff side): `GET /admin/api/handoffs` said urgent, never which danger; the conversation hid
    the helplines given and the button the youth pressed."""
    conversation = str(uuid.uuid4())
    for body in (
        {"text": "mon copain me frappe quand il a bu, jsuis a champigny"},
        {"payload": "crisis:adviser"},
    ):
        response = world.client.post("/widget/messages", json={"conversation_id": conversation, **body})
        assert response.status_code == 200, response.text
    couple = "violences dans le couple"
    listed = world.call("adviser", "GET", "/handoffs?urgent=true").json()
    assert [(h["urgent"], h["crisis_kind"]) for h in listed] == [(True, couple)]
    assert world.call("adviser", "GET", f"/handoffs?crisis_kind={couple}").json() == listed
    assert world.call("adviser", "GET", "/handoffs?crisis_kind=automutilation").json() == []
    calm = world.call("adviser", "GET", f"/handoffs/{world.own_handoff}").json()
    assert calm["crisis_kind"] is None
    detail = world.call("adviser", "GET", f"/handoffs/{listed[0]['id']}").json()
    read = [m["read_as"] for m in detail["conversation"]]
    assert any("[Numéros donnés : 3919 · Violences Femmes Info" in (r or "") for r in read), read
    pressed = next(m for m in detail["conversation"] if m["read_as"] == "[Bouton : Un conseiller]")
    assert pressed["author"] == "youth" and pressed["text"] is None


def test_the_reply_reaches_the_youth_in_the_widget(world: World) -> None:
    world.call("adviser", "POST", f"/handoffs/{world.own_handoff}/reply", {"text": "Oui ! Passe mardi."})
    with session_factory(world.engine)() as session:
        from bot.models import Youth

        youth = session.get(Youth, session.get(Handoff, world.own_handoff).youth_id)  # type: ignore[union-attr]
        assert youth is not None and youth.user_ref == PSEUDONYMS.ref("widget", world.conversation)
        conversation_id = world.conversation
    messages = world.client.get(
        "/widget/messages", params={"conversation_id": conversation_id, "after": 0}
    ).json()
    assert "Oui ! Passe mardi." in messages["messages"][-1]["text"]
    assert messages["messages"][-1]["buttons"][0]["payload"] == "handoff:close"


def test_transfer_moves_the_handoff_to_the_other_partner(world: World) -> None:
    moved = world.call("adviser", "POST", f"/handoffs/{world.own_handoff}/transfer", {"partner_id": OTHER})
    assert (
        moved.status_code == 200
        and moved.json()["partner_id"] == OTHER
        and moved.json()["status"] == "pending"
    )
    assert world.call("adviser", "GET", f"/handoffs/{world.own_handoff}").status_code == 404
    assert world.call("other_adviser", "GET", f"/handoffs/{world.own_handoff}").status_code == 200
    assert (
        world.call(
            "other_adviser", "POST", f"/handoffs/{world.own_handoff}/transfer", {"partner_id": "nobody"}
        ).status_code
        == 422
    )


def test_places_are_updated_in_one_call(world: World) -> None:
    with session_factory(world.engine)() as session:
        own_service = session.scalars(select(Service.id).where(Service.partner_id == OWN)).first()
        other_service = session.scalars(select(Service.id).where(Service.partner_id == OTHER)).first()
    response = world.call(
        "adviser", "PATCH", f"/services/{own_service}/capacity", {"places_available": 2, "places_total": 12}
    )
    assert response.status_code == 200 and response.json()["places_available"] == 2
    assert (
        world.call(
            "adviser", "PATCH", f"/services/{other_service}/capacity", {"places_available": 1}
        ).status_code
        == 404
    )
    too_many = world.call("adviser", "PATCH", f"/services/{own_service}/capacity", {"places_available": 13})
    assert too_many.status_code == 422 and "greater than places_total" in too_many.json()["detail"]
    assert (
        world.call(
            "adviser", "PATCH", f"/services/{own_service}/capacity", {"places_available": -1}
        ).status_code
        == 422
    )
    with session_factory(world.engine)() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "capacity")).one()
        assert entry.before is not None and entry.after == {"places_available": 2, "places_total": 12}
        service = session.get(Service, own_service)
        assert service is not None and "places_available" not in service.demo_fields


SERVICE = {
    "id": "ml-bdm-atelier-test", "nom": "Atelier test", "type": "atelier",
    "thematiques": ["trouver-un-emploi--repondre-a-des-offres-demploi"], "frais": "gratuit", "publics": ["jeunes"],
    "modes_accueil": ["en-presentiel"], "zone_eligibilite": ["94017"], "age_min": 16, "age_max": 25, "demo": True,
}  # fmt: skip


def test_catalogue_edits_use_the_loader_checks(world: World) -> None:
    bad = world.call(
        "admin", "POST", f"/partners/{OWN}/services", {**SERVICE, "frais": "gratos", "age_min": 30}
    )
    assert bad.status_code == 422
    assert (
        "frais: unknown frais code 'gratos'" in bad.json()["detail"]
        and "age_min (30)" in bad.json()["detail"]
    )
    created = world.call("admin", "POST", f"/partners/{OWN}/services", SERVICE)
    assert created.status_code == 201, created.text
    assert world.call("admin", "POST", f"/partners/{OWN}/services", SERVICE).status_code == 409
    updated = world.call("admin", "PATCH", "/services/ml-bdm-atelier-test", {"nom": "Atelier CV"})
    assert updated.status_code == 200 and updated.json()["nom"] == "Atelier CV"
    assert world.call("admin", "DELETE", "/services/ml-bdm-atelier-test").json() == {
        "id": "ml-bdm-atelier-test",
        "active": False,
    }
    partner = world.call("admin", "PATCH", f"/partners/{OWN}", {"notify_webhook_url": "not a url"})
    assert partner.status_code == 422 and "notify_webhook_url" in partner.json()["detail"]
    entries = world.call("coordinator", "GET", "/audit?entity=service").json()
    assert [e["action"] for e in entries][:3] == ["deactivate", "update", "create"]


def test_catalogue_bodies_are_typed_documented_and_refused_readably(world: World) -> None:
    spec = world.client.get("/admin/openapi.json").json()
    bodies = {
        ("post", "/api/partners"): "PartnerFile",
        ("patch", "/api/partners/{partner_id}"): "PartnerChanges",
        ("post", "/api/partners/{partner_id}/locations"): "LocationEntry",
        ("patch", "/api/partners/{partner_id}/locations/{location_id}"): "LocationChanges",
        ("post", "/api/partners/{partner_id}/services"): "ServiceEntry",
        ("patch", "/api/services/{service_id}"): "ServiceChanges",
    }
    for (method, path), model in bodies.items():
        body = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        assert body["$ref"].endswith(f"/{model}"), (path, body)
    assert "frais" in spec["components"]["schemas"]["ServiceChanges"]["properties"]
    for path, model in (
        ("/api/partners/{partner_id}", "PartnerFile"),
        ("/api/services/{service_id}", "ServiceOut"),
    ):
        answer = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert answer["$ref"].endswith(f"/{model}"), (path, answer)
    refused = world.call(
        "admin",
        "PATCH",
        "/services/ml-bdm-cej",
        {"nom": "", "age_min": "seize", "prix": 3, "frais": "gratos"},
    )
    assert refused.status_code == 422
    problems = refused.json()["problems"]
    assert "prix: unknown field" in problems and any(p.startswith("age_min: ") for p in problems)
    assert any(p.startswith("frais: unknown frais code 'gratos'") for p in problems), problems
    assert world.call("admin", "GET", "/services/ml-bdm-cej").json()["nom"] != ""  # nothing changed
    no_id = world.call("admin", "POST", f"/partners/{OWN}/locations", {"commune": "Champigny-sur-Marne"})
    assert no_id.status_code == 422 and no_id.json()["detail"] == "id: missing field"
    cleared = world.call("admin", "PATCH", f"/partners/{OWN}", {"description": None})
    assert cleared.status_code == 200 and cleared.json()["partner"]["description"] is None


def test_locations_are_edited_with_the_loader_checks(world: World) -> None:
    place = {
        "id": "antenne-test",
        "nom": "Antenne test",
        "commune": "Champigny-sur-Marne",
        "code_postal": "94500",
    }
    assert world.call("admin", "POST", f"/partners/{OWN}/locations", place).status_code == 201
    wrong = world.call("admin", "PATCH", f"/partners/{OWN}/locations/antenne-test", {"code_postal": "94120"})
    assert wrong.status_code == 422 and "not a postcode of Champigny-sur-Marne" in wrong.json()["detail"]
    moved = world.call(
        "admin", "PATCH", f"/partners/{OWN}/locations/antenne-test", {"quartier": "Le Bois-l'Abbé"}
    )
    assert moved.status_code == 200 and moved.json()["quartier"] == "Le Bois-l'Abbé"
    assert world.call("admin", "DELETE", f"/partners/{OWN}/locations/antenne-test").json()["removed"] is True
    assert world.call("admin", "GET", f"/partners/{OWN}/locations/antenne-test").status_code == 404
    assert world.call("adviser", "POST", f"/partners/{OWN}/locations", place).status_code == 403


def test_staff_accounts_and_api_keys(world: World) -> None:
    created = world.call(
        "admin",
        "POST",
        "/staff",
        {
            "email": "new@6tcap.example",
            "name": "Nour",
            "role": "adviser",
            "partner_id": OTHER,
            "password": PASSWORD,
        },
    )
    assert created.status_code == 201
    missing_partner = world.call(
        "admin", "POST", "/staff", {"email": "x@6tcap.example", "name": "X", "role": "adviser"}
    )
    assert missing_partner.status_code == 422 and "partner" in missing_partner.json()["detail"]
    key = world.call("admin", "POST", f"/staff/{created.json()['id']}/api-keys", {"name": "crm"}).json()[
        "api_key"
    ]
    assert (
        world.client.get("/admin/api/handoffs", headers={"X-API-Key": key}).json()[0]["partner_id"] == OTHER
    )
    assert (
        world.call("admin", "PATCH", f"/staff/{created.json()['id']}", {"active": False}).json()["active"]
        is False
    )
    assert world.client.get("/admin/api/handoffs", headers={"X-API-Key": key}).status_code == 401


def test_statistics_have_no_personal_data(world: World) -> None:
    stats = world.call("coordinator", "GET", "/stats").json()
    assert stats["totals"]["conversations"] is None  # one youth: under 5, suppressed
    assert [h["questions"] for h in stats["handoffs"]] == [None, None]  # one question for each partner
    assert "permis a 1 euro" not in str(stats).lower()  # counts, never texts


# -- the authorization matrix ------------------------------------------------------------------------

ROLES = ("anonymous", "adviser", "other_adviser", "lead", "coordinator", "admin")
ALLOWED = {200, 201, 204, 409, 422}


def matrix() -> list[tuple[str, str, Any, set[str]]]:
    """(method, path, body, roles allowed); {own} is the adviser's partner's handoff, {other} another's.
    The lead belongs to the adviser's partner: an adviser there, and the manager of its keys and webhook."""
    all_staff = {"adviser", "other_adviser", "lead", "coordinator", "admin"}
    return [
        ("GET", "/handoffs", None, all_staff),
        ("GET", "/handoffs/{own}", None, {"adviser", "lead", "coordinator", "admin"}),
        ("GET", "/handoffs/{other}", None, {"other_adviser", "coordinator", "admin"}),
        ("POST", "/handoffs/{own}/claim", None, {"adviser", "lead", "admin"}),
        ("POST", "/handoffs/{other}/claim", None, {"other_adviser", "admin"}),
        ("POST", "/handoffs/{own}/reply", {"text": "Bonjour"}, {"adviser", "lead", "admin"}),
        ("POST", "/handoffs/{other}/reply", {"text": "Bonjour"}, {"other_adviser", "admin"}),
        ("POST", "/handoffs/{own}/note", {"text": "À rappeler"}, {"adviser", "lead", "admin"}),
        ("POST", "/handoffs/{other}/note", {"text": "À rappeler"}, {"other_adviser", "admin"}),
        ("POST", "/handoffs/{own}/assign", {"staff_id": 3}, {"adviser", "lead", "admin"}),
        ("POST", "/handoffs/{other}/reopen", None, {"other_adviser", "admin"}),
        ("POST", "/handoffs/{own}/transfer", {"partner_id": "idc_formation"}, {"adviser", "lead", "admin"}),
        ("POST", "/handoffs/{other}/resolve", None, {"other_adviser", "admin"}),
        ("GET", "/partners", None, all_staff),
        ("GET", f"/partners/{OWN}", None, all_staff),
        ("PATCH", f"/partners/{OWN}", {"description": "Mise à jour."}, {"admin"}),
        ("DELETE", "/partners/idc_formation", None, {"admin"}),
        ("POST", f"/partners/{OWN}/services", SERVICE, {"admin"}),
        ("GET", f"/partners/{OWN}/locations/antenne-champigny", None, all_staff),
        ("PATCH", f"/partners/{OWN}/locations/antenne-champigny", {"nom": "Antenne"}, {"admin"}),
        ("GET", "/services/ml-bdm-cej", None, all_staff),
        ("PATCH", "/services/ml-bdm-cej", {"nom": "CEJ"}, {"admin"}),
        ("DELETE", "/services/fcj-educateurs-de-rue", None, {"admin"}),
        ("PATCH", "/services/ml-bdm-cej/capacity", {"places_available": 1}, {"adviser", "lead", "admin"}),
        (
            "PATCH",
            "/services/epide-parcours-insertion/capacity",
            {"places_available": 1},
            {"other_adviser", "admin"},
        ),
        ("GET", "/staff", None, {"lead", "admin"}),
        ("POST", "/staff", {"email": "m@6tcap.example", "name": "M", "role": "coordinator"}, {"admin"}),
        ("PATCH", "/staff/3", {"active": True}, {"admin"}),
        ("POST", "/staff/3/api-keys", {"name": "k"}, {"adviser", "lead", "admin"}),  # Bea: the lead's
        ("GET", "/api-keys", None, all_staff),
        ("GET", f"/partners/{OWN}/webhook", None, {"lead", "admin"}),
        ("PUT", f"/partners/{OWN}/webhook", {"url": "https://crm.ml-bdm.example/sixtcap"}, {"lead", "admin"}),
        ("PUT", f"/partners/{OTHER}/webhook", {"url": "https://crm.epide.example/sixtcap"}, {"admin"}),
        ("POST", "/staff/4/api-keys", {"name": "k"}, {"other_adviser", "admin"}),
        ("GET", "/services/mine", None, {"adviser", "other_adviser", "lead", "admin"}),
        (
            "PATCH",
            "/services/capacity",
            [{"service_id": "ml-bdm-cej", "places_available": 2}],
            {"adviser", "lead", "admin"},
        ),
        ("GET", "/audit", None, {"coordinator", "admin"}),
        ("GET", "/stats", None, {"coordinator", "admin"}),
        (
            "POST",
            "/campaigns",
            {"source": "insta-x", "name": "X", "kind": "influencer"},
            {"coordinator", "admin"},
        ),
        ("GET", "/campaigns", None, {"coordinator", "admin"}),
        ("POST", "/logout", None, all_staff),
    ]


@pytest.fixture(scope="module")
def shared_world(module_engine: Engine, parser: EmbeddedParser) -> Iterator[World]:
    yield from make_world(module_engine, parser)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "body", "allowed"), matrix(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_authorization_matrix(
    shared_world: World, role: str, method: str, path: str, body: Any, allowed: set[str]
) -> None:
    world = shared_world
    if path == "/logout":  # do not log the shared tokens out: use a fresh one
        if role != "anonymous":
            email = {
                "adviser": "bdm",
                "other_adviser": "epide",
                "lead": "lead",
                "coordinator": "coord",
                "admin": "admin",
            }[role]
            token = world.client.post(
                "/admin/api/login", json={"email": f"{email}@6tcap.example", "password": PASSWORD}
            ).json()["token"]
            response = world.client.post("/admin/api/logout", headers={"Authorization": f"Bearer {token}"})
        else:
            response = world.client.post("/admin/api/logout")
    else:
        url = path.format(own=world.own_handoff, other=world.other_handoff)
        response = world.call(role, method, url, body)
        if path == "/handoffs/{own}/transfer" and response.status_code == 200:  # back, for the next role
            assert world.call("admin", method, url, {"partner_id": OWN}).status_code == 200
    if role == "anonymous":
        assert response.status_code == 401, (url if path != "/logout" else path, response.text)
    elif role in allowed:
        assert response.status_code in ALLOWED, (role, method, path, response.status_code, response.text)
    else:
        assert response.status_code in {403, 404}, (role, method, path, response.status_code, response.text)
        if role.endswith("adviser") and ("handoffs/{" in path or "capacity" in path):
            assert response.status_code == 404  # another partner's things do not exist for an adviser


def test_a_nul_character_is_a_clear_4xx(world: World) -> None:
    response = world.call("coordinator", "GET", "/handoffs?partner_id=ab%00cd")
    assert response.status_code in (200, 422)  # SQLite stores NUL; PostgreSQL refuses it: never a 5xx
    reply = world.call("adviser", "POST", f"/handoffs/{world.own_handoff}/reply", {"text": "Bon\x00jour"})
    assert reply.status_code in (200, 422)


def test_a_youth_writing_to_an_urgent_question_just_closed_opens_it_again(world: World) -> None:
    conversation = str(uuid.uuid4())

    def youth(**body: str) -> list[str]:
        response = world.client.post("/widget/messages", json={"conversation_id": conversation, **body})
        assert response.status_code == 200, response.text
        return [m["text"] for m in response.json()["messages"]]

    youth(text="jsuis de champi jai 19 ans et jveux plus vivre")
    youth(payload="crisis:adviser")
    with session_factory(world.engine)() as session:
        urgent = session.scalars(select(Handoff).where(Handoff.urgent.is_(True))).one()
        urgent_id, partner = urgent.id, urgent.partner_id
    assert partner == OWN  # the youth's mission locale: Bea's questions
    world.call("adviser", "POST", f"/handoffs/{urgent_id}/reply", {"text": "Je suis là, tu es en sécurité ?"})
    assert world.call("adviser", "POST", f"/handoffs/{urgent_id}/resolve").json()["status"] == "resolved"

    said = youth(text="en fait ca va pas du tout")  # the adviser closed too soon: the reply is for them
    detail = world.call("adviser", "GET", f"/handoffs/{urgent_id}").json()
    assert detail["status"] == "open" and detail["resolved_at"] is None
    assert [m["author"] for m in detail["conversation"] if m["text"] == "en fait ca va pas du tout"] == [
        "youth"
    ]
    assert any("je le transmets" in text and "3114" in text for text in said), said

    world.call("adviser", "POST", f"/handoffs/{urgent_id}/resolve")
    youth(text="merci")  # thanks do not open it again
    assert world.call("adviser", "GET", f"/handoffs/{urgent_id}").json()["status"] == "resolved"


def test_a_reply_to_an_ordinary_question_closed_by_staff_goes_to_the_bot(world: World) -> None:
    world.call("adviser", "POST", f"/handoffs/{world.own_handoff}/reply", {"text": "Oui ! Passe mardi."})
    world.call("adviser", "POST", f"/handoffs/{world.own_handoff}/resolve")
    response = world.client.post(
        "/widget/messages", json={"conversation_id": world.conversation, "text": "et pour le code ?"}
    )
    assert response.status_code == 200
    assert world.call("adviser", "GET", f"/handoffs/{world.own_handoff}").json()["status"] == "resolved"
