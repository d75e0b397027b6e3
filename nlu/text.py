"""Text normalisation for matching: lower case, no accents, no invisible characters, with a map back to
the original positions so that entities point at what the youth typed."""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS = "-'’/_"
_INVISIBLE = {"Cf", "Cc", "Co", "Cs", "Cn"}  # format (zero-width...), control, private, surrogate, unassigned
WORD = re.compile(r"[a-z0-9]+")


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """('Saint-Mandé!', ...) -> ('saint mande ', [0, 1, ...]): offsets[i] is where folded char i came
    from in `text`. Separators and invisible characters become spaces; the rest is case-folded and
    stripped of accents."""
    chars: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        if char in _SEPARATORS or char.isspace() or unicodedata.category(char) in _INVISIBLE:
            pieces = " "
        else:
            decomposed = unicodedata.normalize("NFKD", char.casefold())
            pieces = "".join(c for c in decomposed if not unicodedata.combining(c)) or " "
        for piece in pieces:
            chars.append(piece)
            offsets.append(index)
    return "".join(chars), offsets


def fold(text: str) -> str:
    """Lower case, no accents, single spaces: 'Saint-Mandé' -> 'saint mande'."""
    return " ".join(fold_with_offsets(text)[0].split())


def words(folded: str) -> list[str]:
    return WORD.findall(folded)
