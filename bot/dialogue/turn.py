"""What a turn is made of: the message understood (`Turn`), and what the dialogue decides (`Reply`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.messages import Outgoing

INFORM = "inform"  # a message that only answers a question (town, age)
MEDIA = "media"  # a sticker, photo, voice note or edit: something the bot cannot read
FAQ = "faq"  # a question for the knowledge base (nlu/answers.py)
NEED = "need"  # a specific need asked for by button (need:food): its concern, narrowed
BUTTON_INTENTS = {
    "menu": "menu",
    "other": "menu",
    "more": "more",
    "adviser": "ask_human",
    "village": "village",
    "forget:yes": "forget_yes",
    "forget:no": "forget_no",
    "age:skip": "age_skip",
    "town:other": "town_other",
    "crisis:listening": "crisis_listening",
    "crisis:adviser": "crisis_adviser",
    "crisis:later": "crisis_later",
    "crisis:yes": "crisis_yes",
    "crisis:no": "crisis_no",
    "handoff:skip": "handoff_skip",
    "handoff:choose": "handoff_choose",
    "handoff:close": "handoff_close",
    "handoff:close:yes": "handoff_close_yes",
    "handoff:keep": "handoff_keep",
    "faq:adviser": "ask_this",
}

# the intents of buttons with a value (turn_from_button), besides those of BUTTON_INTENTS
VALUE_BUTTON_INTENTS = frozenset({"handoff_partner", "village_scene", "offers", "explore_choice", NEED})


@dataclass(frozen=True)
class Turn:
    """One message, understood."""

    intent: str
    confidence: float = 1.0
    entities: tuple[dict[str, Any], ...] = ()
    ranking: tuple[dict[str, Any], ...] = ()
    text: str = ""
    response_selector: dict[str, Any] | None = None  # which answer a `faq` question asks for

    def values(self, entity: str) -> list[Any]:
        return [e["value"] for e in self.entities if e["entity"] == entity]


def turn_from_parse(parsed: dict[str, Any]) -> Turn:
    return Turn(
        intent=parsed["intent"]["name"],
        confidence=float(parsed["intent"]["confidence"]),
        entities=tuple(parsed["entities"]),
        ranking=tuple(parsed.get("intent_ranking", [])),
        text=parsed.get("text", ""),
        response_selector=parsed.get("response_selector"),
    )


def turn_from_button(payload: str) -> Turn:
    """Button payloads: concern:job, need:food, town:<commune>, age:18-25, intent:<name>, village:<scene>,
    explore:<choice>, and BUTTON_INTENTS."""
    kind, _, value = payload.partition(":")
    if payload in BUTTON_INTENTS:
        return Turn(BUTTON_INTENTS[payload])
    if kind in ("concern", "intent") and value:
        return Turn(value)
    if kind == "answer" and value:  # an answer of data/answers/, as if asked for surely
        response = {"intent_response_key": f"{FAQ}/{value}", "confidence": 1.0}
        return Turn(FAQ, response_selector={FAQ: {"response": response}})
    if kind == "need" and value:  # a specific need (data/routing.yml): its concern, narrowed
        return Turn(NEED, entities=({"entity": "need", "value": value},))
    if payload.startswith("handoff:partner:"):
        return Turn("handoff_partner", entities=({"entity": "partner", "value": payload.split(":", 2)[2]},))
    if kind == "village" and value:
        return Turn("village_scene", entities=({"entity": "scene", "value": value},))
    if kind == "offers" and value:  # the offers' buttons (bot/dialogue/offers.py)
        return Turn("offers", entities=({"entity": "offers", "value": value},))
    if kind == "explore" and value:  # explore:with=hands, explore:with=skip, explore:call (explore.py)
        return Turn("explore_choice", entities=({"entity": "choice", "value": value},))
    if kind == "town" and value:
        return Turn(INFORM, entities=({"entity": "commune", "value": value},))
    if kind == "age" and re.fullmatch(r"\d{1,2}-\d{1,2}", value):
        low, high = (int(v) for v in value.split("-"))
        return Turn(INFORM, entities=({"entity": "age_range", "value": [low, high]},))
    return Turn("nlu_fallback", confidence=0.0)


@dataclass(frozen=True)
class HandoffRequest:
    """Put the youth in touch with partner staff (the brain opens the handoff and notifies)."""

    partner_id: str
    question: str | None
    urgent: bool
    concern: str | None
    crisis_kind: str | None = None  # what staff see on an urgent question (a label of data/crisis.yml)


@dataclass
class Reply:
    messages: list[Outgoing] = field(default_factory=list)
    erase: bool = False  # the youth confirmed "oublie-moi": delete everything about them
    open_handoff: HandoffRequest | None = None
    thread: bool = False  # the youth's message joins their open handoff
    close_handoff: bool = False  # the youth confirmed it is settled
    escalate: str | None = None  # a danger while a question is open: make it urgent, with this kind
    follow_up: str | None = None  # schedule, cancel, declined, or the youth's answer (bot/followups.py)
