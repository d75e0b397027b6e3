"""QR-code campaigns as staff and youths meet them: `sixtcap qr make`, the campaigns of the admin API
(create, list, QR code, printable poster), and the source recorded at a youth's first contact on the
widget and counted in the statistics. Telegram's /start payload and WhatsApp's prefilled code are
tested with their adapters (tests/test_telegram.py, tests/test_whatsapp.py). On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse
from xml.etree import ElementTree

import pytest
import segno
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine, select

from bot.campaigns import source_in_text, whatsapp_text
from bot.db import session_factory
from bot.models import DailyTally, Youth
from nlu.parser import EmbeddedParser
from tests.served import SIXTCAP
from tests.test_admin_api import PASSWORD, World, make_world

SCALE, BORDER = 10, 4  # how bot/posters.py draws the PNG


def modules(png: bytes) -> list[list[bool]]:
    """The dark and light modules of a QR code PNG, read at the centre of each module."""
    image = Image.open(io.BytesIO(png)).convert("L")
    size = image.width // SCALE - 2 * BORDER
    return [
        [image.getpixel(((BORDER + c) * SCALE + SCALE // 2, (BORDER + r) * SCALE + SCALE // 2)) < 128
         for c in range(size)]
        for r in range(size)
    ]  # fmt: skip


def encodes(png: bytes, link: str) -> bool:
    """The picture is the QR code of `link` (same content, same error correction as segno makes)."""
    expected = [[bool(v) for v in row] for row in segno.make(link, error="m", micro=False).matrix]
    return modules(png) == expected


@pytest.fixture
def world(loaded_engine: Engine, parser: EmbeddedParser) -> Iterator[World]:
    yield from make_world(loaded_engine, parser)


# -- sixtcap qr make ------------------------------------------------------------------------------------


def qr_make(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SIXTCAP_TELEGRAM__BOT_USERNAME": "sixtcap_bot",
        "SIXTCAP_WHATSAPP__DISPLAY_NUMBER": "+33 6 12 34 56 78",
        "SIXTCAP_SERVER__PUBLIC_URL": "https://6tcap.example.org",
    }
    return subprocess.run(
        [SIXTCAP, "qr", "make", *arguments], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("channel", "link"),
    [
        ("telegram", "https://t.me/sixtcap_bot?start=insta-lina"),
        ("whatsapp", "https://wa.me/33612345678?text=Salut%206Tcap%20%21%20%28code%20insta-lina%29"),
        ("web", "https://6tcap.example.org/?src=insta-lina"),
    ],
)
def test_qr_make_writes_the_code_of_each_channels_deep_link(tmp_path: Path, channel: str, link: str) -> None:
    done = qr_make(tmp_path, "--source", "insta-lina", "--channel", channel)
    assert done.returncode == 0, done.stderr
    assert link in done.stdout
    assert encodes((tmp_path / f"qr-insta-lina-{channel}.png").read_bytes(), link)


def test_qr_make_svg_and_refusals(tmp_path: Path) -> None:
    done = qr_make(tmp_path, "--source", "affiche-mail-rodin", "--format", "svg", "-o", "affiche.svg")
    assert done.returncode == 0, done.stderr
    svg = ElementTree.fromstring((tmp_path / "affiche.svg").read_bytes())
    assert svg.tag.endswith("svg")
    bad = qr_make(tmp_path, "--source", "pas bon !")
    assert bad.returncode == 1 and "invalid_source" in bad.stderr
    unset = subprocess.run(
        [SIXTCAP, "qr", "make", "--source", "x", "--channel", "telegram"],
        env={**os.environ, "SIXTCAP_TELEGRAM__BOT_USERNAME": ""}, cwd=tmp_path, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert unset.returncode == 1 and "telegram.bot_username" in unset.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["affiche.svg"]  # nothing written on a refusal


def test_the_whatsapp_code_reads_back() -> None:
    assert source_in_text(whatsapp_text("salon-emploi")) == ("salon-emploi", "Salut 6Tcap !")
    assert source_in_text("salut (code pas bon)") == (None, "salut (code pas bon)")


# -- the source at first contact -------------------------------------------------------------------------


def widget_says(client: TestClient, conversation: str, source: str | None, text: str) -> None:
    body = {"conversation_id": conversation, "text": text, "source": source}
    response = client.post("/widget/messages", json=body)
    assert response.status_code == 200, response.text


def test_the_widget_records_the_source_once_and_statistics_count_it(world: World) -> None:
    client = world.client
    conversation = str(uuid.uuid4())
    widget_says(client, conversation, "insta-lina", "")
    widget_says(client, conversation, "autre-campagne", "jcherche du taf")  # not the first contact any more
    widget_says(client, str(uuid.uuid4()), "pas bon !", "salut")  # a link edited by hand: no source
    with session_factory(world.engine)() as session:
        sources = sorted(str(s) for s in session.scalars(select(Youth.source)))
        assert sources.count("insta-lina") == 1 and "autre-campagne" not in sources
        assert "pas bon !" not in sources
        tallied = session.scalars(
            select(DailyTally.count).where(DailyTally.source == "insta-lina", DailyTally.metric == "new")
        ).all()
        assert sum(tallied) == 1
    for _ in range(4):
        widget_says(client, str(uuid.uuid4()), "insta-lina", "salut")
    report = world.call("coordinator", "GET", "/stats").json()
    assert {"value": "insta-lina", "youths": 5} in report["sources"]


# -- campaigns in the admin API --------------------------------------------------------------------------


def test_a_coordinator_creates_lists_and_prints_a_campaign(world: World) -> None:
    body = {"source": "insta-lina", "name": "Lina (Instagram)", "kind": "influencer", "channel": "web",
            "poster_line": "Une question ? Scanne, on t'oriente."}  # fmt: skip
    created = world.call("coordinator", "POST", "/campaigns", body)
    assert created.status_code == 201, created.text
    web = created.json()["links"]["web"]
    assert parse_qs(urlparse(web).query) == {"src": ["insta-lina"]}
    assert "telegram" not in created.json()["links"]  # no bot name in config.yml: no t.me link
    again = world.call("admin", "POST", "/campaigns", {**body, "source": "INSTA-LINA"})
    assert again.status_code == 409
    refused = world.call("coordinator", "POST", "/campaigns", {**body, "source": "pas de blanc"})
    assert refused.status_code == 422
    assert world.call("adviser", "POST", "/campaigns", {**body, "source": "x"}).status_code == 403

    for _ in range(5):
        widget_says(world.client, str(uuid.uuid4()), "insta-lina", "salut")
    listed = world.call("coordinator", "GET", "/campaigns").json()
    assert [(c["source"], c["youths"]) for c in listed] == [("insta-lina", 5)]

    headers = world.headers("coordinator")
    png = world.client.get("/admin/api/campaigns/insta-lina/qr", headers=headers)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert encodes(png.content, web)
    svg = world.client.get("/admin/api/campaigns/insta-lina/qr?format=svg", headers=headers)
    assert ElementTree.fromstring(svg.content).tag.endswith("svg")
    pdf = world.client.get("/admin/api/campaigns/insta-lina/poster", headers=headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert 'filename="affiche-insta-lina.pdf"' in pdf.headers["content-disposition"]
    poster = world.client.get("/admin/api/campaigns/insta-lina/poster?format=svg", headers=headers)
    tree = ElementTree.fromstring(poster.content)
    words = " ".join(t.text or "" for t in tree.iter() if t.tag.endswith("text"))
    assert "Une question ? Scanne, on t'oriente." in words and web in words
    assert len([e for e in tree.iter() if e.tag.endswith("rect")]) > 200  # the QR code's modules

    assert 'filename="qr-insta-lina.svg"' in svg.headers["content-disposition"]
    for wrong in ("qr?format=pdf", "poster?format=png", "sticker"):  # what each is not made as
        assert (
            world.client.get(f"/admin/api/campaigns/insta-lina/{wrong}", headers=headers).status_code == 422
        )
    missing = world.client.get("/admin/api/campaigns/nope/qr", headers=headers)
    assert missing.status_code == 404
    off = world.client.get("/admin/api/campaigns/insta-lina/qr?channel=telegram", headers=headers)
    assert off.status_code == 409 and "bot_username" in off.json()["detail"]


def test_the_statistics_page_names_the_campaigns(world: World) -> None:
    body = {"source": "salon-emploi", "name": "Salon de l'emploi", "kind": "event"}
    assert world.call("admin", "POST", "/campaigns", body).status_code == 201
    for _ in range(5):
        widget_says(world.client, str(uuid.uuid4()), "salon-emploi", "salut")
    form = world.client.get("/admin/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    logged = world.client.post(
        "/admin/login",
        data={"email": "coord@6tcap.example", "password": PASSWORD, "csrf": csrf.group(1)},
        follow_redirects=False,
    )
    assert logged.status_code == 303
    page = world.client.get("/admin/stats")
    assert page.status_code == 200
    assert re.search(r"Salon de l(&#39;|&#x27;|')emploi</text>", page.text)  # the chart names the campaign
