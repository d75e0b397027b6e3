"""Which services fit a youth, and in which order: "where there is room".

Eligible: a thématique of the concern (and not mainly about another concern: its first thématique), the
youth's age within the service's ages, the youth's commune within `zone_eligibilite`, and `publics` that fit a
youth (data/routing.yml). Order: services with places left, then unknown capacity, then full ones; within
each, nearest location first (geodesic distance from the youth's neighbourhood or commune point), then open
now. Remote services are interleaved one for two (as DORA does). Nothing within the first radius: the next
radius is tried.

Services outside the 6Tcap network (data·inclusion imports) come only after the network's, as a second choice,
and only in person within the youth's area (a place and a distance) or at a distance.

A need for a kind of place (a France Travail agency, the CCAS) is said by its network (`reseaux_porteurs`):
every structure of that network fits, shown once (its service that fits the need's thématiques best)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from data_inclusion.schema.v1 import ReseauPorteur
from geopy.distance import geodesic

from bot.catalogue.codes import THEMATIQUES
from bot.catalogue.hours import OpeningStatus, opening_status
from bot.catalogue.nearby import FLAT_ERROR, Around, Near
from bot.catalogue.snapshot import Place, ServiceView
from bot.territory import Commune, Point, Quartier
from nlu.datafile import read_yaml
from nlu.text import any_of


@dataclass(frozen=True)
class SpecificNeed:
    """A need narrower than its concern (to eat, a free STI test, the France Travail agency): when a
    message says it, only these thématiques (or structures of these networks) are searched, so what the
    network lacks comes from outside it."""

    name: str
    concern: str
    thematiques: frozenset[str]
    words: re.Pattern[str]
    phrase: str  # "Pour {phrase}, voilà ce que j'ai trouvé"
    translations: tuple[tuple[str, str], ...] = ()  # (language, phrase)
    reseaux: frozenset[str] = frozenset()  # a kind of place: the structures of these networks
    also: frozenset[str] = frozenset()  # other concerns it is kept with ("m'inscrire": papers too)

    @property
    def place(self) -> bool:
        """A kind of place only (France Travail, the CCAS): a question about it is for the answers."""
        return bool(self.reseaux) and not self.thematiques

    def fits(self, concern: str | None) -> bool:
        """Whether the need goes with the conversation's concern."""
        return concern == self.concern or concern in self.also

    def phrase_in(self, language: str) -> str:
        return next((phrase for lang, phrase in self.translations if lang == language), self.phrase)


@dataclass(frozen=True)
class Rules:
    youth_publics: frozenset[str]
    neighbourhood_publics: frozenset[str]
    radius_km: tuple[float, ...]
    results_per_page: int
    remote_every: int
    main_towns: tuple[str, ...]
    listening_partner: str
    crisis_partners: frozenset[str] = frozenset()  # the partners a youth in danger may put a question to
    restricted_publics: dict[str, re.Pattern[str]] = field(default_factory=dict)  # public -> its words
    preferred_partners: dict[str, frozenset[str]] = field(default_factory=dict)  # concern -> partners
    concern_helplines: dict[str, tuple[str, ...]] = field(default_factory=dict)  # concern -> numbers
    specific_needs: dict[str, SpecificNeed] = field(default_factory=dict)
    answers_when_nothing: dict[str, tuple[str, ...]] = field(default_factory=dict)  # concern -> answer ids

    def specific_need(self, folded: str) -> SpecificNeed | None:
        """The first specific need a message says ("j'ai plus rien pour manger": food), if any."""
        return next((n for n in self.specific_needs.values() if n.words.search(folded)), None)

    def publics_said(self, folded: str) -> frozenset[str]:
        """The restricted publics a message says the youth belongs to ("je suis une fille")."""
        return frozenset(name for name, words in self.restricted_publics.items() if words.search(folded))


def load_rules(path: Path) -> Rules:
    raw = read_yaml(path)
    networks = {r.value for r in ReseauPorteur}
    for name, spec in (raw.get("specific_needs") or {}).items():
        unknown = set(spec.get("thematiques") or ()) - THEMATIQUES
        if unknown:
            raise ValueError(f"{path}: specific need {name}: unknown thématique {sorted(unknown)[0]!r}")
        unknown = set(spec.get("reseaux") or ()) - networks
        if unknown:
            raise ValueError(f"{path}: specific need {name}: unknown network {sorted(unknown)[0]!r}")
        if not spec.get("thematiques") and not spec.get("reseaux"):
            raise ValueError(f"{path}: specific need {name}: give thematiques or reseaux")
    return Rules(
        youth_publics=frozenset(raw["youth_publics"]),
        neighbourhood_publics=frozenset(raw["neighbourhood_publics"]),
        radius_km=tuple(float(r) for r in raw["radius_km"]),
        results_per_page=int(raw["results_per_page"]),
        remote_every=int(raw["remote_every"]),
        main_towns=tuple(raw["main_towns"]),
        listening_partner=str(raw["listening_partner"]),
        crisis_partners=frozenset(str(p) for p in raw.get("crisis_partners") or ()),
        restricted_publics={
            str(name): any_of(words) for name, words in (raw.get("restricted_publics") or {}).items()
        },
        preferred_partners={
            str(c): frozenset(str(p) for p in ps) for c, ps in (raw.get("preferred_partners") or {}).items()
        },
        concern_helplines={
            str(c): tuple(str(n) for n in ns) for c, ns in (raw.get("concern_helplines") or {}).items()
        },
        answers_when_nothing={
            str(c): tuple(str(a) for a in ids) for c, ids in (raw.get("answers_when_nothing") or {}).items()
        },
        specific_needs={
            str(name): SpecificNeed(
                str(name),
                str(spec["concern"]),
                frozenset(spec.get("thematiques") or ()),
                any_of(spec["words"]),
                str(spec["phrase"]),
                tuple((str(lang), str(p)) for lang, p in (spec.get("translations") or {}).items()),
                frozenset(str(r) for r in spec.get("reseaux") or ()),
                frozenset(str(c) for c in spec.get("also") or ()),
            )
            for name, spec in (raw.get("specific_needs") or {}).items()
        },
    )


@dataclass(frozen=True)
class Need:
    """What routing knows of the youth."""

    thematiques: frozenset[str]
    commune: Commune | None = None
    quartier: Quartier | None = None
    ages: tuple[int, int] | None = None  # an exact age is (a, a)
    point: Point | None = None
    publics: frozenset[str] = frozenset()  # restricted publics the youth said they belong to
    preferred: frozenset[str] = frozenset()  # partners that come first for this concern
    # Thématiques of the other concerns: a service mainly about one of them is not shown for this concern
    # (a sport programme that also builds confidence is not "someone to talk to").
    elsewhere: frozenset[str] = frozenset()
    reseaux: frozenset[str] = frozenset()  # a kind of place: any structure of these networks fits


@dataclass(frozen=True)
class Match:
    service: ServiceView
    place: Place | None  # the nearest location, if any
    distance_km: float | None
    status: OpeningStatus

    @property
    def remote_only(self) -> bool:
        return self.service.remote and not self.service.in_person


@dataclass(frozen=True)
class Results:
    matches: tuple[Match, ...] = field(default_factory=tuple)
    radius_km: float | None = None
    widened: bool = False


def ages_fit(service: ServiceView, ages: tuple[int, int] | None) -> bool:
    if ages is None:
        return True
    low, high = ages
    return low <= (service.age_max if service.age_max is not None else 200) and high >= (service.age_min or 0)


def zone_fits(service: ServiceView, commune: Commune | None) -> bool:
    if commune is None or not service.zone:
        return True  # town unknown: shown, the card says where the service is; no zone: no restriction
    return any(code in ("france", commune.insee, commune.department) for code in service.zone)


def publics_fit(service: ServiceView, need: Need, rules: Rules) -> bool:
    """A service for a specific public (young women, people learning French) only for those who said
    they belong to it; otherwise one for youths, or for the youth's priority neighbourhood."""
    restricted = service.publics & rules.restricted_publics.keys()
    if restricted:
        return bool(restricted & need.publics)
    if service.publics & rules.youth_publics:
        return True
    return need.quartier is not None and bool(service.publics & rules.neighbourhood_publics)


def about_the_need(service: ServiceView, need: Need) -> bool:
    """The service shares a thématique with the need and is not mainly about another concern, or its
    structure belongs to the network the need names (a France Travail agency)."""
    if service.reseaux & need.reseaux:
        return True
    return bool(service.thematiques & need.thematiques) and service.main_thematique not in need.elsewhere


def eligible(service: ServiceView, need: Need, rules: Rules) -> bool:
    return (
        about_the_need(service, need)
        and ages_fit(service, need.ages)
        and zone_fits(service, need.commune)
        and publics_fit(service, need, rules)
    )


@lru_cache(maxsize=65536)
def kilometres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic distance (WGS84); places and youths' points are few, so it is cached."""
    return float(geodesic((lat1, lon1), (lat2, lon2)).km)


def nearest(service: ServiceView, point: Point | None) -> tuple[Place | None, float | None]:
    if not service.places:
        return None, None
    if point is None:
        return service.places[0], None
    measured = [
        (kilometres(point.latitude, point.longitude, p.latitude, p.longitude), p) for p in service.places
    ]
    distance, place = min(measured, key=lambda pair: pair[0])
    return place, distance


_ROOM_RANK = {True: 0, None: 1, False: 2}


def order_key(match: Match, preferred: frozenset[str] = frozenset()) -> tuple[int, int, float, int]:
    """The concern's preferred partners first, then room, then distance, then open now."""
    distance = match.distance_km if match.distance_km is not None else math.inf
    first = 0 if match.service.partner_id in preferred else 1
    return (first, _ROOM_RANK[match.service.has_room], distance, _ROOM_RANK[match.status.open_now])


def interleave(in_person: Sequence[Match], remote: Sequence[Match], every: int) -> list[Match]:
    """Two in-person results, then one remote, and so on (every=3); leftovers at the end."""
    merged: list[Match] = []
    people, distant = list(in_person), list(remote)
    while people or distant:
        for _ in range(every - 1):
            if people:
                merged.append(people.pop(0))
        if distant:
            merged.append(distant.pop(0))
        if not distant:
            merged += people
            people = []
    return merged


# the services with a place near the youth, in routing's order, from the database (bot/catalogue/nearby.py)
Nearby = Callable[[Around], list[Near]]
SLACK = 4  # rows read beyond those needed: a few services that do not fit, or tie at the last place


@dataclass(frozen=True)
class _Index:
    """What routing needs of a catalogue beyond its services, computed once per catalogue."""

    by_id: dict[str, ServiceView]
    position: dict[str, int]  # the catalogue's order: ties keep it
    always: tuple[ServiceView, ...]  # without a place (no distance), or at a distance only: every radius
    outside: bool  # any service outside the network


_indexes: dict[int, tuple[Sequence[ServiceView], _Index]] = {}


def _index(services: Sequence[ServiceView]) -> _Index:
    """The catalogue's index, kept while the cache hands out the same tuple (bot/catalogue/snapshot.py)."""
    kept = _indexes.get(id(services))
    if kept is not None and kept[0] is services:
        return kept[1]
    index = _Index(
        {s.id: s for s in services},
        {s.id: n for n, s in enumerate(services)},
        tuple(s for s in services if not s.places or (s.remote and not s.in_person)),
        any(s.outside_network for s in services),
    )
    _indexes.clear()  # one catalogue at a time
    _indexes[id(services)] = (services, index)
    return index


def find_services(
    services: Iterable[ServiceView],
    need: Need,
    rules: Rules,
    now: datetime,
    zone: ZoneInfo,
    nearby: Nearby | None = None,
    limit: int | None = None,
) -> Results:
    """The network's eligible services in order, within the smallest radius that gives any; then those
    outside the network, the same way; the first `limit` of them (all without). With `nearby` (the
    database) and the youth's point, the database orders the services with a place and only the first
    few are measured (`_Nearest`), not every service near the youth: the same results."""
    if need.reseaux:  # a kind of place is found by its network, which the database's prefilter does not read
        nearby = None
    if nearby is not None and need.point is not None:
        catalogue = services if isinstance(services, tuple) else tuple(services)
        return _Nearest(catalogue, need, rules, now, zone, nearby).results(limit)
    pool = [m for m in (_match(s, need, rules, now, zone) for s in services) if m is not None]

    def side(outside: bool) -> list[Match]:
        found = [m for m in pool if m.service.outside_network == outside]
        return _once_per_structure(found, need) if need.reseaux else found  # a kind of place: once each

    first = _within_radius(lambda _radius: side(outside=False), need, rules)
    second = _within_radius(lambda _radius: side(outside=True), need, rules)
    if not first.matches:
        return _first(second, limit)
    return _first(Results(first.matches + second.matches, first.radius_km, first.widened), limit)


def _first(results: Results, limit: int | None) -> Results:
    return results if limit is None else Results(results.matches[:limit], results.radius_km, results.widened)


class _Nearest:
    """Routing with the database's order (bot/catalogue/nearby.py): for each radius, the first services
    with a place, by preferred partner, capacity and flat distance; each read is measured (geodesic
    distance, open now) and ordered exactly as `find_services` orders the whole catalogue. A service read
    is surely in its final place when the services not read cannot come before it: those of a group read
    whole, and those nearer than what was not read by more than the flat distance's error. When fewer
    than needed are sure (many read do not fit the youth), the database is asked for more."""

    def __init__(
        self,
        catalogue: tuple[ServiceView, ...],
        need: Need,
        rules: Rules,
        now: datetime,
        zone: ZoneInfo,
        nearby: Nearby,
    ) -> None:
        self.index = _index(catalogue)
        self.need, self.rules, self.now, self.zone, self.nearby = need, rules, now, zone, nearby
        self.made: dict[str, Match | None] = {}

    def match(self, service: ServiceView) -> Match | None:
        if service.id not in self.made:
            self.made[service.id] = _match(service, self.need, self.rules, self.now, self.zone)
        return self.made[service.id]

    def key(self, match: Match) -> tuple[int, int, float, int, int]:
        """`order_key`, ties in the catalogue's order (as a stable sort of the catalogue gives)."""
        return (*order_key(match, self.need.preferred), self.index.position[match.service.id])

    def results(self, limit: int | None) -> Results:
        wanted = limit if limit is not None else len(self.index.by_id)
        first = self.side(False, wanted)
        if len(first.matches) >= wanted or not self.index.outside:
            return first
        second = self.side(True, wanted - len(first.matches))
        if not first.matches:
            return second
        return Results(first.matches + second.matches, first.radius_km, first.widened)

    def side(self, outside: bool, wanted: int) -> Results:
        """As `_within_radius`, for the network's services or those outside it, the first `wanted`."""
        if wanted <= 0:
            return Results()
        always = [m for m in map(self.match, self.index.always) if m and m.service.outside_network == outside]
        remote = sorted((m for m in always if m.remote_only), key=self.key)
        unplaced = [m for m in always if not m.remote_only]  # no place, no distance: within every radius
        last = len(self.rules.radius_km) - 1
        for index, radius in enumerate(self.rules.radius_km):
            located, complete = self.located(radius, outside, wanted)
            within = sorted(located + unplaced, key=self.key)
            if not complete and located:  # what follows the last sure service may not be in its place
                within = [m for m in within if self.key(m) <= self.key(located[-1])]
            if within or index == last:
                ordered = interleave(within, remote, self.rules.remote_every)[:wanted]
                if ordered:
                    return Results(tuple(ordered), radius, widened=index > 0 and bool(within))
        return Results()

    def located(self, radius: float, outside: bool, wanted: int) -> tuple[list[Match], bool]:
        """The services with a place within `radius` that are surely the first (at least `wanted` of
        them, unless there are fewer), in order, and whether they are all there are."""
        need, read = self.need, wanted + SLACK
        while True:
            around = Around(
                need.point,  # type: ignore[arg-type]  # _Nearest is made for a youth's point only
                radius / (1 - FLAT_ERROR),  # every service within the radius, whatever the error
                need.thematiques,
                outside,
                need.preferred,
                need.ages,
                read,
            )
            rows = self.nearby(around)
            complete = len(rows) < read
            group, bound = (rows[-1].group, rows[-1].km * (1 - FLAT_ERROR)) if rows else (0, 0.0)
            sure = []
            for row in rows:
                service = self.index.by_id.get(row.service_id)
                found = self.match(service) if service is not None else None
                if found is None or found.remote_only or found.service.outside_network != outside:
                    continue
                if found.distance_km is None or found.distance_km > radius:
                    continue
                if complete or row.group < group or found.distance_km < bound:
                    sure.append(found)
            if complete or len(sure) >= wanted:
                return sorted(sure, key=self.key), complete
            read *= 4


def _once_per_structure(candidates: list[Match], need: Need) -> list[Match]:
    """One match per structure: its service that fits the need's thématiques, else its first one."""
    chosen: dict[str, Match] = {}
    for match in candidates:
        kept = chosen.get(match.service.partner_id)
        if kept is None or (
            not kept.service.thematiques & need.thematiques and match.service.thematiques & need.thematiques
        ):
            chosen[match.service.partner_id] = match
    return list(chosen.values())


def _match(service: ServiceView, need: Need, rules: Rules, now: datetime, zone: ZoneInfo) -> Match | None:
    """The service measured for the youth, or None when it does not fit (outside the network: within a
    known area only)."""
    if not eligible(service, need, rules):
        return None
    place, distance = nearest(service, need.point)
    found = Match(service, place, distance, opening_status(service.hours, now, zone))
    if service.outside_network and distance is None and not found.remote_only:
        return None
    return found


def _within_radius(candidates: Callable[[float], list[Match]], need: Need, rules: Rules) -> Results:
    def key(match: Match) -> tuple[int, int, float, int]:
        return order_key(match, need.preferred)

    last = len(rules.radius_km) - 1
    for index, radius in enumerate(rules.radius_km):
        pool = candidates(radius)
        remote = sorted((m for m in pool if m.remote_only), key=key)
        within = [m for m in pool if not m.remote_only and (m.distance_km is None or m.distance_km <= radius)]
        if within or index == last:
            ordered = interleave(sorted(within, key=key), remote, rules.remote_every)
            if ordered:
                return Results(tuple(ordered), radius, widened=index > 0 and bool(within))
    return Results()
