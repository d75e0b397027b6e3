"""The inbox in daily use, in a real headless Chromium against `sixtcap serve`: questions arriving while
the page is open, unread marks, a youth writing again after the answer, two advisers of one partner
(take-over confirmation, assignment, notes), a transfer the youth is told about, reopening, the youth's
panel, Ctrl+Enter. Screenshots are kept in /tmp/sixtcap-screenshots/."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine, select

from bot.db import make_engine, session_factory
from bot.models import AuditEntry, Handoff, HandoffEvent, Partner, Youth
from tests.served import DESKTOP, PHONE, PSEUDONYMS, chromium, served
from tests.waiting import wait_for

pytestmark = pytest.mark.slow

PARTNER, OTHER_PARTNER = "mission_locale_bords_de_marne", "epide_montry"
SAMIA = ("samia@ml-bords-de-marne.example", "Samia Benali", PARTNER)
LEA = ("lea@ml-bords-de-marne.example", "Léa Durand", PARTNER)
PAUL = ("paul@epide-montry.example", "Paul Martin", OTHER_PARTNER)
COORD = ("chloe@6tcap.example", "Chloé Roux", "")
NADIA = ("nadia@ml-bords-de-marne.example", "Nadia Lefèvre", PARTNER)  # the Mission locale's lead
PASSWORD = "un mot de passe solide"
SHOTS = Path("/tmp/sixtcap-screenshots")


def handoff_of(engine: Engine, conversation: str) -> int:
    """The question a widget conversation opened."""
    with session_factory(engine)() as db:
        handoff_id = db.scalar(
            select(Handoff.id)
            .join(Youth, Youth.id == Handoff.youth_id)
            .where(Youth.user_ref == PSEUDONYMS.ref("widget", conversation))
        )
    assert handoff_id is not None
    return handoff_id


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    accounts = [
        ["staff", "add", "--email", email, "--name", name, "--role", "adviser", "--partner", partner,
         "--password", PASSWORD]
        for email, name, partner in (SAMIA, LEA, PAUL)
    ]  # fmt: skip
    coordinator = ["staff", "add", "--email", COORD[0], "--name", COORD[1], "--role", "coordinator",
                   "--password", PASSWORD]  # fmt: skip
    lead = ["staff", "add", "--email", NADIA[0], "--name", NADIA[1], "--role", "lead", "--partner", PARTNER,
            "--password", PASSWORD]  # fmt: skip
    # an urgent question goes to the partner chosen whatever the day and hour the suite runs
    pinned = {"SIXTCAP_HANDOFF__URGENT_WAIT_HOURS": "10000"}
    with served(tmp_path_factory.mktemp("daily"), *accounts, coordinator, lead, settings=pinned) as (
        base,
        database_url,
    ):
        engine = make_engine(database_url)
        yield base, engine
        engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    SHOTS.mkdir(exist_ok=True)
    with chromium() as browser:
        yield browser


def log_in(
    browser: Browser, base: str, who: tuple[str, str, str], viewport: dict[str, int] = DESKTOP
) -> Page:
    context = browser.new_context(base_url=base, viewport=viewport, locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/admin/login")
    page.get_by_label("E-mail").fill(who[0])
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1, name="Questions des jeunes")).to_be_visible()
    return page


def youth_says(base: str, conversation: str, **body: str) -> list[str]:
    response = httpx.post(f"{base}/widget/messages", json={"conversation_id": conversation, **body})
    assert response.status_code == 200, response.text
    return [m["text"] for m in response.json()["messages"]]


def ask(base: str, engine: Engine, question: str) -> tuple[str, int]:
    conversation = str(uuid.uuid4())
    youth_says(base, conversation, text="jsuis de champi j'ai 19 ans je veux passer le permis")
    youth_says(base, conversation, payload="adviser")
    youth_says(base, conversation, text=question)
    handoff_id = handoff_of(engine, conversation)
    return conversation, handoff_id


def youth_sees(base: str, conversation: str) -> list[str]:
    answer = httpx.get(f"{base}/widget/messages", params={"conversation_id": conversation, "after": 0})
    return [bubble["text"] for bubble in answer.json()["messages"]]


def handoff(engine: Engine, handoff_id: int) -> Handoff:
    with session_factory(engine)() as db:
        found = db.get(Handoff, handoff_id)
        assert found is not None
        return found


def test_a_question_arrives_live_is_answered_with_ctrl_enter_and_the_youth_writes_again(
    browser: Browser, server: tuple[str, Engine]
) -> None:
    base, engine = server
    page = log_in(browser, base, SAMIA)
    try:
        page.get_by_role("link", name=re.compile("^Non attribuées")).click()
        conversation, handoff_id = ask(base, engine, "le permis à 1 euro c'est pour moi ?")
        item = page.locator("li.handoff", has_text=f"Question n° {handoff_id} ")
        expect(item).to_be_visible()  # no reload: the page looked for changes by itself
        expect(item).to_have_class(re.compile(r"\bunread\b"))
        expect(item.locator(".wait")).to_contain_text("Attend depuis")
        expect(page.get_by_role("status").first).to_contain_text("du nouveau")
        page.screenshot(path=str(SHOTS / "inbox-live.png"), full_page=True)

        item.get_by_role("link").click()
        panel = page.locator("aside.youth-panel")
        expect(panel).to_contain_text("Champigny-sur-Marne")
        expect(panel).to_contain_text("19 ans")
        expect(panel).to_contain_text("Permis")
        expect(panel.locator(".cards-shown li").first).to_be_visible()  # the services sixtcap showed
        expect(page.locator(".conversation .turn.youth").first).to_contain_text("jsuis de champi")

        reply = page.get_by_label("Votre réponse au jeune")
        page.get_by_label("Réponse toute prête").select_option(label="Demander une précision")
        page.get_by_role("button", name="Utiliser cette réponse").click()
        expect(reply).to_have_value(re.compile("peux-tu m'en dire un peu plus"))
        expect(reply).to_be_focused()
        reply.fill("Oui, passe nous voir mardi à 10h.")
        reply.press("Control+Enter")
        expect(page.get_by_role("status").last).to_have_text("Réponse envoyée au jeune.")
        assert any("passe nous voir mardi" in text for text in youth_sees(base, conversation))

        answers = youth_says(base, conversation, text="merci !! et faut prendre rdv ou pas ?")
        assert not any("clos" in text for text in answers), answers
        assert handoff(engine, handoff_id).status == "open"  # never closed by the youth's "merci"
        expect(page.locator(".conversation .turn.youth").last).to_contain_text("faut prendre rdv")
        expect(page.get_by_text("Le jeune a réécrit")).to_be_visible()
        page.get_by_label("Votre réponse au jeune").fill("Pas besoin de rendez-vous.")
        page.get_by_role("button", name="Envoyer la réponse").click()
        expect(page.get_by_role("status").last).to_have_text("Réponse envoyée au jeune.")
        expect(page.get_by_text("Le jeune a réécrit")).to_have_count(0)
        page.screenshot(path=str(SHOTS / "handoff-answered-again.png"), full_page=True)

        page.get_by_role("link", name="Retour aux questions").click()
        mine = page.locator("li.handoff", has_text=f"Question n° {handoff_id} ")
        expect(page.get_by_role("link", name=re.compile("^Mes questions"))).to_have_attribute(
            "aria-current", "page"
        )
        expect(mine).not_to_have_class(re.compile(r"\bunread\b"))
        expect(mine).to_contain_text("Suivie par Samia Benali")
    finally:
        page.context.close()


def test_two_advisers_take_over_assign_note_transfer_and_reopen(
    browser: Browser, server: tuple[str, Engine]
) -> None:
    base, engine = server
    conversation, handoff_id = ask(base, engine, "je peux faire le code en ligne ?")
    samia, lea = log_in(browser, base, SAMIA), log_in(browser, base, LEA, PHONE)
    try:
        samia.goto(f"/admin/handoffs/{handoff_id}")
        samia.get_by_role("button", name="Prendre en charge").click()
        expect(samia.get_by_role("status").last).to_have_text("Vous avez pris en charge cette question.")

        lea.goto(f"/admin/handoffs/{handoff_id}")
        expect(lea.locator(".facts")).to_contain_text("Samia Benali")
        lea.get_by_label("Votre réponse au jeune").fill("Oui, sur le site de l'ANTS.")
        lea.get_by_role("button", name="Envoyer la réponse").click()
        expect(lea.get_by_role("alert")).to_contain_text("s'en occupe déjà")
        expect(lea.get_by_label("Votre réponse au jeune")).to_have_value("Oui, sur le site de l'ANTS.")
        assert not any("ANTS" in text for text in youth_sees(base, conversation))  # nothing sent yet
        lea.get_by_role("button", name="Reprendre et envoyer").click()
        expect(lea.get_by_role("status").last).to_have_text("Réponse envoyée au jeune.")
        assert any("ANTS" in text for text in youth_sees(base, conversation))
        assert handoff(engine, handoff_id).claimed_by is not None
        expect(lea.locator(".facts")).to_contain_text("Léa Durand")
        assert lea.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        lea.screenshot(path=str(SHOTS / "handoff-phone.png"), full_page=True)

        lea.get_by_text("Note interne, attribuer, transmettre").click()
        lea.get_by_label("Note interne").fill("Déjà vu en septembre, à rappeler.")
        lea.get_by_role("button", name="Ajouter la note").click()
        expect(lea.locator(".turn.event").last).to_contain_text("Déjà vu en septembre")
        assert not any("septembre" in text for text in youth_sees(base, conversation))  # staff only

        lea.get_by_text("Note interne, attribuer, transmettre").click()
        lea.get_by_label("Attribuer à").select_option(label="Samia Benali")
        lea.get_by_role("button", name="Attribuer").click()
        expect(lea.get_by_role("status").last).to_have_text("Question attribuée.")
        expect(lea.locator(".turn.event").last).to_contain_text("Attribuée à Samia Benali")

        samia.goto("/admin/?view=mine")
        expect(samia.locator("li.handoff", has_text=f"Question n° {handoff_id} ")).to_be_visible()
        samia.goto(f"/admin/handoffs/{handoff_id}")
        samia.get_by_text("Note interne, attribuer, transmettre").click()
        samia.get_by_label("Transmettre à une autre structure").select_option(OTHER_PARTNER)
        samia.get_by_label("Note pour la structure qui reçoit la question").fill("Public EPIDE, 19 ans.")
        samia.get_by_role("button", name="Transmettre").click()
        expect(samia.get_by_role("status").first).to_have_text(
            f"Question n° {handoff_id} transmise : le jeune en est informé."
        )
        expect(samia.locator("li.handoff", has_text=f"Question n° {handoff_id} ")).to_have_count(0)
        told = youth_sees(base, conversation)
        assert any("transmise" in text and "EPIDE" in text for text in told), told
    finally:
        samia.context.close()
        lea.context.close()

    paul = log_in(browser, base, PAUL)
    try:
        paul.get_by_role("link", name=re.compile("^Non attribuées")).click()
        paul.locator("li.handoff", has_text=f"Question n° {handoff_id} ").get_by_role("link").click()
        events = paul.locator(".turn.event")
        expect(events.filter(has_text="Transmise de Mission locale")).to_contain_text("Public EPIDE, 19 ans.")
        expect(events.filter(has_text="Déjà vu en septembre")).to_be_visible()  # the history follows
        paul.screenshot(path=str(SHOTS / "handoff-transferred.png"), full_page=True)
        paul.get_by_role("button", name="Marquer comme résolue").click()
        expect(paul.get_by_role("status").last).to_have_text("Question marquée comme résolue.")
        paul.get_by_role("button", name="Rouvrir la question").click()
        expect(paul.get_by_role("status").last).to_have_text("Question rouverte.")
        expect(paul.locator(".status")).to_have_text("En cours")
    finally:
        paul.context.close()
    youth_says(base, conversation, text="d'accord merci, et c'est où exactement ?")
    reopened = handoff(engine, handoff_id)
    assert (reopened.status, reopened.partner_id) == ("open", OTHER_PARTNER)
    assert reopened.youth_wrote_at is not None  # the youth's message joined the reopened question
    with session_factory(engine)() as db:
        kinds = db.scalars(select(HandoffEvent.kind).where(HandoffEvent.handoff_id == handoff_id)).all()
        actions = db.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_id == str(handoff_id)).order_by(AuditEntry.id)
        ).all()
    assert list(kinds) == ["assign", "note", "assign", "transfer", "reopen"]
    assert list(actions) == ["claim", "reply", "note", "assign", "transfer", "resolve", "reopen"]


def coordinator_after_five_youths(browser: Browser, base: str, text: str) -> Page:
    """Five youths say `text` (enough to be shown), then the coordinator opens the statistics."""
    for _ in range(5):
        youth_says(base, str(uuid.uuid4()), text=text)
    page = log_in(browser, base, COORD)
    page.get_by_role("link", name="Statistiques").click()
    return page


def test_the_coordinator_reads_the_dashboard_and_downloads_the_csv(
    browser: Browser, server: tuple[str, Engine]
) -> None:
    base = server[0]
    page = coordinator_after_five_youths(
        browser, base, "jsuis de champi j'ai 19 ans je veux passer le permis"
    )
    try:
        expect(page.get_by_role("heading", level=1, name="Statistiques")).to_be_visible()
        expect(page.locator("svg.chart").first).to_be_visible()
        towns = page.get_by_role("img", name="Villes")
        expect(towns).to_contain_text("Champigny-sur-Marne")
        page.get_by_label("Par", exact=True).select_option("day")
        page.get_by_label("Canal", exact=True).select_option("telegram")
        page.get_by_role("button", name="Afficher").click()
        expect(page.get_by_role("img", name="Villes")).to_have_count(0)  # nobody on Telegram
        page.get_by_label("Canal", exact=True).select_option("")
        page.get_by_role("button", name="Afficher").click()
        page.screenshot(path=str(SHOTS / "stats.png"), full_page=True)
        with page.expect_download() as download:
            page.get_by_role("link", name="Télécharger en CSV").click()
        text = Path(download.value.path()).read_text()
        assert text.startswith("section,period,channel,key,measure,value")
        assert "towns,,,Champigny-sur-Marne,youths," in text and "jsuis" not in text
    finally:
        page.context.close()
    adviser = log_in(browser, base, PAUL)
    try:
        response = adviser.goto("/admin/stats")
        assert response is not None and response.status == 403
        adviser.get_by_role("link", name="Réglages").click()
        adviser.get_by_label("une nouvelle question arrive pour ma structure").check()
        adviser.get_by_role("button", name="Enregistrer").click()
        expect(adviser.get_by_role("status").filter(has_text="Réglages")).to_have_text(
            "Réglages enregistrés."
        )
        expect(adviser.get_by_label("une nouvelle question arrive pour ma structure")).to_be_checked()
    finally:
        adviser.context.close()


def test_the_coordinator_prints_the_funder_report_for_a_period(
    browser: Browser, server: tuple[str, Engine]
) -> None:
    base = server[0]
    page = coordinator_after_five_youths(browser, base, "wsh jsuis de champi jai 18 ans jcherche un taf")
    try:
        page.get_by_role("link", name="Rapport d'activité pour les financeurs").click()
        expect(page.get_by_role("heading", level=1, name="Rapport d'activité")).to_be_visible()
        expect(page.locator(".period")).to_contain_text(" au ")
        first_time = page.get_by_role("row", name=re.compile("^Jeunes accueillis pour la première fois"))
        expect(first_time.get_by_role("cell").first).to_have_text(re.compile(r"^([5-9]|\d\d+)$"))
        expect(page.get_by_role("img", name="Sujets")).to_be_visible()
        expect(page.get_by_role("heading", name="Méthode")).to_be_visible()
        assert "wsh" not in page.content() and "jcherche" not in page.content()  # no words of youths
        page.emulate_media(media="print")
        expect(page.get_by_role("navigation", name="Menu principal")).to_be_hidden()
        expect(page.get_by_role("link", name="Retour aux statistiques")).to_be_hidden()
        page.screenshot(path=str(SHOTS / "funder-report-print.png"), full_page=True)
        pdf = page.pdf(format="A4", path=str(SHOTS / "funder-report.pdf"))
        assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page\r") <= 4
    finally:
        page.context.close()


STUB = """
window.__notes = [];
class Recorder { constructor(title, options) { window.__notes.push([title, options.body]); } }
Recorder.permission = "granted";
Recorder.requestPermission = () => Promise.resolve("granted");
window.Notification = Recorder;
"""


def test_a_browser_notification_for_a_new_question_when_the_adviser_asked_for_it(
    browser: Browser, server: tuple[str, Engine]
) -> None:
    base, engine = server
    page = log_in(browser, base, LEA)
    try:
        page.context.add_init_script(STUB)
        page.get_by_role("link", name="Réglages").click()
        expect(page.locator("#browser-state")).to_have_text("Activées sur ce navigateur.")
        page.get_by_label("une nouvelle question arrive pour ma structure").check()
        page.get_by_role("button", name="Enregistrer").click()
        page.get_by_role("link", name="Questions").click()
        with page.expect_response(re.compile(r"/admin/updates$")):
            pass  # the page has read the counts once: the next rise is news
        ask(base, engine, "c'est quoi le code de la route ?")
        notes = wait_for(lambda: page.evaluate("window.__notes"), what="a browser notification")
        assert notes == [["sixtcap : nouvelle question", "Une question attend un conseiller."]]
    finally:
        page.context.close()


def test_the_partners_lead_sets_where_its_notifications_go(
    browser: Browser, server: tuple[str, Engine]
) -> None:
    base, engine = server
    page = log_in(browser, base, NADIA)
    try:
        page.get_by_role("link", name="Réglages").click()
        address = page.get_by_label("Adresse (https://…)")
        address.fill("http://crm.ml-bdm.example/sixtcap")
        with page.expect_response(re.compile(r"/reglages/webhook$")) as answer:
            page.get_by_role("button", name="Enregistrer l'adresse").click()
        assert answer.value.status == 422
        expect(page.get_by_role("alert")).to_contain_text("https://")
        expect(address).to_have_value("http://crm.ml-bdm.example/sixtcap")  # what was typed stays
        expect(page.get_by_role("alert")).to_be_in_viewport()
        address.fill("https://crm.ml-bdm.example/sixtcap")
        page.get_by_role("button", name="Enregistrer l'adresse").click()
        expect(page.get_by_role("status").filter(has_text="Adresse")).to_have_text(
            "Adresse de notification enregistrée."
        )
        expect(address).to_have_value("https://crm.ml-bdm.example/sixtcap")
        page.get_by_text("Vérifier que les envois viennent de sixtcap").click()
        expect(page.locator("code.secret")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
        page.screenshot(path=str(SHOTS / "lead-settings.png"), full_page=True)
        with session_factory(engine)() as db:
            partner = db.get(Partner, PARTNER)
            assert partner is not None and partner.notify_webhook_url == "https://crm.ml-bdm.example/sixtcap"
    finally:
        page.context.close()
    adviser = log_in(browser, base, SAMIA)  # an adviser of the same partner: not theirs to set
    try:
        adviser.get_by_role("link", name="Réglages").click()
        expect(adviser.get_by_label("Adresse (https://…)")).to_have_count(0)
        token = adviser.locator("input[name=csrf]").first.get_attribute("value") or ""
        sneaked = adviser.request.post(
            "/admin/reglages/webhook", form={"csrf": token, "url": "https://x.example"}
        )
        assert sneaked.status == 403
    finally:
        adviser.context.close()


def test_on_a_phone_an_urgent_question_shows_its_kind_and_the_youths_words_before_the_answer(
    browser: Browser, server: tuple[str, Engine]
) -> None:
    """QA (staff side): every urgent question read "Pas de question écrite" in the list; on a phone the
    kind of danger was 1,100 px down, after the answer box; the transcript hid the helplines given and
    the button pressed; no canned reply fitted a youth in danger, and picking one wiped the typed text."""
    base, engine = server
    conversation = str(uuid.uuid4())
    youth_says(base, conversation, text="mon copain me frappe quand il a bu, jsuis a champigny")
    told = youth_says(base, conversation, payload="crisis:adviser")
    assert any(t.startswith("C'est transmis en urgence à Mission locale") for t in told), told
    youth_says(base, conversation, text="jsuis chez ma soeur la")
    handoff_id = handoff_of(engine, conversation)
    page = log_in(browser, base, SAMIA, PHONE)
    try:
        page.goto("/admin/?view=urgent")
        item = page.locator("li.handoff", has_text=f"Question n° {handoff_id} ")
        expect(item.locator(".badge")).to_have_text("Urgent · violences dans le couple")
        expect(item.locator(".excerpt")).to_contain_text("« jsuis chez ma soeur la »")
        expect(item.locator(".again")).to_have_text("Le jeune a réécrit")  # before any answer
        page.goto("/admin/?view=all&danger=idées suicidaires")
        expect(page.locator("li.handoff", has_text=f"Question n° {handoff_id} ")).to_have_count(0)
        page.goto("/admin/?view=all&danger=violences dans le couple")
        page.get_by_role("link", name=re.compile(rf"Question n° {handoff_id}\b")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"Urgent · violences dans le couple Question n° {handoff_id}"
        )
        said = page.locator(".last-words")
        expect(said).to_contain_text("mon copain me frappe quand il a bu")
        expect(said).to_contain_text("jsuis chez ma soeur la")
        expect(said).to_be_in_viewport()
        answer = page.get_by_label("Votre réponse au jeune")
        said_box, answer_box = said.bounding_box(), answer.bounding_box()
        assert said_box and answer_box and said_box["y"] + said_box["height"] <= answer_box["y"]
        thread = page.locator("#handoff-thread")
        expect(thread).to_contain_text("[Numéros donnés : 3919 · Violences Femmes Info")
        expect(thread).to_contain_text("[Bouton : Un conseiller]")
        canned = page.get_by_label("Réponse toute prête")
        titles = canned.locator("option").all_inner_texts()
        assert titles[1:3] == ["Urgent : violences", "Urgent : es-tu en sécurité ?"], titles
        answer.click()
        page.keyboard.type("Tu es avec ta soeur maintenant ?")
        canned.select_option(label="Urgent : es-tu en sécurité ?")
        typed = answer.input_value()
        assert typed.startswith("Tu es avec ta soeur maintenant ?\n"), typed  # never wiped
        assert (
            "ici Samia." in typed
            and "Mission locale" not in typed
            and "en sécurité, là, maintenant ?" in typed
        )
        page.screenshot(path=str(SHOTS / "urgent-phone.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        page.context.close()


def test_on_a_phone_the_statistics_page_never_scrolls_sideways(
    browser: Browser, server: tuple[str, Engine]
) -> None:
    page = log_in(browser, server[0], COORD, PHONE)
    try:
        page.goto("/admin/stats")
        expect(page.get_by_role("heading", level=1, name="Statistiques")).to_be_visible()
        wide = page.evaluate(  # what sticks out of its (unscrolled) parent, to say what widens the page
            "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391"
            " && e.parentElement.getBoundingClientRect().right <= 391"
            " && getComputedStyle(e.parentElement).overflowX === 'visible').map(e => e.outerHTML.slice(0, 80))"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], wide
        page.screenshot(path=str(SHOTS / "stats-phone.png"), full_page=True)
    finally:
        page.context.close()
