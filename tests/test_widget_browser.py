"""The website chat widget as a youth uses it: the real app, the demo portal, a real headless Chromium.

Chromium comes from the system (/usr/bin/chromium, installed by `make test`); nothing is downloaded."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import select

from bot.db import make_engine, session_factory
from bot.models import Handoff, Message, Youth
from tests.served import DESKTOP, PHONE, PSEUDONYMS, chromium, served

pytestmark = pytest.mark.slow

WELCOME = "Moi c'est sixtcap"


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The real app with the demo offers of `make run`: (base URL, database URL)."""
    with served(tmp_path_factory.mktemp("widget"), ["offers", "demo"]) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


def new_page(browser: Browser, base: str, viewport: dict[str, int] = DESKTOP, **options: Any) -> Page:
    """A fresh visitor (own localStorage) on the portal."""
    context = browser.new_context(base_url=base, viewport=viewport, locale="fr-FR", **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/")
    return page


@pytest.fixture
def page(browser: Browser, app_server: tuple[str, str]) -> Iterator[Page]:
    page = new_page(browser, app_server[0])
    yield page
    page.context.close()


def launcher(page: Page) -> Locator:
    return page.get_by_role("button", name="Ouvrir la discussion")


def chat_log(page: Page) -> Locator:
    return page.locator("sixtcap-chat [role=log]")


def open_widget(page: Page) -> Locator:
    """Open the widget with the launcher and wait for the welcome; the message list."""
    launcher(page).click()
    log = chat_log(page)
    expect(log.get_by_text(WELCOME)).to_be_visible()
    return log


def press(log: Locator, title: str) -> None:
    log.get_by_role("button", name=title, exact=True).last.click()


def focused(page: Page) -> str:
    """What has the keyboard focus, looking inside the widget's shadow root."""
    return page.evaluate(
        """() => {
            let node = document.activeElement;
            while (node && node.shadowRoot && node.shadowRoot.activeElement) node = node.shadowRoot.activeElement;
            return node ? (node.id || node.getAttribute('aria-label') || node.textContent.trim()) : '';
        }"""
    )


def settle(page: Page) -> None:
    """Let the widget's short slide and fade-in animations end (axe measures colours as painted)."""
    page.evaluate(
        "Promise.all(document.querySelector('sixtcap-chat').shadowRoot.getAnimations().map(a => a.finished))"
    )


def conversation_id(page: Page) -> str | None:
    return page.evaluate("localStorage.getItem('sixtcap.conversation')")


def test_a_youth_finds_the_mission_locale_for_the_licence(page: Page) -> None:
    log = open_widget(page)
    assert log.get_attribute("aria-live") == "polite"
    expect(page.get_by_role("heading", name="sixtcap — on t'oriente")).to_be_visible()
    press(log, "Permis")
    expect(log.get_by_text("Tu habites où")).to_be_visible()
    textbox = page.get_by_role("textbox", name="Ton message")
    textbox.fill("champi")
    textbox.press("Enter")
    expect(log.locator(".turn.me", has_text="champi")).to_be_visible()
    expect(textbox).to_have_value("")
    press(log, "18-25 ans")
    expect(log.locator(".turn.me", has_text="18-25 ans")).to_be_visible()
    card = log.locator("article", has=page.locator("h3", has_text=re.compile("mission locale", re.I)))
    expect(card.first).to_be_visible()
    expect(card.first.get_by_role("link").first).to_have_attribute("rel", "noopener")
    settle(page)
    page.screenshot(path="/tmp/widget-desktop.png")


def test_help_to_apply_from_an_offer_card(page: Page, app_server: tuple[str, str]) -> None:
    """The "Me faire aider" of an offer card is a button: it opens the question to the mission locale
    with that offer (the second card's, not the first's) attached."""
    log = open_widget(page)
    textbox = page.get_by_role("textbox", name="Ton message")
    for said in ("je cherche un job", "champi", "19 ans"):
        textbox.fill(said)
        textbox.press("Enter")
        expect(log.locator(".turn.me", has_text=said)).to_be_visible()
    for title in ("Un job", "Peu importe", "30 km", "Permis + voiture"):
        press(log, title)
    cards = log.locator("article.offer")
    expect(cards.nth(1)).to_be_visible()
    title = cards.nth(1).locator("h3").inner_text()
    cards.nth(1).get_by_role("button", name="Me faire aider").click()
    expect(log.get_by_text("C'est transmis à Mission locale des Bords de Marne")).to_be_visible()
    engine = make_engine(app_server[1])
    with session_factory(engine)() as session:
        youth_id = session.scalar(
            select(Youth.id).where(Youth.user_ref == PSEUDONYMS.ref("widget", conversation_id(page)))
        )
        question = session.scalar(select(Handoff.question).where(Handoff.youth_id == youth_id))
    engine.dispose()
    assert question is not None and f"« {title} »" in question


def test_a_reload_continues_the_conversation(page: Page) -> None:
    log = open_widget(page)
    press(log, "Permis")
    expect(log.get_by_text("Tu habites où")).to_be_visible()
    before = conversation_id(page)
    assert before and re.fullmatch(r"[0-9a-f-]{36}", before)
    page.reload()
    launcher(page).click()
    expect(log.get_by_text("Tu habites où")).to_be_visible()
    expect(log.get_by_text(WELCOME)).to_have_count(1)  # the history, not a second welcome
    assert conversation_id(page) == before


def test_keyboard_only(page: Page) -> None:
    for _ in range(40):
        page.keyboard.press("Tab")
        if focused(page) == "Ouvrir la discussion":
            break
    else:
        pytest.fail("the launcher is not reachable with Tab")
    page.keyboard.press("Enter")
    log = chat_log(page)
    expect(log.get_by_text(WELCOME)).to_be_visible()
    assert focused(page) == "input"
    page.keyboard.type("je cherche un job")
    page.keyboard.press("Enter")
    expect(log.locator(".turn.me", has_text="je cherche un job")).to_be_visible()
    expect(log.locator(".turn.bot").last).not_to_contain_text(WELCOME)  # the bot answered
    page.keyboard.press("Escape")
    expect(page.locator("sixtcap-chat [role=dialog]")).to_be_hidden()
    assert focused(page) == "Ouvrir la discussion"
    expect(launcher(page)).to_have_attribute("aria-expanded", "false")


def test_full_screen_on_a_phone(browser: Browser, app_server: tuple[str, str]) -> None:
    page = new_page(browser, app_server[0], PHONE, reduced_motion="reduce")  # no slide-in: measure at once
    try:
        open_widget(page)
        box = page.locator("sixtcap-chat [role=dialog]").bounding_box()
        assert box is not None
        assert (box["x"], box["y"]) == (0, 0)
        assert (round(box["width"]), round(box["height"])) == (PHONE["width"], PHONE["height"])
        expect(page.get_by_role("textbox", name="Ton message")).to_be_in_viewport()
        page.screenshot(path="/tmp/widget-phone.png")
    finally:
        page.context.close()


def test_no_serious_accessibility_problem(page: Page) -> None:
    # From the portal's chat entry: the widget opens on the chosen subject, up to the service cards.
    page.locator("#la-discussion").get_by_role("link", name="Permis").click()
    log = chat_log(page)
    expect(log.get_by_text("Tu habites où")).to_be_visible()
    press(log, "Champigny")
    press(log, "18-25 ans")
    expect(log.locator("article").first).to_be_visible()
    settle(page)
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, results.generate_report()


def test_an_error_keeps_what_the_youth_typed(page: Page) -> None:
    open_widget(page)
    page.route(
        "**/widget/messages",
        lambda route: (
            route.fulfill(status=503, json={"detail": "database unavailable, try again"})
            if route.request.method == "POST"
            else route.continue_()
        ),
    )
    textbox = page.get_by_role("textbox", name="Ton message")
    textbox.fill("je cherche un logement")
    textbox.press("Enter")
    expect(chat_log(page).get_by_text("Oups, ça n'a pas marché. Réessaie dans un instant.")).to_be_visible()
    expect(textbox).to_have_value("je cherche un logement")


def test_an_advisers_later_answer_appears(page: Page, app_server: tuple[str, str]) -> None:
    log = open_widget(page)
    conversation = conversation_id(page)
    engine = make_engine(app_server[1])
    with session_factory(engine)() as session:
        youth_id = session.scalar(
            select(Youth.id).where(
                Youth.channel == "widget", Youth.user_ref == PSEUDONYMS.ref("widget", conversation)
            )
        )
        assert youth_id is not None
        session.add(Message(youth_id=youth_id, direction="out", channel="widget", text="Bonjour, ici Samia."))
        session.commit()
    engine.dispose()
    expect(log.get_by_text("Bonjour, ici Samia.")).to_be_visible(timeout=10_000)
