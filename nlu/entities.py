"""Entity extraction: `commune` and `quartier` of sixtcap's territory from a gazetteer (official names,
aliases, postcodes, typos at one edit), `elsewhere` for a place outside it (every commune of Île-de-France,
Paris's arrondissements, big cities: exact names, aliases and postcodes only), `age` from how youths write
it ("19ans", "jai 17a", "dix-neuf ans", "vingt piges")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlu.datafile import read_yaml
from nlu.text import fold, fold_with_offsets

EXTRACTOR = "SixtcapEntityExtractor"
MAX_WINDOW = 5  # words in the longest alias ("la varenne saint hilaire")
FUZZY_MIN_LENGTH = 7  # shorter words must match exactly ("montre" is not "Montry")
WORDS_REMEMBERED = 1 << 16

NUMBER_WORDS = {
    "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16, "dix sept": 17, "dix huit": 18,
    "dix neuf": 19, "vingt": 20, "vingt et un": 21, "vingt deux": 22, "vingt trois": 23, "vingt quatre": 24,
    "vingt cinq": 25, "vingt six": 26, "vingt sept": 27, "vingt huit": 28, "vingt neuf": 29, "trente": 30,
}  # fmt: skip
_NUMBER = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
AGE_PATTERNS = (
    # "19 ans", "19ans", "17a", "18 ans le mois dernier"
    re.compile(rf"\b(?P<age>[1-9][0-9]|{_NUMBER})\s*(?:ans?|a(?!\s*[0-9])|piges?|balais)\b"),
    # "j'ai 19", "jai 19", "g 19", "age 19", and in English "i'm 19", "im 19", "i am 19", "aged 19"
    re.compile(
        r"\b(?:j\s?ai|jai|g|age|agee?|i\s?m|i am|aged)\s+(?P<age>[1-9][0-9])\b"
        r"(?!\s*(?:euros?|e|km|h|min|au|a|sur|points?|pts|eme|k|eur|dollars?|percent|pounds?)\b)"
    ),
    # "19 years old", "19yo", "19 y o", "19 yrs"
    re.compile(r"\b(?P<age>[1-9][0-9])\s*(?:years?\s+old|yrs?(?:\s+old)?|y\s?o)\b"),
)
AGE_HINT = re.compile(rf"[0-9]|{_NUMBER}")  # what every age pattern needs: most texts have neither
TOKEN = re.compile(r"[a-z0-9]+")
# "les 18 ans", "moins de 26 ans", "après mes 18 ans", "16-25 ans": an age limit or a birthday, not the
# youth's age ("un jeune de 17 ans" is one)
NOT_AN_AGE_BEFORE = re.compile(
    r"(?:\b(?:les|des|mes|tes|ses|aux|pour|ces|nos|vos|leurs|entre|et|plus de|moins de|partir de|"
    r"limite de|max|maximum|minimum|under|over)|[0-9]\s*(?:a|-|/)?)\s*$"
)
AGE_RANGE = range(10, 100)


@dataclass(frozen=True)
class Place:
    entity: str  # "commune", "quartier" or "elsewhere"
    value: str  # official name
    commune: str  # the commune it implies


@dataclass
class Gazetteer:
    """Folded alias -> place, and one-deletion keys for typo matching of long single words."""

    places: dict[str, Place] = field(default_factory=dict)
    deletions: dict[str, set[str]] = field(default_factory=dict)
    first_words: set[str] = field(default_factory=set)  # first words of the aliases of several words
    # single words already looked up, typos included (a youth's words come back; bounded)
    remembered: dict[str, Place | None] = field(default_factory=dict, repr=False)

    def add(self, alias: str, place: Place, fuzzy: bool = True) -> None:
        key = fold(alias)
        if not key:
            return
        self.places.setdefault(key, place)
        self.remembered.clear()
        if " " in key:
            self.first_words.add(key.split(" ", 1)[0])
        if fuzzy and " " not in key and len(key) >= FUZZY_MIN_LENGTH and not key.isdigit():
            for variant in _deletions(key) | {key}:
                self.deletions.setdefault(variant, set()).add(key)

    def word(self, word: str) -> Place | None:
        """The place a single word names, exactly or with a typo."""
        if word in self.remembered:
            return self.remembered[word]
        if len(self.remembered) >= WORDS_REMEMBERED:
            self.remembered.clear()
        place = self.places.get(word) or self.fuzzy(word)
        self.remembered[word] = place
        return place

    def fuzzy(self, word: str) -> Place | None:
        """The place whose single-word alias is one edit away from `word`, if exactly one is."""
        if len(word) < FUZZY_MIN_LENGTH or word.isdigit():
            return None
        candidates: set[str] = set()
        for variant in _deletions(word) | {word}:
            candidates |= self.deletions.get(variant, set())
        matches = {self.places[c] for c in candidates if _one_edit(word, c)}
        return matches.pop() if len(matches) == 1 else None

    def add_elsewhere(self, path: Path) -> None:
        """The places of data/places.yml (outside the territory): exact matches only, after the territory's
        (which win a shared alias); names that are also common words are left out."""
        raw: dict[str, Any] = read_yaml(path) or {}
        for item in raw.get("places") or ():
            place = Place("elsewhere", str(item["name"]), str(item["name"]))
            names = [] if item.get("ambiguous") else [item["name"]]
            for alias in [*names, *(item.get("aliases") or ()), *(item.get("postcodes") or ())]:
                self.add(str(alias), place, fuzzy=False)

    @classmethod
    def from_territory(
        cls, path: Path, synonyms: dict[str, str] | None = None, elsewhere: Path | None = None
    ) -> Gazetteer:
        """Communes and quartiers of data/territory.yml, plus the NLU data's synonyms of their names, then
        the places outside the territory."""
        raw: dict[str, Any] = read_yaml(path)
        gazetteer = cls()
        by_name: dict[str, Place] = {}
        for commune in raw["communes"]:
            place = Place("commune", commune["name"], commune["name"])
            by_name[commune["name"]] = place
            for alias in [commune["name"], *commune.get("aliases", []), *commune.get("postcodes", [])]:
                gazetteer.add(str(alias), place)
        for quartier in raw["quartiers"]:
            place = Place("quartier", quartier["name"], quartier["commune"])
            by_name[quartier["name"]] = place
            for alias in [quartier["name"], *quartier.get("aliases", [])]:
                gazetteer.add(str(alias), place)
        for alias, value in (synonyms or {}).items():
            if value in by_name:
                gazetteer.add(alias, by_name[value])
        if elsewhere is not None and elsewhere.exists():
            gazetteer.add_elsewhere(elsewhere)
        return gazetteer


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    """Levenshtein distance <= 1, or one transposition of neighbours."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _entity(name: str, value: Any, start: int, end: int) -> dict[str, Any]:
    return {"entity": name, "value": value, "start": start, "end": end, "extractor": EXTRACTOR}


def extract(text: str, gazetteer: Gazetteer) -> list[dict[str, Any]]:
    """Entities in Rasa's shape, with `start`/`end` in the original text. A quartier also yields its
    commune (same span)."""
    folded, offsets = fold_with_offsets(text)
    words = TOKEN.findall(folded)
    found: list[dict[str, Any]] = []
    used: set[int] = set()

    def span(first: int, last: int) -> tuple[int, int]:
        """Where words `first` to `last` are in `text` (read only for what is found: most texts, nothing)."""
        tokens = list(TOKEN.finditer(folded))
        return offsets[tokens[first].start()], offsets[tokens[last].end() - 1] + 1

    def take(place: Place, first: int, last: int) -> None:
        used.update(range(first, last + 1))
        start, end = span(first, last)
        found.append(_entity(place.entity, place.value, start, end))
        if place.entity == "quartier":
            found.append(_entity("commune", place.commune, start, end))

    # aliases of several words, the longest first ("villiers sur marne" before "villiers"), from where one
    # may start (most messages: nowhere)
    starts = [i for i, word in enumerate(words) if word in gazetteer.first_words]
    for size in range(MAX_WINDOW, 1, -1):
        for first in starts:
            window = range(first, first + size)
            if first + size <= len(words) and used.isdisjoint(window):
                place = gazetteer.places.get(" ".join(words[first : first + size]))
                if place is not None:
                    take(place, first, first + size - 1)
    for first, word in enumerate(words):  # then single words, typos included
        if first not in used and (place := gazetteer.word(word)) is not None:
            # "fontenai sous boa": the rest of the name, typos included, is the place too
            take(place, first, _rest_of_name(place, words, first, used))
    for pattern in AGE_PATTERNS if AGE_HINT.search(folded) else ():
        for match in pattern.finditer(folded):
            raw = match["age"]
            age = int(raw) if raw.isdigit() else NUMBER_WORDS[raw]
            start, end = offsets[match.start("age")], offsets[match.end("age") - 1] + 1
            if NOT_AN_AGE_BEFORE.search(folded[: match.start("age")]):
                continue
            if age in AGE_RANGE and not any(e["entity"] == "age" for e in found) and _free(found, start):
                found.append(_entity("age", age, start, end))
    return sorted(found, key=lambda e: (e["start"], e["entity"] != "quartier"))


def _rest_of_name(place: Place, words: list[str], first: int, used: set[int]) -> int:
    """The last word of a place named from its first word on: `words[first]` names it ("fontenai") and the
    next words are the rest of its official name, each exactly, with one typo, or a long word with its
    first two letters ("sous boa" for "sous bois"), so that they are not read as other words ("sous":
    money)."""
    name = fold(place.value).split()
    last = first
    if len(name) < 2 or not _one_edit(words[first], name[0]):
        return last
    for expected in name[1:]:
        following = last + 1
        if following >= len(words) or following in used or not _close(words[following], expected):
            break
        last = following
    return last


def _close(word: str, expected: str) -> bool:
    return _one_edit(word, expected) or (
        len(expected) >= 4 and word[:2] == expected[:2] and abs(len(word) - len(expected)) <= 1
    )


def _free(found: list[dict[str, Any]], start: int) -> bool:
    """An age is not inside a place (a postcode such as 94500)."""
    return not any(e["start"] <= start < e["end"] for e in found)
