"""The portal's classic menu (/services): the active services filtered by concern and town, room first,
and the facts a youth compares them by (places left, hours in plain French, cost, ages)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.catalogue.snapshot import ServiceView
from bot.concerns import Concern
from bot.routing import zone_fits
from bot.territory import Commune

DAYS = {"Mo": "lun.", "Tu": "mar.", "We": "mer.", "Th": "jeu.", "Fr": "ven.", "Sa": "sam.", "Su": "dim."}


@dataclass(frozen=True)
class MenuEntry:
    service: ServiceView
    concerns: tuple[Concern, ...]  # the concerns it answers, in the menu's order


def menu(
    services: Iterable[ServiceView],
    concerns: Mapping[str, Concern],
    concern: Concern | None,
    commune: Commune | None,
) -> list[MenuEntry]:
    """The services answering `concern` (all when None) open to youths of `commune` (all when None):
    those with places left first, then unknown, then full; by partner and name within."""
    entries = []
    for service in services:
        answered = tuple(c for c in concerns.values() if c.thematiques & service.thematiques)
        if not answered or (concern is not None and concern not in answered):
            continue
        if commune is not None and not zone_fits(service, commune):
            continue
        entries.append(MenuEntry(service, answered))
    room = {True: 0, None: 1, False: 2}
    return sorted(entries, key=lambda e: (room[e.service.has_room], e.service.partner_nom, e.service.nom))


def hours_in_french(expression: str | None) -> str | None:
    """The catalogue's OSM hours in plain French: 'Mo-Fr 09:00-12:30,13:30-17:30; PH off' ->
    'lun.-ven. 9h-12h30, 13h30-17h30 ; fermé les jours fériés'."""
    if not expression:
        return None
    text = expression.replace("PH off", "fermé les jours fériés").replace("PH", "jours fériés")
    text = re.sub(r"\b(Mo|Tu|We|Th|Fr|Sa|Su)\b", lambda m: DAYS[m.group(1)], text)
    text = re.sub(r"\b0?(\d{1,2}):00\b", r"\1h", text)
    text = re.sub(r"\b0?(\d{1,2}):(\d{2})\b", r"\1h\2", text)
    text = text.replace(",", ", ").replace(";", " ;").replace("off", "fermé")
    return re.sub(r"\s+", " ", text).strip()
