"""The 360° virtual village: scenes of the priority neighbourhoods and the partners' stands
(`data/village.yml`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nlu.datafile import read_yaml


@dataclass(frozen=True)
class Scene:
    quartier: str
    title: str
    url: str


@dataclass(frozen=True)
class Village:
    base_url: str
    scenes: tuple[Scene, ...]
    stands_path: str
    demo: bool

    def stand_url(self, partner_id: str) -> str:
        return self.base_url + self.stands_path.format(partner_id=partner_id)


def load_village(path: Path) -> Village:
    raw = read_yaml(path)
    base = str(raw["base_url"]).rstrip("/")
    scenes = tuple(Scene(str(s["quartier"]), str(s["title"]), base + str(s["path"])) for s in raw["scenes"])
    return Village(base, scenes, str(raw["stands_path"]), bool(raw.get("demo", False)))
