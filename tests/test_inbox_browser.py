"""The advisers' inbox at /admin/ as an adviser uses it: the real app (`sixtcap serve` on a fresh SQLite
database with the shipped catalogue), a youth's question asked through the widget's API, and a real
headless Chromium.

Chromium comes from the system (/usr/bin/chromium, installed by `make test`); nothing is downloaded."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import Engine, select

from bot.db import make_engine, session_factory
from bot.models import AuditEntry, Handoff, Service, Youth
from tests.served import DESKTOP, PHONE, PSEUDONYMS, chromium, served

pytestmark = pytest.mark.slow

PARTNER = "mission_locale_bords_de_marne"
ADVISER = ("samia@ml-bords-de-marne.example", "Samia Benali", PARTNER)
OTHER = ("paul@epide-montry.example", "Paul Martin", "epide_montry")
PASSWORD = "un mot de passe solide"
QUESTION = "est-ce que le permis à 1 euro marche pour moi ?"
ANSWER = "Oui, passe nous voir mardi."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    """The real app with two advisers of two partners: (base URL, an engine on its database)."""
    accounts = [
        [
            "staff",
            "add",
            "--email",
            email,
            "--name",
            name,
            "--role",
            "adviser",
            "--partner",
            partner,
            "--password",
            PASSWORD,
        ]
        for email, name, partner in (ADVISER, OTHER)
    ]
    with served(tmp_path_factory.mktemp("inbox"), *accounts) as (base, database_url):
        engine = make_engine(database_url)
        yield base, engine
        engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


def ask_an_adviser(base: str, engine: Engine) -> tuple[str, int]:
    """A youth of Champigny asks the Mission locale a question through the widget: (conversation, handoff)."""
    conversation = str(uuid.uuid4())
    for body in (
        {"text": "jsuis de champi j'ai 19 ans je veux passer le permis"},
        {"payload": "adviser"},
        {"text": QUESTION},
    ):
        response = httpx.post(f"{base}/widget/messages", json={"conversation_id": conversation, **body})
        assert response.status_code == 200, response.text
    with session_factory(engine)() as db:
        handoff = db.scalar(
            select(Handoff)
            .join(Youth, Youth.id == Handoff.youth_id)
            .where(Youth.channel == "widget", Youth.user_ref == PSEUDONYMS.ref("widget", conversation))
        )
        assert handoff is not None, "the widget conversation opened no handoff"
        assert (handoff.partner_id, handoff.status, handoff.question) == (PARTNER, "pending", QUESTION)
        return conversation, handoff.id


def handoff_status(engine: Engine, handoff_id: int) -> str:
    with session_factory(engine)() as db:
        handoff = db.get(Handoff, handoff_id)
        assert handoff is not None
        return handoff.status


def log_in(
    browser: Browser, base: str, who: tuple[str, str, str], viewport: dict[str, int] = DESKTOP
) -> Page:
    context = browser.new_context(base_url=base, viewport=viewport, locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login"))  # not logged in yet
    page.get_by_label("E-mail").fill(who[0])
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1, name="Questions des jeunes")).to_be_visible()
    return page


@pytest.fixture
def adviser(browser: Browser, server: tuple[str, Engine]) -> Iterator[Page]:
    page = log_in(browser, server[0], ADVISER)
    yield page
    page.context.close()


def no_serious_problem(page: Page) -> None:
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, results.generate_report()


def test_an_adviser_answers_a_youth_and_resolves_the_question(
    adviser: Page, server: tuple[str, Engine]
) -> None:
    base, engine = server
    conversation, handoff_id = ask_an_adviser(base, engine)
    page = adviser
    page.reload()
    link = page.get_by_role("link", name=re.compile(rf"Question n° {handoff_id}\b"))
    expect(link).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Non attribuées"))).to_have_attribute(
        "aria-current", "page"
    )
    no_serious_problem(page)
    page.screenshot(path="/tmp/inbox-list.png")

    link.click()
    expect(page.get_by_role("heading", level=1, name=f"Question n° {handoff_id}")).to_be_visible()
    expect(page.locator("blockquote")).to_have_text(QUESTION)
    expect(page.get_by_text("Mission locale des Bords de Marne").first).to_be_visible()
    expect(page.locator(".status")).to_have_text("En attente")
    no_serious_problem(page)

    page.get_by_role("button", name="Prendre en charge").click()
    expect(page.get_by_role("status")).to_have_text("Vous avez pris en charge cette question.")
    expect(page.locator(".status")).to_have_text("En cours")
    expect(page.get_by_role("button", name="Prendre en charge")).to_have_count(0)

    page.get_by_label("Votre réponse au jeune").fill(ANSWER)
    page.get_by_role("button", name="Envoyer la réponse").click()
    expect(page.get_by_role("status")).to_have_text("Réponse envoyée au jeune.")
    expect(page.locator(".conversation .turn.staff").last).to_contain_text(ANSWER)
    page.screenshot(path="/tmp/inbox-handoff.png", full_page=True)
    youth_sees = httpx.get(f"{base}/widget/messages", params={"conversation_id": conversation, "after": 0})
    assert any(ANSWER in bubble["text"] for bubble in youth_sees.json()["messages"]), youth_sees.text

    page.get_by_role("button", name="Marquer comme résolue").click()
    expect(page.get_by_role("status")).to_have_text("Question marquée comme résolue.")
    expect(page.locator(".status")).to_have_text(re.compile("résolue", re.I))
    expect(page.get_by_role("button", name="Envoyer la réponse")).to_have_count(0)
    assert handoff_status(engine, handoff_id) == "resolved"
    token = page.locator("input[name=csrf]").first.get_attribute("value")
    again = page.request.post(f"/admin/handoffs/{handoff_id}/claim", form={"csrf": token or ""})
    assert again.status == 409 and "Cette question est déjà résolue." in again.text()
    page.get_by_role("link", name="Retour aux questions").click()
    page.get_by_role("link", name=re.compile("^Toutes")).click()
    expect(page.get_by_role("link", name=re.compile("^Toutes"))).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("link", name=re.compile(rf"Question n° {handoff_id}\b"))).to_be_visible()

    with session_factory(engine)() as db:
        actions = db.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity == "handoff", AuditEntry.entity_id == str(handoff_id))
            .order_by(AuditEntry.id)
        ).all()
    assert actions == ["claim", "reply", "resolve"]


def test_another_partners_adviser_sees_nothing(browser: Browser, server: tuple[str, Engine]) -> None:
    base, engine = server
    _, handoff_id = ask_an_adviser(base, engine)
    page = log_in(browser, base, OTHER)
    try:
        for tab in ("Mes questions", "Non attribuées", "Urgentes", "Toutes"):
            page.get_by_role("link", name=re.compile(f"^{tab}")).click()
            expect(page.get_by_role("link", name=re.compile(f"^{tab}"))).to_have_attribute(
                "aria-current", "page"
            )
            expect(page.get_by_role("link", name=re.compile(rf"Question n° {handoff_id}\b"))).to_have_count(0)
        response = page.goto(f"/admin/handoffs/{handoff_id}")
        assert response is not None and response.status == 404
        expect(page.get_by_role("heading", level=1, name="Page introuvable")).to_be_visible()
        expect(page.get_by_text(QUESTION)).to_have_count(0)
        assert page.request.post(f"/admin/handoffs/{handoff_id}/claim").status == 403  # no CSRF token
        token = page.locator("input[name=csrf]").first.get_attribute("value") or ""
        for action in ("claim", "resolve"):
            assert (
                page.request.post(f"/admin/handoffs/{handoff_id}/{action}", form={"csrf": token}).status
                == 404
            )
        with session_factory(engine)() as db:
            theirs = db.scalars(select(Service.id).where(Service.partner_id == PARTNER)).first()
        places = page.request.post(f"/admin/places/{theirs}", form={"csrf": token, "places_available": "0"})
        assert places.status == 404
    finally:
        page.context.close()
    assert handoff_status(engine, handoff_id) == "pending"


def test_an_adviser_updates_the_places(adviser: Page, server: tuple[str, Engine]) -> None:
    page = adviser
    page.get_by_role("link", name="Places").click()
    expect(page.get_by_role("heading", level=1, name="Places disponibles")).to_be_visible()
    services = page.locator("li.service")
    expect(services.first).to_be_visible()
    _, engine = server
    with session_factory(engine)() as db:
        ours = set(db.scalars(select(Service.id).where(Service.partner_id == PARTNER, Service.active)))
    shown = {(item.get_attribute("id") or "").removeprefix("service-") for item in services.all()}
    assert shown == ours  # this partner's active services, and only them

    service = services.first
    service_id = (service.get_attribute("id") or "").removeprefix("service-")
    service.get_by_label("Places au total").fill("12")
    service.get_by_label("Places disponibles").fill("13")
    service.get_by_role("button", name=re.compile("^Enregistrer")).click()
    service = page.locator(f"#service-{service_id}")
    expect(service.get_by_role("alert")).to_contain_text("ne peuvent pas dépasser")
    expect(service.get_by_label("Places disponibles")).to_have_value("13")  # what was typed stays
    expect(service.get_by_label("Places au total")).to_have_value("12")
    expect(service.get_by_label("Places disponibles")).to_be_focused()  # next to the message, in view
    expect(service.get_by_role("alert")).to_be_in_viewport()

    service.get_by_label("Places disponibles").fill("7")
    service.get_by_label("Places au total").fill("12")
    service.get_by_role("button", name=re.compile("^Enregistrer")).click()
    service = page.locator(f"#service-{service_id}")
    expect(service.get_by_role("status")).to_have_text("Places enregistrées.")
    expect(service.locator(".current")).to_contain_text("7 places disponibles sur 12")
    expect(service.get_by_label("Places disponibles")).to_have_value("7")
    with session_factory(engine)() as db:
        row = db.get(Service, service_id)
        assert row is not None
        assert (row.places_available, row.places_total) == (7, 12)
        assert row.capacity_updated_at is not None
        last = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
        assert (last.action, last.entity_id, last.after) == (
            "capacity",
            service_id,
            {"places_available": 7, "places_total": 12},
        )


def test_posts_without_the_csrf_token_are_refused(adviser: Page, server: tuple[str, Engine]) -> None:
    base, engine = server
    _, handoff_id = ask_an_adviser(base, engine)
    page = adviser
    page.goto(f"/admin/handoffs/{handoff_id}")
    token = page.locator("input[name=csrf]").first.get_attribute("value")
    assert token and re.fullmatch(r"[0-9a-f]{64}", token)
    for form in ({}, {"csrf": "0" * 64}):
        assert page.request.post(f"/admin/handoffs/{handoff_id}/claim", form=form).status == 403
        reply = page.request.post(f"/admin/handoffs/{handoff_id}/reply", form={**form, "text": "x"})
        assert reply.status == 403
        assert page.request.post(f"/admin/handoffs/{handoff_id}/resolve", form=form).status == 403
        assert page.request.post("/admin/logout", form=form).status == 403
    assert handoff_status(engine, handoff_id) == "pending"
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert "sixtcap_staff" in cookies
    with httpx.Client(base_url=base, cookies={"sixtcap_staff": cookies["sixtcap_staff"]}) as client:
        assert client.post(f"/admin/handoffs/{handoff_id}/claim").status_code == 403
        service = client.post("/admin/places/anything", data={"places_available": "1"})
        assert service.status_code == 403
        done = client.post(f"/admin/handoffs/{handoff_id}/claim", data={"csrf": token})
        assert done.status_code == 303  # the same request with the page's token goes through
    assert handoff_status(engine, handoff_id) == "open"
    login = httpx.post(f"{base}/admin/login", data={"email": ADVISER[0], "password": PASSWORD})
    assert login.status_code == 403 and "sixtcap_staff" not in login.cookies


def test_on_a_phone_wrong_then_right_password(browser: Browser, server: tuple[str, Engine]) -> None:
    base, engine = server
    _, handoff_id = ask_an_adviser(base, engine)
    context = browser.new_context(
        base_url=base, viewport=PHONE, locale="fr-FR", is_mobile=True, has_touch=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(f"/admin/handoffs/{handoff_id}")  # the link of the notification e-mail
        expect(page.get_by_role("heading", level=1, name="Connexion")).to_be_visible()
        page.get_by_label("E-mail").fill(ADVISER[0])
        page.get_by_label("Mot de passe").fill("pas le bon mot de passe")
        with page.expect_response(re.compile(r"/admin/login$")) as answer:
            page.get_by_role("button", name="Se connecter").click()
        assert answer.value.status == 401
        expect(page.get_by_role("alert")).to_have_text("E-mail ou mot de passe incorrect.")
        expect(page.get_by_label("E-mail")).to_have_value(ADVISER[0])
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_role("heading", level=1, name=f"Question n° {handoff_id}")).to_be_visible()
        expect(page.get_by_role("button", name="Prendre en charge")).to_be_in_viewport()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path="/tmp/inbox-phone.png", full_page=True)
        page.get_by_role("link", name="Places").click()
        expect(page.get_by_role("heading", level=1, name="Places disponibles")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path="/tmp/inbox-places-phone.png")
        cookie = next(c for c in context.cookies() if c["name"] == "sixtcap_staff")
        assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"], cookie["secure"]) == (
            True,
            "Strict",
            "/admin",
            False,
        )

        page.get_by_role("button", name="Se déconnecter").click()
        expect(page.get_by_role("heading", level=1, name="Connexion")).to_be_visible()
        assert all(c["name"] != "sixtcap_staff" for c in context.cookies())
        revoked = httpx.get(f"{base}/admin/", cookies={"sixtcap_staff": cookie["value"]})
        assert revoked.status_code == 303 and revoked.headers["location"].endswith("/admin/login")
    finally:
        context.close()


def test_urgent_questions_come_first_and_are_marked(adviser: Page, server: tuple[str, Engine]) -> None:
    base, engine = server
    _, calm = ask_an_adviser(base, engine)
    _, pressing = ask_an_adviser(base, engine)
    with session_factory(engine)() as db, db.begin():
        handoff = db.get(Handoff, pressing)
        assert handoff is not None
        handoff.urgent = True
    page = adviser
    page.goto("/admin/?view=all")
    items = page.locator("li.handoff")
    expect(items.first).to_contain_text(f"Question n° {pressing}")
    expect(items.first.locator(".badge")).to_have_text("Urgent")
    expect(page.locator("li.handoff", has_text=f"Question n° {calm} ").locator(".badge")).to_have_count(0)
    no_serious_problem(page)
    items.first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Urgent Question n° {pressing}")


def test_one_place_left_then_none(adviser: Page) -> None:
    page = adviser
    page.goto("/admin/places")
    service = page.locator("li.service").last
    service_id = service.get_attribute("id")
    for left, shown in (("1", "1 place disponible"), ("0", "0 place disponible")):
        service.get_by_label("Places disponibles").fill(left)
        service.get_by_label("Places au total").fill("")  # blank: the total stays as it was
        service.get_by_role("button", name=re.compile("^Enregistrer")).click()
        service = page.locator(f"#{service_id}")
        expect(service.get_by_role("status")).to_have_text("Places enregistrées.")
        expect(service.locator(".current")).to_contain_text(shown)


def tap(target: Locator, what: str, actions: list[str]) -> None:
    """One action of an adviser on a phone: a tap on something already on the screen (no scrolling)."""
    expect(target).to_be_in_viewport()
    actions.append(what)
    target.tap()


def test_on_a_phone_a_question_is_handled_in_three_actions(
    browser: Browser, server: tuple[str, Engine]
) -> None:
    """Issue 16: one question in at most 3 actions on a phone, each a tap on something already on the
    screen (no scrolling): open it, pick a canned reply (or tap the answer and type), "Envoyer et clore"."""
    base, engine = server
    with session_factory(engine)() as db, db.begin():  # the questions of earlier tests are dealt with
        for earlier in db.scalars(select(Handoff).where(Handoff.status != "resolved")):
            earlier.status = "resolved"
    context = browser.new_context(
        base_url=base, viewport=PHONE, locale="fr-FR", is_mobile=True, has_touch=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/admin/login")
    page.get_by_label("E-mail").fill(ADVISER[0])
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()  # once a day: not counted
    try:
        for way in ("canned", "typed"):
            conversation, handoff_id = ask_an_adviser(base, engine)
            page.goto("/admin/")
            actions: list[str] = []
            tap(page.get_by_role("link", name=re.compile(rf"Question n° {handoff_id}\b")), "open", actions)
            expect(page.locator("blockquote")).to_be_in_viewport()  # the question, read at once
            page.screenshot(path=f"/tmp/inbox-phone-opened-{way}.png")
            if way == "canned":
                canned = page.get_by_label("Réponse toute prête")
                expect(canned).to_be_in_viewport()
                actions.append("pick a canned reply")
                canned.select_option(label="Prendre rendez-vous")
                expect(page.get_by_label("Votre réponse au jeune")).to_have_value(
                    re.compile("^Bonjour ! Le plus")
                )
                sent = "passer nous voir ou de nous appeler"
            else:
                tap(page.get_by_label("Votre réponse au jeune"), "tap the answer", actions)
                page.keyboard.type(ANSWER)
                sent = ANSWER
            page.screenshot(path=f"/tmp/inbox-phone-three-actions-{way}.png")
            tap(page.get_by_role("button", name="Envoyer et clore"), "send and close", actions)
            expect(page.get_by_role("status")).to_have_text("Réponse envoyée au jeune, question close.")
            assert len(actions) <= 3, actions
            assert handoff_status(engine, handoff_id) == "resolved"
            youth_sees = httpx.get(
                f"{base}/widget/messages", params={"conversation_id": conversation, "after": 0}
            )
            answer = next(b for b in youth_sees.json()["messages"] if sent in b["text"])
            assert answer["buttons"] == []  # closed already: no "C'est réglé" to press
    finally:
        context.close()
