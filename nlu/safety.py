"""The safety layer: phrases that mean a youth may be in danger, read from `data/safety/` (one file per kind
of danger, written to be reviewed by a listening-point professional). Any match makes the message `crisis`
with its kinds, whatever the classifier or the Rasa server says. Jokes and hyperboles listed in
`harmless.yml` are blanked out first; a laughter marker alone hides nothing.

Patterns run on folded text (no accents, lower case, ' and - as spaces); `{name}` stands for a word group of
`words.yml`. It is tuned for recall: a false alarm costs a warm question, a miss is not acceptable.

Speed: most messages hold no phrase at all, and Python's regular expressions try the ~250 patterns one by
one (half a millisecond a message). Each group of families therefore has a `Screen` first (RE2, in C, a few
microseconds), which reads patterns loosened so that they match whatever the patterns match (word
boundaries and lookarounds dropped, which RE2 lacks). Only the patterns the screen names read the text
themselves, so what is found stays exactly what the patterns say."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import re2

from nlu.datafile import read_yaml

HARMLESS = "harmless"
PARTNER_VIOLENCE = "partner_violence"
PARTNER_WORDS = re.compile(r"(?:mon|ma) (?:copain|copine)")  # a boyfriend or girlfriend, or a friend
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
    # a harmless family with frames blanks its patterns only in a text one of them is in ("un exposé",
    # "dans la série", "à Fortnite"): there, "le suicide" names a topic, not what the youth lives
    frames: tuple[re.Pattern[str], ...] = ()

    def framed(self, text: str) -> bool:
        return not self.frames or any(frame.search(text) for frame in self.frames)

    def finditer(self, text: str) -> list[re.Match[str]]:
        return [m for pattern in self.patterns for m in pattern.finditer(text)]

    def search(self, text: str) -> re.Match[str] | None:
        for pattern in self.patterns:
            match = pattern.search(text)
            if match:
                return match
        return None


LOOKAROUNDS = ("(?!", "(?<!", "(?=", "(?<=")


def loosened(pattern: str) -> str:
    """`pattern` without word boundaries and lookarounds: it matches at least wherever `pattern` does."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith(LOOKAROUNDS, i):
            depth = 0
            while True:  # to the parenthesis closing the lookaround
                char = pattern[i]
                if char == "\\":
                    i += 2
                    continue
                depth += {"(": 1, ")": -1}.get(char, 0)
                i += 1
                if depth == 0:
                    break
        elif pattern[i] == "\\":
            if pattern[i + 1] != "b":
                out.append(pattern[i : i + 2])
            i += 2
        else:
            out.append(pattern[i])
            i += 1
    return "".join(out)


class Screen:
    """Which of some families' patterns may match a text (none: no pattern matches it). RE2's filter
    (`FilteredRE2`) finds the literal words each loosened pattern needs in one pass over the text (an
    automaton of plain words, small and quick on new texts), then runs only the patterns whose words are
    there, each on its own, in C."""

    def __init__(self, families: Iterable[Family]) -> None:
        self.patterns = [
            (index, pattern) for index, family in enumerate(families) for pattern in family.patterns
        ]
        self.filter: Any = None  # None: every text goes to the patterns themselves
        if self.patterns:
            try:
                self.filter = re2.Filter()
                for _, pattern in self.patterns:
                    self.filter.Add(loosened(pattern.pattern))
                self.filter.Compile()
            except re2.error:  # a pattern RE2 cannot read
                self.filter = None

    def matching(self, text: str) -> list[int]:
        """The indices (in `patterns`) of the patterns that may match `text`."""
        if self.filter is None:
            return list(range(len(self.patterns)))
        return self.filter.Match(text) or []

    def passes(self, text: str) -> bool:
        return bool(self.matching(text))

    def suspects(self, text: str) -> dict[int, list[re.Pattern[str]]]:
        """Family index -> the family's patterns that may match `text`, in their order (none: no match)."""
        found: dict[int, list[re.Pattern[str]]] = {}
        for i in self.matching(text):
            index, pattern = self.patterns[i]
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

    def __post_init__(self) -> None:
        groups = {"danger": self.families, "harmless": self.harmless, "friend": self.friend}
        self.screens.update({name: Screen(families) for name, families in groups.items()})

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.kind for f in self.families))

    def blank_harmless(self, text: str) -> str:
        """The text with jokes and hyperboles replaced by spaces (same length: offsets stay right)."""
        original = text
        # only the patterns whose words are in the text, family by family in the file's order (blanking
        # only removes words, so no other pattern can match after an earlier family blanked its part)
        for index, patterns in sorted(self.screens["harmless"].suspects(text).items()):
            if not self.harmless[index].framed(original):
                continue
            for pattern in patterns:
                text = pattern.sub(lambda m: " " * len(m.group(0)), text)
        return text

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

    def about_someone_else(self, folded: str, kinds: Iterable[str] = ()) -> bool:
        """Whether the message tells of a friend's danger. "Mon copain", "ma copine" beside a partner's
        violence is the youth's partner, not a friend to worry about."""
        text = " ".join(folded.split())
        if not self.screens["friend"].passes(text):
            return False
        found = [m for family in self.friend for m in family.finditer(text)]
        if PARTNER_VIOLENCE in kinds:
            found = [m for m in found if not PARTNER_WORDS.fullmatch(m.group(0))]
        return bool(found)

    def explain(self, folded: str) -> dict[str, Any]:
        """What a message raises and why (for reviewers: `sixtcap nlu safety`)."""
        text = " ".join(folded.split())
        blanked = self.blank_harmless(text)
        alarms = self.alarms(folded)
        return {
            "folded": text,
            "blanked": blanked,
            "alarms": [
                {"kind": a.kind, "family": a.family, "phrase": blanked[a.start : a.end]} for a in alarms
            ],
            "about_someone_else": self.about_someone_else(folded, [a.kind for a in alarms]),
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
    return Family(
        kind=kind,
        name=name,
        comment=str(raw.get("comment", "")),
        patterns=_compiled(raw.get("patterns"), name, words, path),
        frames=_compiled(raw.get("frames"), name, words, path),
        examples=_strings(raw.get("examples")),
        counter_examples=_strings(raw.get("not")),
        source=path.name,
    )


def _compiled(
    patterns: Iterable[Any] | None, name: str, words: dict[str, str], path: Path
) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for pattern in patterns or ():
        expanded = _expand(str(pattern), words, path)
        try:
            compiled.append(re.compile(expanded))
        except re.error as error:
            raise LexiconError(f"{path.name}: {name}: {pattern!r}: {error}") from error
    return tuple(compiled)


def _expand(pattern: str, words: dict[str, str], path: Path) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in words:
            raise LexiconError(f"{path.name}: {{{name}}} is not a word group of {WORDS_FILE}")
        return words[name]

    return PLACEHOLDER.sub(replace, pattern)


def _strings(values: Iterable[Any] | None) -> tuple[str, ...]:
    return tuple(str(v) for v in values or ())
