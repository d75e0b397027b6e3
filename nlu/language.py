"""Which language a message is written in: French (the default), English or Arabic. Arabic script is
Arabic; English needs more English than French function words. Short or mixed messages say nothing
(None): the conversation keeps its language."""

from __future__ import annotations

import re

from nlu.text import fold, words

ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f]")
ENGLISH = frozenset(
    """i im you your my me an the is are am was do does dont can could would want wanna need looking
    for with to of and or but what where how when who why please help hi hello hey thanks thank work
    find get have got it this that not no yes yeah just some any there here bro""".split()  # noqa: SIM905
)
FRENCH = frozenset(
    """je j jsuis chui tu il elle on nous vous ils le la les un une des du de au aux et ou mais est c pas
    ne pour avec dans sur qui que quoi comment jveux veux cherche salut bonjour merci oui non mon ma mes
    ton ta tes ca cest trouver faire suis ai jai""".split()  # noqa: SIM905
)


def detect(text: str) -> str | None:
    """'en', 'ar', 'fr', or None when the message does not tell."""
    if ARABIC.search(text or ""):
        return "ar"
    tokens = words(fold(text or ""))
    english = sum(token in ENGLISH for token in tokens)
    french = sum(token in FRENCH for token in tokens)
    if english >= 2 and english > french:
        return "en"
    if french >= 2 and french > english:
        return "fr"
    return None
