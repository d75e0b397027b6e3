"""Questions about a service the bot has just shown: "c'est où ?", "ya un num ?", "c'est ouvert samedi ?",
"c gratuit ?", "sans rdv ?", "faut ramener quoi ?", "c'est quoi ?". Answered from the catalogue for the
first card, or the one named ("la mission locale") or numbered ("le deuxième"). What the catalogue does not
have is said plainly and offered to an adviser; demo values say they are demo values.

The words that say what is asked live in `data/details.yml`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from bot.cards import clock
from bot.catalogue.hours import opening_status
from bot.catalogue.snapshot import ServiceView
from bot.messages import Button, Outgoing
from bot.routing import nearest
from bot.territory import Point
from bot.texts import Texts
from nlu.datafile import read_yaml
from nlu.text import any_of, fold

KINDS = ("address", "phone", "hours", "cost", "appointment", "documents", "what")
DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
# the lists of words of data/details.yml besides `asks` and `ordinals`
WORD_LISTS = (
    "own_case", "own_words", "general", "one_place", "right_now", "nothing_for_me", "place_only",
    "not_covered",
)  # fmt: skip


@dataclass(frozen=True)
class DetailWords:
    asks: dict[str, re.Pattern[str]]
    ordinals: dict[int, re.Pattern[str]]
    own_case: re.Pattern[str] | None = None  # "il en est où ?", "toujours pas reçu": for an adviser
    own_words: re.Pattern[str] | None = None  # "mon dossier", "ma conseillère": the same, unless...
    general: re.Pattern[str] | None = None  # ... the message asks what something is, or who can help
    one_place: re.Pattern[str] | None = None  # "adresse", "ouvert samedi": the card of one named place
    right_now: re.Pattern[str] | None = None  # "il reste des places ?": what only the place knows today
    nothing_for_me: re.Pattern[str] | None = None  # "y a rien pour moi ?" after the results: other options
    # how a question on one's own case is built, whatever its words: "ma css a été refusée", "mon X est
    # bloqué", "combien exactement je vais toucher"
    own_case_shapes: tuple[re.Pattern[str], ...] = ()
    place_only: re.Pattern[str] | None = None  # "à quel étage ?", "fermé en août ?": one place, named or not
    hours_said: frozenset[str] = frozenset()  # answers that say their hours (the 115: 24h/24)
    not_covered: re.Pattern[str] | None = None  # "le bafa", "le smic": what the base has no answer for

    def about_own_case(self, folded: str, strictly: bool = False) -> bool:
        """ "mon dossier cej il en est où ?", "mon allocation est pas arrivée": the youth's own file
        (`strictly`: only by what is said of it, not by "mon dossier" alone)."""
        if _finds(self.own_case, folded) or any(shape.search(folded) for shape in self.own_case_shapes):
            return True
        return not strictly and _finds(self.own_words, folded) and not _finds(self.general, folded)

    def uncovered(self, folded: str) -> bool:
        """ "le bafa c financé par qui ?": a question on what the knowledge base has no answer for."""
        return _finds(self.not_covered, folded)

    def asks_for_more(self, folded: str) -> bool:
        return _finds(self.nothing_for_me, folded)

    def about_one_place(self, folded: str, named: bool, answer_id: str | None = None) -> bool:
        """ "la mission locale de champi elle ouvre à quelle heure ?": the hours, address or phone of one
        named place, what only a place knows today (places left), or what only one place can say, named
        or not ("c'est à quel étage ?", "fermé en août ?"), which no general answer gives (unless
        `answer_id`, the answer selected, says its hours)."""
        if _finds(self.right_now, folded) or (named and _finds(self.one_place, folded)):
            return True
        return answer_id not in self.hours_said and _finds(self.place_only, folded)

    def asked(self, folded: str) -> str | None:
        """The detail a message asks for, if any (in the order of KINDS)."""
        return next((kind for kind in KINDS if kind in self.asks and self.asks[kind].search(folded)), None)

    def card(self, folded: str, shown: list[ServiceView]) -> ServiceView:
        """The card named by its number or its partner's name; else the first."""
        for number, pattern in self.ordinals.items():
            if pattern.search(folded) and number <= len(shown):
                return shown[number - 1]
        words = set(folded.split())
        for service in shown:
            names = {w for w in fold(f"{service.partner_nom} {service.nom}").split() if len(w) > 3}
            if names & words:
                return service
        return shown[0]


def _finds(pattern: re.Pattern[str] | None, folded: str) -> bool:
    return pattern is not None and pattern.search(folded) is not None


def load_detail_words(path: Path) -> DetailWords:
    raw = read_yaml(path)
    return DetailWords(
        asks={str(k): any_of(v) for k, v in raw["asks"].items()},
        ordinals={int(k): any_of(v) for k, v in raw["ordinals"].items()},
        **{name: any_of(raw[name]) if raw.get(name) else None for name in WORD_LISTS},
        own_case_shapes=tuple(re.compile(shape) for shape in raw.get("own_case_shapes") or ()),
        hours_said=frozenset(str(a) for a in raw.get("hours_said") or ()),
    )


def answer_detail(
    kind: str,
    service: ServiceView,
    folded: str,
    now: datetime,
    zone: ZoneInfo,
    texts: Texts,
    point: Point | None = None,
) -> Outgoing:
    """One bubble answering `kind` for `service` (its place nearest to `point`, the one its card showed),
    with the buttons that act on it."""
    name = service.partner_nom
    actions: list[Button] = []
    demo = service.is_demo
    if kind == "address":
        place, _ = nearest(service, point)
        if place is None:
            text = texts("detail_no_address", partner=name)
        elif place.adresse:
            # A sourced street address is said even when the catalogue has no point for it (the location
            # then sits at its commune's point): the map searches the address instead of pinning that point.
            address = f"{place.adresse}, {place.code_postal or ''} {place.commune}".replace("  ", " ")
            text = texts("detail_address", partner=name, address=address)
            if place.approximate:
                url = address_search_link(address)
            else:
                url = map_link(place.latitude, place.longitude)
            actions.append(Button(texts.button("map"), url=url))
        else:
            text = texts("detail_approximate_address", partner=name, commune=place.commune)
    elif kind == "phone":
        if service.telephone:
            text = texts("detail_phone", partner=name, phone=service.telephone)
            actions.append(
                Button(texts.button("call"), url="tel:" + re.sub(r"[^0-9+]", "", service.telephone))
            )
            demo = demo or "telephone" in service.demo_fields
        elif service.courriel:
            text = texts("detail_email", partner=name, email=service.courriel)
        else:
            text = texts("detail_no_phone", partner=name)
    elif kind == "hours":
        text = _hours(service, folded, now, zone, texts)
        demo = demo or "horaires_accueil" in service.demo_fields
    elif kind == "cost":
        key = "detail_free" if service.frais == "gratuit" else "detail_paid"
        text = texts(key, partner=name, details=service.frais_precisions or "")
    elif kind == "appointment":
        text = _appointment(service, texts)
    elif kind == "documents":
        needed = "; ".join([*service.justificatifs, *service.pre_requis]) or service.conditions_acces
        text = (
            texts("detail_documents", partner=name, documents=needed)
            if needed
            else texts("detail_no_documents", partner=name)
        )
    else:
        text = service.description or texts("detail_no_description", partner=name)
    if demo:
        text = f"{text} ({texts.card('demo')})"
    return Outgoing(text.strip(), buttons=tuple(actions))


def map_link(latitude: float, longitude: float) -> str:
    return f"https://www.openstreetmap.org/?mlat={latitude}&mlon={longitude}#map=17/{latitude}/{longitude}"


def address_search_link(address: str) -> str:
    return "https://www.openstreetmap.org/search?query=" + quote_plus(address)


def _hours(service: ServiceView, folded: str, now: datetime, zone: ZoneInfo, texts: Texts) -> str:
    if not service.hours:
        return texts("detail_no_hours", partner=service.partner_nom)
    local = now.astimezone(zone)
    asked = next((i for i, day in enumerate(DAYS) if re.search(rf"\b{day}\b", folded)), None)
    if asked is None and re.search(r"\bdemain\b", folded):
        asked = (local.weekday() + 1) % 7
    if asked is None:
        status = opening_status(service.hours, now, zone)
        if status.open_now and status.closes_at:
            return texts(
                "detail_open_now", partner=service.partner_nom, time=clock(status.closes_at.astimezone(zone))
            )
        asked = local.weekday() if status.open_now is not None else None
        if asked is None:
            return texts("detail_no_hours", partner=service.partner_nom)
    days_ahead = (asked - local.weekday()) % 7
    start = (local + timedelta(days=days_ahead)).replace(hour=0, minute=0, second=0, microsecond=0)
    status = opening_status(service.hours, start, zone)
    day = texts.day_name(asked).capitalize()
    if status.open_now:
        return texts("detail_open_all_day", partner=service.partner_nom, day=day)
    if status.next_opening and status.next_opening.astimezone(zone).date() == start.date():
        opening = status.next_opening.astimezone(zone)
        closing = opening_status(service.hours, opening, zone).closes_at
        until = clock(closing.astimezone(zone)) if closing else "?"
        return texts(
            "detail_open_day", partner=service.partner_nom, day=day, time=f"{clock(opening)} à {until}"
        )
    return texts("detail_closed_day", partner=service.partner_nom, day=day)


def _appointment(service: ServiceView, texts: Texts) -> str:
    modes = service.modes_mobilisation
    name = service.partner_nom
    if "se-presenter" in modes:
        return texts("detail_walk_in", partner=name)
    if "telephoner" in modes and service.telephone:
        return texts("detail_call_first", partner=name, phone=service.telephone)
    if "utiliser-lien-mobilisation" in modes and service.lien_mobilisation:
        return texts("detail_book_online", partner=name, url=service.lien_mobilisation)
    if "envoyer-un-courriel" in modes and service.courriel:
        return texts("detail_write_first", partner=name, email=service.courriel)
    return texts("detail_no_appointment_info", partner=name)
