"""The 360° virtual village (`data/village.yml`): scenes of the priority neighbourhoods, the partners'
stands placed in them, links between scenes, and testimonials. sixtcap serves it at /village; this
module only knows the data and the addresses of its pages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlu.datafile import read_yaml

VILLAGE_PATH = "/village"


@dataclass(frozen=True)
class Hotspot:
    """A place in a scene, in degrees: `yaw` to the right of the start, `pitch` up."""

    target: str  # a partner id (a stand) or a scene id (a way to a neighbouring scene)
    yaw: float
    pitch: float


@dataclass(frozen=True)
class Colours:
    sky: str
    ground: str
    walls: tuple[str, ...]


@dataclass(frozen=True)
class Scene:
    id: str
    quartier: str  # official name (data/territory.yml)
    title: str
    commune: str
    demo: bool  # a drawn panorama, not a photo of the place
    colours: Colours
    stands: tuple[Hotspot, ...]
    links: tuple[Hotspot, ...]
    panorama: str | None = None  # a file of data/village/media/ (or under the media base URL)
    video: str | None = None  # an equirectangular video (MP4), played in the 360° viewer
    demo_video: bool = False  # without `video`: a drawn demo video of the scene

    @property
    def video_file(self) -> str | None:
        """The equirectangular video the viewer can play: the dropped file, or the drawn demo one."""
        if self.video:
            return self.video
        return f"demo-{self.id}.mp4" if self.demo_video else None

    @property
    def drawn_video(self) -> bool:
        """The scene's video is a drawing for the demo, not a film of the place."""
        return self.video is None and self.demo_video

    @property
    def path(self) -> str:
        return f"{VILLAGE_PATH}/{self.id}"

    @property
    def panorama_file(self) -> str:
        """The still image the viewer shows: the dropped file, or the drawn demo one."""
        return self.panorama or f"demo-{self.id}.jpg"


@dataclass(frozen=True)
class Testimonial:
    by: str
    text: str
    demo: bool
    video: str | None = None


@dataclass(frozen=True)
class Village:
    public_url: str
    scenes: tuple[Scene, ...]
    testimonials: dict[str, tuple[Testimonial, ...]]

    @property
    def demo(self) -> bool:
        return any(scene.demo for scene in self.scenes) or any(
            t.demo for items in self.testimonials.values() for t in items
        )

    def scene(self, scene_id: str) -> Scene | None:
        return next((s for s in self.scenes if s.id == scene_id), None)

    def scenes_of(self, quartier: str | None) -> tuple[Scene, ...]:
        return tuple(s for s in self.scenes if s.quartier == quartier)

    def quartiers(self) -> tuple[str, ...]:
        """The neighbourhoods of the village, in the file's order."""
        return tuple(dict.fromkeys(s.quartier for s in self.scenes))

    def scenes_with_stand(self, partner_id: str) -> tuple[Scene, ...]:
        return tuple(s for s in self.scenes if any(h.target == partner_id for h in s.stands))

    def url(self, path: str) -> str:
        return self.public_url + path

    def scene_url(self, scene: Scene) -> str:
        return self.url(scene.path)

    def stand_url(self, partner_id: str) -> str:
        return self.url(stand_path(partner_id))


def short_name(nom: str) -> str:
    """A partner's name for a stand's sign: up to its first bracket, dash or comma."""
    return nom.split(" (")[0].split(" — ")[0].split(",")[0]


def stand_path(partner_id: str) -> str:
    return f"{VILLAGE_PATH}/stands/{partner_id}"


def _hotspots(raw: list[dict[str, Any]] | None, key: str) -> tuple[Hotspot, ...]:
    return tuple(Hotspot(str(h[key]), float(h.get("yaw", 0)), float(h.get("pitch", 0))) for h in raw or ())


def _scene(raw: dict[str, Any]) -> Scene:
    colours = raw.get("colours") or {}
    return Scene(
        id=str(raw["id"]),
        quartier=str(raw["quartier"]),
        title=str(raw["title"]),
        commune=str(raw["commune"]),
        demo=bool(raw.get("demo", False)),
        colours=Colours(
            str(colours.get("sky", "#8ecae6")),
            str(colours.get("ground", "#5b5f4f")),
            tuple(str(c) for c in colours.get("walls", ["#e07a5f", "#f2cc8f", "#81b29a", "#3d405b"])),
        ),
        stands=_hotspots(raw.get("stands"), "partner"),
        links=_hotspots(raw.get("links"), "scene"),
        panorama=raw.get("panorama"),
        video=raw.get("video"),
        demo_video=bool(raw.get("demo_video", False)),
    )


def load_village(path: Path, public_url: str = "http://127.0.0.1:8000") -> Village:
    raw = read_yaml(path)
    testimonials = {
        str(partner): tuple(
            Testimonial(str(t["by"]), str(t["text"]).strip(), bool(t.get("demo", False)), t.get("video"))
            for t in items or ()
        )
        for partner, items in (raw.get("testimonials") or {}).items()
    }
    scenes = tuple(_scene(s) for s in raw["scenes"])
    ids = {s.id for s in scenes}
    for scene in scenes:
        if scene.demo_video and scene.panorama and not scene.video:
            raise ValueError(
                f"{path}: scene {scene.id}: a demo video is drawn from the demo picture, not a photo"
            )
        unknown = [h.target for h in scene.links if h.target not in ids]
        if unknown:
            raise ValueError(f"{path}: scene {scene.id} links to unknown scenes {unknown}")
    return Village(public_url.rstrip("/"), scenes, testimonials)
