"""Text normalisation for matching: lower case, no accents, no invisible characters, with a map back to
the original positions so that entities point at what the youth typed."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_SEPARATORS = "-'’/_"
_INVISIBLE = {"Cf", "Cc", "Co", "Cs", "Cn"}  # format (zero-width...), control, private, surrogate, unassigned
# words: Latin letters and digits after folding, and Arabic letters (youths write in Arabic script too)
WORD = re.compile(r"[a-z0-9\u0620-\u064a\u066e-\u06d3]+")


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """('Saint-Mandé!', ...) -> ('saint mande ', [0, 1, ...]): offsets[i] is where folded char i came
    from in `text`. Separators and invisible characters become spaces; the rest is case-folded and
    stripped of accents."""
    folded = text.translate(FOLDED)
    if len(folded) == len(text):  # the usual case: each character folds to one
        return folded, list(range(len(text)))
    offsets: list[int] = []
    for index, char in enumerate(text):
        offsets.extend([index] * len(FOLDED[ord(char)]))
    return folded, offsets


def _folded(char: str) -> str:
    """What one character folds to (one or more characters, a space for separators and invisible ones)."""
    if char in _SEPARATORS or char.isspace() or unicodedata.category(char) in _INVISIBLE:
        return " "
    decomposed = unicodedata.normalize("NFKD", char.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)) or " "


class _Folding(dict[int, str]):
    """Code point -> what it folds to, for `str.translate` (one pass in C); each character is worked out
    once, and at most `CHARACTERS_REMEMBERED` are kept."""

    def __missing__(self, point: int) -> str:
        folded = _folded(chr(point))
        if len(self) < CHARACTERS_REMEMBERED:
            self[point] = folded
        return folded


CHARACTERS_REMEMBERED = 1 << 14
FOLDED = _Folding()


def fold(text: str) -> str:
    """Lower case, no accents, single spaces: 'Saint-Mandé' -> 'saint mande'."""
    return " ".join(text.translate(FOLDED).split())


def words(folded: str) -> list[str]:
    return WORD.findall(folded)


def any_of(phrases: Iterable[str]) -> re.Pattern[str]:
    """A pattern finding any of `phrases` as whole words in folded text ("je suis une fille")."""
    return re.compile(r"\b(?:" + "|".join(re.escape(fold(p)) for p in phrases) + r")\b")
