"""The village and the classic menu in a real headless Chromium, as a youth uses them: the 360° viewer with
the mouse, the keyboard and a phone's touch; the pages without JavaScript; "Pose ta question" on a stand
reaching that partner's staff; axe on every page. Screenshots are kept in var/artifacts/village/.

Chromium comes from the system (/usr/bin/chromium, installed by `make test`); WebGL runs on SwiftShader."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from bot.db import make_engine, session_factory
from bot.models import Handoff
from tests.served import DESKTOP, PHONE, chromium, served

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "artifacts" / "village"
WEBGL = ("--use-gl=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist")


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    with served(tmp_path_factory.mktemp("village")) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium(*WEBGL) as browser:
        yield browser


def visit(browser: Browser, base: str, path: str, viewport: dict[str, int] = DESKTOP, **options: Any) -> Page:
    context = browser.new_context(base_url=base, viewport=viewport, locale="fr-FR", **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(path)
    return page


def keep(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def no_serious_problem(page: Page) -> None:
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, results.generate_report()


def viewer_ready(page: Page) -> None:
    expect(page.locator("#panorama canvas")).to_be_attached()
    page.wait_for_function("window.sixtcapViewer && window.sixtcapViewer.isLoaded()")
    expect(page.locator("#panorama .spot.stand").first).to_be_visible()


def test_a_scene_turns_and_its_stands_lead_to_their_pages(
    browser: Browser, app_server: tuple[str, str]
) -> None:
    page = visit(browser, app_server[0], "/village/bois-l-abbe")
    try:
        viewer_ready(page)
        expect(
            page.locator("figure.still")
        ).to_be_hidden()  # the flat picture is for pages without the viewer
        keep(page, "scene-desktop")
        stand = page.locator("#panorama .spot.stand").first
        name = stand.inner_text().strip()
        stand.click()
        expect(page).to_have_url(re.compile(r"/village/stands/\w+$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text(name.split(" ")[0])
        keep(page, "stand-desktop")
    finally:
        page.context.close()


def test_the_keyboard_turns_the_scene_and_reaches_every_stand(
    browser: Browser, app_server: tuple[str, str]
) -> None:
    page = visit(browser, app_server[0], "/village/mordacs")
    try:
        viewer_ready(page)
        page.locator("#panorama").focus()
        before = page.evaluate("window.sixtcapViewer.getYaw()")
        page.keyboard.down("ArrowRight")
        page.wait_for_function(f"Math.abs(window.sixtcapViewer.getYaw() - ({before})) > 20")
        page.keyboard.up("ArrowRight")
        # every stand is also a link of the page, reached with Tab and opened with Enter
        link = page.locator("#titre-stands + ul a").first
        target = link.get_attribute("href")
        link.focus()
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(re.escape(str(target)) + "$"))
    finally:
        page.context.close()


def test_on_a_phone_a_tap_on_a_stand_opens_it(browser: Browser, app_server: tuple[str, str]) -> None:
    page = visit(
        browser, app_server[0], "/village/hautes-noues", viewport=PHONE, has_touch=True, is_mobile=True
    )
    try:
        viewer_ready(page)
        keep(page, "scene-phone")
        page.locator("#panorama .spot.stand").first.tap()
        expect(page).to_have_url(re.compile(r"/village/stands/\w+$"))
        keep(page, "stand-phone")
    finally:
        page.context.close()


ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"


def test_on_a_phone_the_scene_follows_the_gyroscope(browser: Browser, app_server: tuple[str, str]) -> None:
    """Browsers give the phone's orientation to HTTPS pages only: the page is served as https://village.test
    (each request answered by the test server) to a phone's browser."""
    context = browser.new_context(
        viewport=PHONE, has_touch=True, is_mobile=True, user_agent=ANDROID, locale="fr-FR"
    )
    context.set_default_timeout(15_000)
    context.route(
        "https://village.test/**",
        lambda route: route.fulfill(
            response=route.fetch(url=route.request.url.replace("https://village.test", app_server[0]))
        ),
    )
    page = context.new_page()
    try:
        page.goto("https://village.test/village/la-redoute")
        viewer_ready(page)
        compass = page.get_by_role("button", name="Suivre les mouvements du téléphone")
        expect(compass).to_be_visible()
        compass.tap()
        view = "[window.sixtcapViewer.getYaw(), window.sixtcapViewer.getPitch()]"
        before = page.evaluate(view)

        def turn_phone(alpha: float, times: int) -> None:  # held nearly upright, turned about its axis
            page.evaluate(
                "([alpha, times]) => { for (let i = 0; i < times; i++) window.dispatchEvent("
                "new DeviceOrientationEvent('deviceorientation', {alpha, beta: 80, gamma: 0})); }",
                [alpha, times],
            )

        # one reading a frame, as a phone gives them (a burst could pass before the viewer listens): the
        # viewer skips the first readings, takes where the phone points as ahead, then the phone turns
        moved = (
            "([y, p]) => { window.readings = (window.readings || 0) + 1;"
            " const alpha = window.readings < 20 ? 0 : 60;"
            " window.dispatchEvent(new DeviceOrientationEvent('deviceorientation', {alpha, beta: 80, gamma: 0}));"
            " return Math.abs(sixtcapViewer.getYaw() - y) + Math.abs(sixtcapViewer.getPitch() - p) > 20; }"
        )
        page.wait_for_function(moved, arg=before)  # the view follows the phone
        page.locator("#panorama").scroll_into_view_if_needed()
        keep(page, "scene-phone-gyroscope")
        compass.tap()  # off again: turning the phone does nothing
        turned = page.evaluate(view)
        turn_phone(-60, 3)
        page.wait_for_timeout(500)
        assert page.evaluate(view) == pytest.approx(turned, abs=1)
    finally:
        context.close()


def test_without_javascript_everything_is_a_plain_page(browser: Browser, app_server: tuple[str, str]) -> None:
    page = visit(browser, app_server[0], "/village/les-larris", java_script_enabled=False)
    try:
        expect(page.locator("#panorama")).to_be_hidden()
        expect(page.get_by_role("img", name="Vue à 360° de Les Larris, à plat")).to_be_visible()
        keep(page, "scene-without-javascript")
        page.get_by_role("link", name="La Redoute").click()
        expect(page).to_have_url(re.compile(r"/village/la-redoute$"))
        page.goto("/services")
        page.get_by_role("combobox", name="Sujet").select_option("health")
        page.get_by_role("combobox", name="Ta ville").select_option("Villiers-sur-Marne")
        page.get_by_role("button", name="Voir les services").click()
        expect(page).to_have_url(re.compile(r"/services\?concern=health&commune=Villiers-sur-Marne$"))
        expect(page.get_by_role("status").first).to_contain_text("ouverts aux jeunes de Villiers-sur-Marne")
        keep(page, "menu-without-javascript")
        # "Poser une question" without the chat: the stand's way to reach the partner
        page.get_by_role("link", name="Poser une question").first.click()
        expect(page.locator("#poser")).to_be_visible()
    finally:
        page.context.close()


def test_without_javascript_a_scene_video_is_listed_and_plays_flat(
    browser: Browser, app_server: tuple[str, str]
) -> None:
    page = visit(browser, app_server[0], "/village", java_script_enabled=False)
    try:
        scene = page.get_by_role("article").filter(
            has=page.get_by_role("link", name="Bois l'Abbé, côté place", exact=True)
        )
        expect(scene).to_contain_text("Avec une vidéo à 360° (animation de démo)")
        scene.get_by_role("link", name="Bois l'Abbé, côté place", exact=True).click()
        expect(page).to_have_url(re.compile(r"/village/bois-l-abbe-place$"))
        video = page.locator("video[aria-label='Vidéo à 360° de Bois l\\'Abbé, côté place, à plat']")
        expect(video).to_be_visible()
        expect(page.get_by_role("button", name="Lancer la vidéo à 360°")).to_be_hidden()  # needs the viewer
        download = page.get_by_role("link", name="Télécharger la vidéo")
        assert download.get_attribute("href") == video.get_attribute("src")
        keep(page, "scene-video-without-javascript")
        video.evaluate("v => v.play()")  # the browser's own controls, which need no script of the page
        for _ in range(120):  # the page runs no script: asked from outside, twice a second
            if video.evaluate("v => v.currentTime") > 0.5:
                break
            page.wait_for_timeout(500)
        assert video.evaluate("v => v.currentTime") > 0.5
    finally:
        page.context.close()


def test_pose_ta_question_reaches_the_partner(browser: Browser, app_server: tuple[str, str]) -> None:
    page = visit(browser, app_server[0], "/village/stands/fontenay_cite_jeunes")
    try:
        page.get_by_role("link", name="Pose ta question").click()
        log = page.locator("sixtcap-chat [role=log]")
        expect(log.get_by_text("Je veux poser une question à Fontenay cité jeunes")).to_be_visible()
        expect(log.get_by_text("je la transmets à Fontenay cité jeunes")).to_be_visible()
        box = page.get_by_role("textbox", name="Ton message")
        box.fill("wsh vous faites des sorties pendant les vacs ?")
        box.press("Enter")
        expect(log.get_by_text("C'est transmis à Fontenay cité jeunes")).to_be_visible()
        keep(page, "stand-question")
        with session_factory(make_engine(app_server[1]))() as session:
            handoff = session.scalars(select(Handoff)).one()
            assert handoff.partner_id == "fontenay_cite_jeunes"
    finally:
        page.context.close()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/services?concern=job",
        "/village",
        "/village/la-redoute",
        "/village/bois-l-abbe-place",
        "/village/stands/epide_montry",
    ],
)
def test_no_serious_accessibility_problem(browser: Browser, app_server: tuple[str, str], path: str) -> None:
    page = visit(browser, app_server[0], path)
    try:
        if path.startswith("/village/") and "stands" not in path:
            viewer_ready(page)
        no_serious_problem(page)
        keep(page, "axe-" + (path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-") or "home"))
    finally:
        page.context.close()


def frame_of(page: Page) -> bytes:
    """What the viewer shows now (its canvas, without the hotspots' labels that sit over it)."""
    return page.locator("#panorama canvas").screenshot()


def test_a_scene_video_plays_in_the_360_viewer_with_the_keyboard(
    browser: Browser, app_server: tuple[str, str]
) -> None:
    page = visit(browser, app_server[0], "/village/bois-l-abbe-place")
    try:
        viewer_ready(page)
        videos = "performance.getEntriesByType('resource').filter(e => e.name.endsWith('.mp4')).length"
        assert page.evaluate(videos) == 0  # the still first: no video downloaded unasked
        play = page.get_by_role("button", name="Lancer la vidéo à 360°")
        play.focus()
        page.keyboard.press("Enter")
        # the video is now the viewer's picture: Pannellum's dynamic mode with the playing <video> as texture
        page.wait_for_function(
            "() => { const c = window.sixtcapViewer.getConfig(); const v = c.panorama;"
            " return c.dynamic === true && v instanceof HTMLVideoElement && !v.paused && v.currentTime > 1"
            " && window.sixtcapViewer.isLoaded(); }",
            timeout=60_000,
        )
        expect(page.locator("#panorama .spot.stand").first).to_be_visible()  # the stands are still there
        expect(page.get_by_role("button", name="Mettre la vidéo en pause")).to_be_focused()
        page.evaluate("window.scrollTo(0, 0)")
        keep(page, "scene-video-playing")
        first = frame_of(page)
        page.wait_for_timeout(700)
        assert frame_of(page) != first  # the picture moves: the people walk, the birds fly
        # the keyboard still turns the scene while the video plays (slowly: SwiftShader draws few frames)
        page.locator("#panorama").focus()
        before = page.evaluate("window.sixtcapViewer.getYaw()")
        page.keyboard.down("ArrowLeft")
        page.wait_for_function(f"Math.abs(window.sixtcapViewer.getYaw() - ({before})) > 10", timeout=60_000)
        page.keyboard.up("ArrowLeft")
        # paused, the picture stops moving (once the turn has slowed down)
        page.get_by_role("button", name="Mettre la vidéo en pause").focus()
        page.keyboard.press(" ")
        expect(page.get_by_role("button", name="Reprendre la vidéo")).to_be_visible()
        page.wait_for_function("window.sixtcapViewer.getConfig().panorama.paused")
        frames = [frame_of(page)]
        for _ in range(8):
            page.wait_for_timeout(700)
            frames.append(frame_of(page))
            if frames[-1] == frames[-2]:
                break
        assert frames[-1] == frames[-2], "the paused video still moves"
        keep(page, "scene-video-paused")
    finally:
        page.context.close()
