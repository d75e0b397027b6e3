"""The conversation's memory: what the bot knows about the youth and where the conversation stands.
Stored as JSON in `conversations.state`."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields
from typing import Any

from nlu.text import fold, words

# Steps: where the conversation stands, i.e. what the bot is waiting for.
NEW = "new"  # never talked
CONCERN = "concern"  # waiting for what worries the youth
TOWN = "town"  # waiting for the town
AGE = "age"  # waiting for the age
RESULTS = "results"  # results shown
FORGET = "forget"  # asked to confirm erasure
CRISIS = "crisis"  # helplines shown, follow-up offered
CRISIS_CHECK = "crisis_check"  # an indirect sign: asked whether the youth thinks of dying or self-harm
HANDOFF_QUESTION = "handoff_question"  # waiting for the question for partner staff
HANDOFF = "handoff"  # a handoff is open: the youth's messages join it
EXPLORE = "explore"  # asking the questions of "jsp koi faire" (bot/dialogue/explore.py)


@dataclass
class State:
    step: str = NEW
    concern: str | None = None
    commune: str | None = None  # official name
    quartier: str | None = None  # official name
    elsewhere: str | None = None  # a town outside sixtcap's territory (data/places.yml)
    age_low: int | None = None
    age_high: int | None = None
    age_skipped: bool = False
    town_unknown: bool = False  # the youth could not give a known town: results without distance
    town_attempts: int = 0
    page: int = 0
    crisis: bool = False  # a crisis happened in this conversation (for the handoff)
    crisis_active: bool = False  # in crisis mode: no menus or services unless the youth asks for them
    crisis_kinds: list[str] = field(default_factory=list)  # kinds of danger seen (data/crisis.yml)
    crisis_lines: list[str] = field(default_factory=list)  # helplines already shown, not repeated
    handoff_id: int | None = None  # the open handoff, if any
    handoff_partner: str | None = None  # the partner chosen for it
    handoff_urgent: bool = False  # urgent questions are closed by staff, never by "merci"
    source: str | None = None  # campaign source of the first contact
    language: str = "fr"  # the language the youth writes in: fr, en or ar (data/dialogue/)
    offered: list[str] = field(default_factory=list)  # button payloads shown, newest last (bot/brain.py)
    labels: dict[str, str] = field(default_factory=dict)  # last reply: button label (folded) -> payload
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ages(self) -> tuple[int, int] | None:
        if self.age_low is None or self.age_high is None:
            return None
        return (self.age_low, self.age_high)

    def set_age(self, low: int, high: int | None = None) -> None:
        self.age_low, self.age_high, self.age_skipped = low, high if high is not None else low, False

    def offer(self, payloads: list[str]) -> None:
        """Remember the buttons just shown: a payload is accepted only once the bot offered it."""
        self.offered = remember_offered(self.offered, payloads)

    def show_buttons(self, buttons: list[tuple[str, str]]) -> None:
        """The last reply's (title, payload) pairs: typing a button's label presses it ("30 km", "Non")."""
        self.labels = {label_key(title): payload for title, payload in buttons if label_key(title)}

    def typed_button(self, text: str | None) -> str | None:
        """The payload of the button of the last reply whose label `text` is, if it is one."""
        return self.labels.get(label_key(text or ""))

    def to_json(self) -> dict[str, Any]:
        """Its fields as JSON data, copied (as `dataclasses.asdict` would, several times faster)."""
        return {name: _copied(getattr(self, name)) for name in _names(type(self))}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> State:
        known = _names(cls)
        # a deep copy: mutating the state must not mutate the stored JSON in place (the change would be lost)
        return cls(**{k: _copied(v) for k, v in (data or {}).items() if k in known})


_FIELDS: dict[type, dict[str, None]] = {}


def _names(cls: type) -> dict[str, None]:
    """The names of a dataclass's fields, in their order (a dict: ordered, and fast to look up)."""
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = dict.fromkeys(f.name for f in fields(cls))
    return names


_SCALARS = (str, int, float, bool, type(None))


def _copied(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars), several times faster than `copy.deepcopy`;
    anything else (a tuple, a set) through `copy.deepcopy`."""
    if isinstance(value, _SCALARS):
        return value
    if type(value) is dict:
        return {key: _copied(item) for key, item in value.items()}
    if type(value) is list:
        return [_copied(item) for item in value]
    return copy.deepcopy(value)


def label_key(text: str) -> str:
    """A label as typed or shown, without case, accents, emojis or punctuation ("Non !" is "non")."""
    return " ".join(words(fold(text)))


OFFERED_KEPT = 60  # payloads remembered per conversation: older buttons still work for a while


def remember_offered(offered: list[str], payloads: list[str]) -> list[str]:
    """`offered` with `payloads` moved to its end (most recent), at most OFFERED_KEPT of them."""
    fresh = [p for p in dict.fromkeys(payloads) if p]
    return ([p for p in offered if p not in fresh] + fresh)[-OFFERED_KEPT:]
