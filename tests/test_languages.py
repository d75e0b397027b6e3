"""Languages: every French text has its English twin with the same placeholders, Arabic texts fall back to
French where missing, and a message's language is told from its words."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from bot.texts import load_languages
from nlu.language import detect
from tests.conftest import DATA

DIALOGUE = DATA / "dialogue"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def leaves(node: Any, path: str = "") -> dict[str, Any]:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            out |= leaves(value, f"{path}/{key}")
        return out
    return {path: node}


def test_english_has_every_french_text_with_its_placeholders() -> None:
    french = leaves(yaml.safe_load((DIALOGUE / "fr.yml").read_text(encoding="utf-8")))
    english = leaves(yaml.safe_load((DIALOGUE / "en.yml").read_text(encoding="utf-8")))
    assert set(english) == set(french)
    for key, text in french.items():
        if isinstance(text, str):
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(english[key])), key


def test_arabic_falls_back_to_french() -> None:
    languages = load_languages(DIALOGUE)
    arabic, french = languages["ar"], languages["fr"]
    assert arabic("crisis_intro") != french("crisis_intro")  # translated
    assert arabic("ask_town") == french("ask_town")  # not translated: said in French
    assert arabic.button("crisis_adviser") != french.button("crisis_adviser")
    assert arabic.day_name(5) == french.day_name(5)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("hi i need a job bro", "en"),
        ("help me find a job please", "en"),
        ("أريد عمل", "ar"),
        ("jcherche du taf a champi et je sais pas comment faire", "fr"),
        ("ok", None),
        ("champi", None),
    ],
)
def test_the_language_of_a_message(text: str, language: str | None) -> None:
    assert detect(text) == language
