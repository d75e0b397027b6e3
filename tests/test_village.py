"""The portal's pages as a youth reaches them (server-rendered, without JavaScript): the 360° village, the
partners' stands, the classic menu; real media replacing the demo ones; and no dead link anywhere the
portal, the village or the bot's cards lead. On SQLite and PostgreSQL. In Chromium:
tests/test_village_browser.py."""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine

from bot.catalogue.snapshot import ServiceView, load_services
from bot.config import VillageSettings
from bot.db import session_factory
from bot.territory import load_territory
from bot.village import load_village
from nlu.parser import EmbeddedParser
from tests.conftest import channel_settings, running_app

DATA = Path(__file__).resolve().parent.parent / "data"
VILLAGE = load_village(DATA / "village.yml")
TERRITORY = load_territory(DATA / "territory.yml")
PUBLIC = "http://127.0.0.1:8000"  # server.public_url of the shipped config: where the bot's links point


@pytest.fixture(scope="module")
def client(
    module_engine: Engine, parser: EmbeddedParser, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    settings = channel_settings(var_dir=tmp_path_factory.mktemp("var"))
    with running_app(settings, module_engine, parser) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def services(module_engine: Engine) -> tuple[ServiceView, ...]:
    with session_factory(module_engine)() as session:
        return load_services(session)


def links(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="([^"]+)"', html)


def test_the_village_lists_every_scene_and_its_stands(client: TestClient) -> None:
    page = client.get("/village")
    assert page.status_code == 200
    for scene in VILLAGE.scenes:
        assert f'href="/village/{scene.id}"' in page.text
        for stand in scene.stands:
            assert f'href="/village/stands/{stand.target}"' in page.text
    assert "Démo" in page.text  # drawn pictures and invented testimonials say so


def test_a_scene_has_its_viewer_its_picture_and_the_same_links_as_lists(client: TestClient) -> None:
    page = client.get("/village/bois-l-abbe")
    assert page.status_code == 200
    config = json.loads(re.search(r'id="scene-config">(.*?)</script>', page.text, re.S).group(1))  # type: ignore[union-attr]
    assert config["panorama"] == "/village/media/demo-bois-l-abbe.jpg"
    targets = {spot["url"] for spot in config["hotspots"]}
    assert "/village/stands/mission_locale_bords_de_marne" in targets and "/village/mordacs" in targets
    for url in targets:  # what the viewer offers, the page offers without JavaScript
        assert f'href="{url}"' in page.text
    assert '<script src="/village/viewer/pannellum.js"' in page.text and "cdn" not in page.text.lower()
    assert "ce n'est pas une photo du quartier" in page.text


def test_demo_panoramas_are_equirectangular_pictures(client: TestClient) -> None:
    for scene in VILLAGE.scenes:
        response = client.get(f"/village/media/{scene.panorama_file}")
        assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
        image = Image.open(io.BytesIO(response.content))
        assert image.width == 2 * image.height >= 2048


def test_a_scene_video_is_an_equirectangular_mp4_that_loops(client: TestClient) -> None:
    import av

    scene = VILLAGE.scene("bois-l-abbe-place")
    assert scene is not None and scene.drawn_video
    page = client.get(scene.path).text
    config = json.loads(re.search(r'id="scene-config">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    assert config["video"] == "/village/media/demo-bois-l-abbe-place.mp4"
    assert 'id="video-lecture"' in page and "Télécharger la vidéo" in page  # with and without JavaScript
    assert "animation dessinée" in page  # a drawing, not a film: the page says so
    assert "vidéo à 360°" in client.get("/village").text
    response = client.get(config["video"])
    assert response.status_code == 200 and response.headers["content-type"] == "video/mp4"
    part = client.get(config["video"], headers={"Range": "bytes=0-1023"})  # phones stream and loop by ranges
    assert part.status_code == 206 and len(part.content) == 1024
    with av.open(io.BytesIO(response.content)) as video:
        stream = video.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.width == 2 * stream.height >= 1024
        frames = [f.to_ndarray(format="gray").astype(int) for f in video.decode(stream)]
    assert len(frames) >= 60
    moved = [abs(frames[0] - f).mean() for f in frames[1:]]
    assert min(moved[: len(moved) // 2]) > 0.05  # something moves at every frame of the first half
    assert abs(frames[-1] - frames[0]).mean() < max(moved)  # and the end comes back near the start: a loop
    reply = client.post(
        "/widget/messages",
        json={"conversation_id": str(uuid.uuid4()), "payload": "village:bois-l-abbe-place"},
    ).json()
    cards = {c["id"]: c for bubble in reply["messages"] for c in bubble["cards"]}
    assert "🎥 Avec une vidéo à 360°" in cards["bois-l-abbe-place"]["details"]  # the chat's card says so
    without = client.get("/village/la-redoute").text
    assert '"video": null' in without and "video-lecture" not in without


def test_the_viewer_comes_from_node_modules(client: TestClient) -> None:
    script = client.get("/village/viewer/pannellum.js")
    assert script.status_code == 200 and "pannellum" in script.text[:2000].lower()
    assert client.get("/village/viewer/pannellum.css").status_code == 200
    assert client.get("/village/viewer/../../config.yml").status_code == 404


def test_every_partner_has_a_stand(client: TestClient, services: tuple[ServiceView, ...]) -> None:
    partners = {s.partner_id for s in services}
    assert len(partners) == 13
    for partner_id in partners:
        page = client.get(f"/village/stands/{partner_id}")
        assert page.status_code == 200, partner_id
        assert f'data-sixtcap-payload="handoff:partner:{partner_id}"' in page.text
        for service in (s for s in services if s.partner_id == partner_id):
            assert service.nom.replace("'", "&#39;") in page.text
        if partner_id in VILLAGE.testimonials:
            assert "témoignage inventé pour l'exemple" in page.text
    stand = client.get("/village/stands/mission_locale_bords_de_marne").text
    assert "Places dispo : 6" in stand and "lun.-ven. 9h-12h30, 13h30-17h30" in stand


@pytest.mark.parametrize(
    "path",
    ["/village/nulle-part", "/village/stands/nobody", "/village/media/nothing.jpg", "/village/viewer/x.js"],
)
def test_unknown_addresses_are_french_404_pages(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "On n'a pas trouvé" in response.text and 'href="/village"' in response.text


def expected_menu(services: tuple[ServiceView, ...], thematiques: frozenset[str], insee: str) -> set[str]:
    """Written independently of bot/menu.py: the services of these thématiques open to this commune."""
    return {
        s.id for s in services if s.thematiques & thematiques and ({"france", insee, insee[:2]} & set(s.zone))
    }


def test_the_menu_filters_by_concern_and_town_in_a_shareable_url(
    client: TestClient, services: tuple[ServiceView, ...]
) -> None:
    from bot.concerns import load_concerns

    job = load_concerns(DATA / "concerns.yml")["job"]
    fontenay = TERRITORY.commune("Fontenay-sous-Bois")
    assert fontenay is not None
    page = client.get("/services?concern=job&commune=Fontenay-sous-Bois")
    assert page.status_code == 200
    shown = set(re.findall(r'id="service-([^"]+)"', page.text))
    assert shown == expected_menu(services, job.thematiques, fontenay.insee) and shown
    assert '<option value="job" selected>' in page.text
    assert '<option value="Fontenay-sous-Bois" selected>' in page.text
    everything = set(re.findall(r'id="service-([^"]+)"', client.get("/services").text))
    assert everything > shown
    first = page.text.index('id="service-')
    assert "Places dispo" in page.text[first : first + 3000] or "Places :" in page.text[first : first + 3000]
    assert 'data-sixtcap-payload="handoff:partner:' in page.text and "Poser une question" in page.text


def test_a_menu_link_with_an_unknown_filter_says_so(client: TestClient) -> None:
    page = client.get("/services?concern=astronaute&commune=Gotham")
    assert page.status_code == 200 and "n'existe pas" in page.text
    assert len(re.findall(r'id="service-', page.text)) > 40
    assert client.get("/services?concern=" + "x" * 500).status_code == 422


def bot_links(client: TestClient) -> set[str]:
    """Every link the bot's cards give: services for each concern, the village's scenes."""
    found: set[str] = set()
    payloads = [["concern:" + c, "town:Champigny-sur-Marne", "age:18-25"] for c in
                ("paperwork", "health", "driving_licence", "sport", "job", "training", "housing", "money", "wellbeing")]  # fmt: skip
    payloads += [["village", f"village:{scene.id}"] for scene in VILLAGE.scenes]
    for steps in payloads:
        conversation = str(uuid.uuid4())
        for payload in steps:
            reply = client.post(
                "/widget/messages", json={"conversation_id": conversation, "payload": payload}
            )
            assert reply.status_code == 200
            for bubble in reply.json()["messages"]:
                for card in bubble["cards"]:
                    found |= {card["url"], *(a["url"] for a in card["actions"])} - {None}
                found |= {b["url"] for b in bubble["buttons"] if b.get("url")}
    return found


def test_no_dead_link_in_the_portal_the_village_and_the_bots_cards(client: TestClient) -> None:
    from_bot = bot_links(client)
    assert any("/village/stands/" in u for u in from_bot) and any(
        re.search(r"/village/[a-z-]+$", u) for u in from_bot
    )
    to_visit = [
        "/",
        "/services",
        "/village",
        *(u.removeprefix(PUBLIC) for u in from_bot if u.startswith(PUBLIC)),
    ]
    seen: set[str] = set()  # paths with their fragment: a "#poser" must exist on its page
    external: set[str] = {u for u in from_bot if not u.startswith(PUBLIC)}
    while to_visit:
        path = to_visit.pop()
        if path in seen:
            continue
        seen.add(path)
        page_path, _, fragment = path.partition("#")
        response = client.get(page_path)
        assert response.status_code == 200, f"dead link: {path}"
        if fragment:
            assert f'id="{fragment}"' in response.text, f"no #{fragment} on {page_path}"
        if "text/html" not in response.headers["content-type"]:
            continue
        for link in links(response.text):
            parsed = urlparse(urljoin("http://testserver" + page_path, link))
            if parsed.netloc != "testserver":
                external.add(link)
                continue
            target = parsed.path + (f"?{parsed.query}" if parsed.query else "")
            to_visit.append(target + (f"#{parsed.fragment}" if parsed.fragment else ""))
    assert len(seen) > 40  # home, menu, village, 6 scenes, 13 stands, pictures, scripts, filters
    for link in external:  # partners' sites, phones and e-mails; never a placeholder domain
        assert urlparse(link).scheme in ("https", "http", "tel", "mailto", "data"), link
        assert ".example" not in link, link


def test_real_media_replace_the_demo(module_engine: Engine, parser: EmbeddedParser, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for entry in DATA.iterdir():
        if entry.name not in ("village.yml", "village"):
            (data / entry.name).symlink_to(entry)
    text = (DATA / "village.yml").read_text(encoding="utf-8")
    first = "  - id: bois-l-abbe\n"
    text = text.replace(
        first, first + "    panorama: bois-l-abbe-photo.jpg\n    video: bois-l-abbe-360.mp4\n", 1
    )
    text = text.replace("    demo: true\n", "    demo: false\n", 1)
    (data / "village.yml").write_text(text, encoding="utf-8")
    (data / "village" / "media").mkdir(parents=True)
    photo = data / "village" / "media" / "bois-l-abbe-photo.jpg"
    Image.new("RGB", (4096, 2048), "#336699").save(photo, "JPEG")
    film = data / "village" / "media" / "bois-l-abbe-360.mp4"
    film.write_bytes(b"\x00\x00\x00\x18ftypmp42 a real camera's file")
    settings = channel_settings(data_dir=data, var_dir=tmp_path / "var")
    with running_app(settings, module_engine, parser) as client:
        page = client.get("/village/bois-l-abbe").text
        assert "/village/media/bois-l-abbe-photo.jpg" in page and "pas une photo du quartier" not in page
        assert '"video": "/village/media/bois-l-abbe-360.mp4"' in page and "animation dessinée" not in page
        assert client.get("/village/media/bois-l-abbe-360.mp4").content == film.read_bytes()
        assert client.get("/village/media/bois-l-abbe-photo.jpg").content == photo.read_bytes()
        assert client.get("/village/media/demo-mordacs.jpg").status_code == 200  # drawn when asked for
        assert client.get("/village/media/demo-bois-l-abbe.jpg").status_code == 404  # it has a photo
        assert not (tmp_path / "var" / "village" / "demo-bois-l-abbe.jpg").exists()
    cdn = settings.model_copy(
        update={"village": VillageSettings(media_base_url="https://media.6tcap.fr/village/")}
    )
    with running_app(cdn, module_engine, parser) as client:
        page = client.get("/village/bois-l-abbe").text
        assert '"panorama": "https://media.6tcap.fr/village/bois-l-abbe-photo.jpg"' in page
        assert '"video": "https://media.6tcap.fr/village/bois-l-abbe-360.mp4"' in page
