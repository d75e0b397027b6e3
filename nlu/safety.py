"""The safety layer: phrases that mean a youth may be in danger, read from `data/safety/` (one file per kind
of danger, written to be reviewed by a listening-point professional). Any match makes the message `crisis`
with its kinds, whatever the classifier or the Rasa server says. Jokes and hyperboles listed in
`harmless.yml` are blanked out first; a laughter marker alone hides nothing.

Patterns run on folded text (no accents, lower case, ' and - as spaces); `{name}` stands for a word group of
`words.yml`. It is tuned for recall: a false alarm costs a warm question, a miss is not acceptable.

Speed: most messages hold no phrase at all, and Python's regular expressions try the ~250 patterns one by
one (half a millisecond a message). Each group of families therefore has a `Screen` first: all its patterns
in one RE2 expression (a DFA, a few microseconds), loosened so that it matches whatever any pattern
matches (word boundaries and lookarounds dropped, which RE2 lacks). Only a text the screen passes is read
by the patterns themselves, so what is found stays exactly what the patterns say. A screen is a few RE2
expressions of about `SCREEN_CHUNK` characters each rather than one: the DFA of one expression of all the
patterns has so many states that each new text builds new ones (0.3 ms a text, the largest cost of a
training) and its memory fills and is thrown away on varied texts; smaller ones reuse their states."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import re2

from nlu.datafile import read_yaml

HARMLESS = "harmless"
FRIEND = "friend"
WORDS_FILE = "words.yml"
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class LexiconError(ValueError):
    """A phrase file that cannot be used: the message names the file and the pattern."""


@dataclass(frozen=True)
class Family:
    kind: str
    name: str
    comment: str
    patterns: tuple[re.Pattern[str], ...]
    examples: tuple[str, ...] = ()
    counter_examples: tuple[str, ...] = ()
    source: str = ""

    def search(self, text: str) -> re.Match[str] | None:
        for pattern in self.patterns:
            match = pattern.search(text)
            if match:
                return match
        return None


LOOKAROUNDS = ("(?!", "(?<!", "(?=", "(?<=")
CLASS_OPENING = re.compile(r"\[\^?\]?")
COUNTED_REPEAT = re.compile(r"\{(?P<least>[0-9]*),[0-9]*\}\??")  # "{0,60}", "{2,}", lazy or not
SCREEN_MEMORY = 32 << 20  # bytes for each expression's DFA; less and it falls back to a slower automaton
SCREEN_CHUNK = 8000  # characters of patterns in one expression of a screen
TEXTS_REMEMBERED = 1 << 16  # texts whose blanked form is kept


def loosened(pattern: str) -> str:
    """`pattern` without word boundaries and lookarounds, and with counted repeats made open ("x{0,60}"
    -> "x*", "x{2,5}" -> "x+"): it matches at least wherever `pattern` does. Open repeats keep the DFA
    small (a counted gap such as ".{0,60}" multiplies its states), so that new texts cost less."""
    out: list[str] = []
    i = 0
    in_class = False  # inside [...], where "{" and "(" are plain characters
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if pattern[i + 1] != "b" or in_class:
                out.append(pattern[i : i + 2])
            i += 2
        elif in_class:
            in_class = char != "]"
            out.append(char)
            i += 1
        elif pattern.startswith(LOOKAROUNDS, i):
            i = _after_group(pattern, i)
        elif (repeat := COUNTED_REPEAT.match(pattern, i)) is not None:
            out.append("*" if repeat["least"] in ("", "0") else "+")
            i = repeat.end()
        elif char == "[":  # "[", "[^", and a "]" right after them is a plain character
            opening = CLASS_OPENING.match(pattern, i)
            assert opening is not None
            out.append(opening.group())
            i = opening.end()
            in_class = True
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _after_group(pattern: str, i: int) -> int:
    """The index after the parenthesis that closes the group opened at `i`."""
    depth = 0
    while True:
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        i += 1
        if depth == 0:
            return i


class Screen:
    """Whether a text may match any of some families' patterns: False means none of them matches; and
    which patterns may match it (those of the expressions it matched)."""

    def __init__(self, families: Iterable[Family]) -> None:
        chunks: list[list[tuple[int, re.Pattern[str]]]] = []
        size = SCREEN_CHUNK
        for index, family in enumerate(families):
            for pattern in family.patterns:
                if size + len(pattern.pattern) > SCREEN_CHUNK:
                    chunks.append([])
                    size = 0
                chunks[-1].append((index, pattern))
                size += len(pattern.pattern)
        options = re2.Options()
        options.max_mem = SCREEN_MEMORY
        try:
            self.expressions: list[Any] | None = [
                re2.compile("|".join(f"(?:{loosened(p.pattern)})" for _, p in chunk), options)
                for chunk in chunks
            ]
        except re2.error:  # a pattern RE2 cannot read: every text goes to the patterns
            self.expressions = None
        self.chunks = chunks
        self.empty = not chunks

    def passes(self, text: str) -> bool:
        if self.empty:
            return False
        return self.expressions is None or any(e.search(text) is not None for e in self.expressions)

    def suspects(self, text: str) -> dict[int, list[re.Pattern[str]]]:
        """Family index -> the family's patterns that may match `text`, in their order (none: no match)."""
        found: dict[int, list[re.Pattern[str]]] = {}
        for i, chunk in enumerate(self.chunks):
            if self.expressions is None or self.expressions[i].search(text) is not None:
                for index, pattern in chunk:
                    found.setdefault(index, []).append(pattern)
        return found


@dataclass(frozen=True)
class Alarm:
    kind: str  # suicide, hopelessness, self_harm, medical, abuse_home, ... (the files of data/safety/)
    start: int  # in the folded, space-collapsed text
    end: int
    family: str = ""


@dataclass(frozen=True)
class Lexicon:
    families: tuple[Family, ...]  # the danger phrases, kind by kind
    harmless: tuple[Family, ...]  # blanked out before looking for danger
    friend: tuple[Family, ...]  # "mon pote": the message may be about someone else
    generic: dict[str, frozenset[str]] = field(default_factory=dict)  # kind -> the kinds that replace it
    screens: dict[str, Screen] = field(default_factory=dict, init=False, compare=False, repr=False)
    # texts already blanked: a message is blanked for the classifiers and again when its alarms are read,
    # and a training reads the same texts for three models (bounded)
    blanked: dict[str, str] = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        groups = {"danger": self.families, "harmless": self.harmless, "friend": self.friend}
        self.screens.update({name: Screen(families) for name, families in groups.items()})

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.kind for f in self.families))

    def blank_harmless(self, text: str) -> str:
        """The text with jokes and hyperboles replaced by spaces (same length: offsets stay right)."""
        known = self.blanked.get(text)
        if known is not None:
            return known
        blanked = text
        if self.screens["harmless"].passes(text):
            for family in self.harmless:
                for pattern in family.patterns:
                    blanked = pattern.sub(lambda m: " " * len(m.group(0)), blanked)
        if len(self.blanked) >= TEXTS_REMEMBERED:
            self.blanked.clear()
        self.blanked[text] = blanked
        return blanked

    def alarms(self, folded: str) -> list[Alarm]:
        """Every kind of danger in the folded text, once each (data/crisis.yml orders them for the reply)."""
        text = self.blank_harmless(" ".join(folded.split()))
        found: dict[str, Alarm] = {}
        for index, patterns in sorted(self.screens["danger"].suspects(text).items()):
            family = self.families[index]
            if family.kind in found:
                continue
            match = next(filter(None, (pattern.search(text) for pattern in patterns)), None)
            if match:
                found[family.kind] = Alarm(family.kind, match.start(), match.end(), family.name)
        for kind, specific in self.generic.items():
            if kind in found and specific & found.keys():
                del found[kind]
        return list(found.values())

    def about_someone_else(self, folded: str) -> bool:
        text = " ".join(folded.split())
        return self.screens["friend"].passes(text) and any(family.search(text) for family in self.friend)

    def explain(self, folded: str) -> dict[str, Any]:
        """What a message raises and why (for reviewers: `sixtcap nlu safety`)."""
        text = " ".join(folded.split())
        blanked = self.blank_harmless(text)
        return {
            "folded": text,
            "blanked": blanked,
            "alarms": [
                {"kind": a.kind, "family": a.family, "phrase": blanked[a.start : a.end]}
                for a in self.alarms(folded)
            ],
            "about_someone_else": self.about_someone_else(folded),
        }


def load_lexicon(folder: Path) -> Lexicon:
    """Read `folder`/*.yml; a broken pattern or an unknown `{word}` is refused with its file and line."""
    words = _word_groups(folder / WORDS_FILE)
    families: list[Family] = []
    harmless: list[Family] = []
    friend: list[Family] = []
    generic: dict[str, frozenset[str]] = {}
    for path in sorted(folder.glob("*.yml")):
        if path.name == WORDS_FILE:
            continue
        raw = read_yaml(path) or {}
        kind = str(raw.get("kind") or path.stem)
        read = [_family(kind, item, words, path) for item in raw.get("families") or ()]
        if kind == HARMLESS:
            harmless += read
        elif kind == FRIEND:
            friend += read
        else:
            families += read
        if raw.get("generic_of"):
            generic[kind] = frozenset(str(k) for k in raw["generic_of"])
    return Lexicon(tuple(families), tuple(harmless), tuple(friend), generic)


def _word_groups(path: Path) -> dict[str, str]:
    raw = read_yaml(path) if path.exists() else {}
    return {str(name): "(?:" + "|".join(str(v) for v in values) + ")" for name, values in (raw or {}).items()}


def _family(kind: str, raw: dict[str, Any], words: dict[str, str], path: Path) -> Family:
    name = str(raw.get("name", ""))
    compiled = []
    for pattern in raw.get("patterns") or ():
        expanded = _expand(str(pattern), words, path)
        try:
            compiled.append(re.compile(expanded))
        except re.error as error:
            raise LexiconError(f"{path.name}: {name}: {pattern!r}: {error}") from error
    return Family(
        kind=kind,
        name=name,
        comment=str(raw.get("comment", "")),
        patterns=tuple(compiled),
        examples=_strings(raw.get("examples")),
        counter_examples=_strings(raw.get("not")),
        source=path.name,
    )


def _expand(pattern: str, words: dict[str, str], path: Path) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in words:
            raise LexiconError(f"{path.name}: {{{name}}} is not a word group of {WORDS_FILE}")
        return words[name]

    return PLACEHOLDER.sub(replace, pattern)


def _strings(values: Iterable[Any] | None) -> tuple[str, ...]:
    return tuple(str(v) for v in values or ())
