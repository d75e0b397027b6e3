"""The features the intent classifier sees: word unigrams and bigrams and character n-grams of the
folded text, with entity spans replaced by their type (so 'champi' says "a town", not "job")."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from itertools import pairwise
from typing import Any, TypeVar

from nlu.text import fold, words

CHAR_NGRAMS = (2, 3, 4, 5)
T = TypeVar("T")


def mask_entities(text: str, entities: Iterable[Any]) -> str:
    """Replace each entity span by a placeholder word (` xxcommunexx `, ` xxagexx `, ...)."""
    spans = sorted({(e["start"], e["end"], e["entity"]) for e in entities}, reverse=True)
    last_start = len(text) + 1
    for start, end, name in spans:
        if end <= last_start:  # quartier and commune share a span: mask once
            text = f"{text[:start]} xx{name}xx {text[end:]}"
            last_start = start
    return text


def features(text: str) -> list[str]:
    """Word 1-2 grams and character 2-5 grams inside words (padded with spaces)."""
    return composed(text, word_features, list)


def composed(
    text: str, of_word: Callable[[str], Sequence[T]], of_terms: Callable[[list[str]], list[T]]
) -> list[T]:
    """A text's features as `features` lists them, or their ids: each word's through `of_word` (which
    may remember them), the pairs of words' through `of_terms`. The one place they are put together."""
    tokens = words(fold(text))
    out = of_terms(bigrams(tokens))
    for token in tokens:
        out += of_word(token)
    return out


def bigrams(tokens: list[str]) -> list[str]:
    return [f"b:{a} {b}" for a, b in pairwise(tokens)]


@functools.lru_cache(maxsize=1 << 15)
def word_features(token: str) -> tuple[str, ...]:
    """A word's own features: the word and, unless it is a masked entity, its character n-grams padded
    with spaces (remembered: youths use the same words again)."""
    if token.startswith("xx") and token.endswith("xx"):
        return (f"w:{token}",)
    padded = f" {token} "
    grams = (f"c:{padded[i : i + n]}" for n in CHAR_NGRAMS for i in range(len(padded) - n + 1))
    return (f"w:{token}", *grams)
