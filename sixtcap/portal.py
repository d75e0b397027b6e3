"""The 6Tcap portal, served by sixtcap: the home page (the menu, the village, the chat), the classic menu
(/services), the 360° village (/village, one page per scene, one stand page per partner) with its media
and viewer files. Server-rendered: every page works without JavaScript; with it, the scenes turn in
Pannellum (from npm, served from node_modules/, never from a CDN), a scene's equirectangular video plays
in the same viewer, and "Pose ta question" opens the chat addressed to the partner."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.brain import Brain
from bot.cards import ages_text, cost_text
from bot.catalogue.snapshot import ServiceView
from bot.config import Settings
from bot.db import session_factory
from bot.menu import hours_in_french, menu
from bot.models import Partner
from bot.texts import Texts
from bot.village import Scene, Village, short_name, stand_path
from sixtcap.village_media import demo_panorama, demo_video, media_dirs
from webhooks.context import channel_context

ROOT = Path(__file__).resolve().parent
PAGES = ROOT / "pages"
STATIC = ROOT / "static"
VIEWER = ROOT.parent / "node_modules" / "pannellum" / "build"  # `make install` runs `npm ci`
VIEWER_FILES = {"pannellum.js": "text/javascript", "pannellum.css": "text/css"}
MEDIA_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.(jpe?g|png|webp|mp4|webm)")
MEDIA_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp",
               "mp4": "video/mp4", "webm": "video/webm"}  # fmt: skip
pages = Environment(
    loader=FileSystemLoader(PAGES), autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True
)
pages.filters["hours"] = hours_in_french

router = APIRouter(include_in_schema=False)
Filter = Annotated[str | None, Query(max_length=100)]


def _brain(request: Request) -> Brain:
    return channel_context(request).running_brain()


def _settings(request: Request) -> Settings:
    return channel_context(request).settings


def _services(brain: Brain) -> tuple[ServiceView, ...]:
    with session_factory(brain.engine)() as session:
        return brain.catalogue.services(session)


def _page(name: str, **values: Any) -> HTMLResponse:
    return HTMLResponse(pages.get_template(name).render(**values))


def not_found(what: str) -> HTMLResponse:
    page = pages.get_template("not_found.html").render(here="", what=what)
    return HTMLResponse(page, status_code=404)


def media_url(settings: Settings, name: str) -> str:
    base = settings.village.media_base_url.rstrip("/")
    return f"{base}/{name}" if base else f"/village/media/{name}"


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    """The portal: the classic menu, the village and the chat."""
    resources = _brain(request).resources
    return _page(
        "portal.html",
        here="home",
        concerns=list(resources.concerns.values()),
        scenes=resources.village.scenes,
    )


@router.get("/services", response_class=HTMLResponse)
def services(request: Request, concern: Filter = None, commune: Filter = None) -> HTMLResponse:
    """The classic menu: every service, filtered by concern and town (a shareable URL)."""
    brain = _brain(request)
    resources = brain.resources
    chosen_concern = resources.concerns.get(concern or "")
    chosen_commune = resources.territory.commune(commune) if commune else None
    entries = menu(_services(brain), resources.concerns, chosen_concern, chosen_commune)
    return _page(
        "services.html",
        here="services",
        entries=entries,
        concerns=list(resources.concerns.values()),
        communes=sorted(resources.territory.communes, key=lambda c: c.name),
        concern=chosen_concern,
        commune=chosen_commune,
        unknown_filter=bool(concern and not chosen_concern) or bool(commune and not chosen_commune),
        stand=stand_path,
        **_facts(resources.texts),
    )


@router.get("/village", response_class=HTMLResponse)
def village(request: Request) -> HTMLResponse:
    """The neighbourhoods and their scenes."""
    brain = _brain(request)
    names = _partner_names(brain)
    the_village = brain.resources.village
    neighbourhoods = [(q, the_village.scenes_of(q)) for q in the_village.quartiers()]
    return _page(
        "village.html",
        here="village",
        village=the_village,
        neighbourhoods=neighbourhoods,
        names=names,
        media=lambda scene: media_url(_settings(request), scene.panorama_file),
        stand=stand_path,
    )


@router.get("/village/stands/{partner_id}", response_class=HTMLResponse)
def stand(request: Request, partner_id: str) -> HTMLResponse:
    """A partner's stand: who they are, their services (places, hours), testimonials, "Pose ta question"."""
    brain = _brain(request)
    with session_factory(brain.engine)() as session:
        partner = _partner(session, partner_id)
        if partner is None:
            return not_found("ce stand")
        services = [s for s in brain.catalogue.services(session) if s.partner_id == partner_id]
        settings = _settings(request)
        the_village = brain.resources.village
        return _page(
            "stand.html",
            here="village",
            partner=partner,
            services=services,
            testimonials=the_village.testimonials.get(partner_id, ()),
            scenes=the_village.scenes_with_stand(partner_id),
            **_facts(brain.resources.texts),
            telegram_bot=settings.telegram.bot_username.lstrip("@"),
            media=lambda name: media_url(settings, name),
        )


@router.get("/village/{scene_id}", response_class=HTMLResponse)
def scene(request: Request, scene_id: str) -> HTMLResponse:
    """One scene: the 360° viewer with its stands and ways, and the same as a plain list."""
    brain = _brain(request)
    the_village = brain.resources.village
    found = the_village.scene(scene_id)
    if found is None:
        return not_found("cette scène")
    names = _partner_names(brain)
    settings = _settings(request)
    return _page(
        "scene.html",
        here="village",
        scene=found,
        village=the_village,
        names=names,
        panorama=media_url(settings, found.panorama_file),
        video=media_url(settings, found.video_file) if found.video_file else None,
        viewer=json.dumps(_viewer_config(found, the_village, names, settings)).replace("<", "\\u003c"),
        stand=stand_path,
    )


@router.get("/village/media/{name}")
def media(request: Request, name: str) -> Response:
    """A scene's photo or video dropped in data/village/media/, or its demo picture (var/village/)."""
    settings = _settings(request)
    if not MEDIA_NAME.fullmatch(name):
        return not_found("ce fichier")
    village = _brain(request).resources.village
    drawn = next((s for s in village.scenes if not s.panorama and s.panorama_file == name), None)
    if drawn is not None:  # a demo picture: drawn the first time it is asked for
        path = demo_panorama(drawn, village, settings.data_dir, settings.var_dir)
        return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "max-age=3600"})
    filmed = next((s for s in village.scenes if s.drawn_video and s.video_file == name), None)
    if filmed is not None:  # a demo video: the same, a few seconds the first time
        path = demo_video(filmed, village, settings.data_dir, settings.var_dir)
        return FileResponse(path, media_type="video/mp4", headers={"Cache-Control": "max-age=3600"})
    for folder in media_dirs(settings.data_dir, settings.var_dir):
        path = folder / name
        if path.is_file():
            media_type = MEDIA_TYPES[name.rsplit(".", 1)[1].lower()]
            return FileResponse(path, media_type=media_type, headers={"Cache-Control": "max-age=3600"})
    return not_found("ce fichier")


@router.get("/village/viewer/{name}")
def viewer_file(name: str) -> Response:
    """Pannellum (node_modules/, pinned by package-lock.json) and the village's own script."""
    if name in VIEWER_FILES and (VIEWER / name).is_file():
        path = VIEWER / name
        media_type = VIEWER_FILES[name]
    elif name == "village.js":
        path, media_type = STATIC / name, "text/javascript"
    else:
        return not_found("ce fichier")
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "max-age=86400"})


def _facts(texts: Texts) -> dict[str, Callable[[ServiceView], str]]:
    """How the pages say a service's cost and ages: as the bot's cards do."""
    return {"cost": lambda s: cost_text(s, texts), "ages": lambda s: ages_text(s, texts) or "tous âges"}


def _partner(session: Session, partner_id: str) -> Partner | None:
    return session.scalar(
        select(Partner)
        .where(Partner.id == partner_id, Partner.active)
        .options(selectinload(Partner.locations))
    )


def _partner_names(brain: Brain) -> dict[str, str]:
    return {s.partner_id: s.partner_nom for s in _services(brain)}


def _viewer_config(
    scene: Scene, village: Village, names: dict[str, str], settings: Settings
) -> dict[str, Any]:
    """What static/village.js gives Pannellum: the picture, the video if any, and the hotspots as links."""
    stands = [
        {
            "yaw": h.yaw,
            "pitch": h.pitch,
            "label": short_name(names[h.target]),
            "url": stand_path(h.target),
            "kind": "stand",
        }
        for h in scene.stands
        if h.target in names
    ]
    ways = []
    for h in scene.links:
        target = village.scene(h.target)
        if target is not None:
            ways.append(
                {
                    "yaw": h.yaw,
                    "pitch": h.pitch,
                    "label": f"Aller à {target.title}",
                    "url": target.path,
                    "kind": "way",
                }
            )
    video = scene.video_file
    return {
        "panorama": media_url(settings, scene.panorama_file),
        "video": media_url(settings, video) if video else None,
        "title": scene.title,
        "hotspots": stands + ways,
    }
