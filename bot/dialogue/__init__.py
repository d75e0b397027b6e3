"""The conversation, concern first.

A message becomes a `Turn` (an intent with entities, or a pressed button; bot/dialogue/turn.py).
`Dialogue.respond` reads the youth's language, reads a few turns for what they are (a typed yes to a crisis
question, a bare "jsp", a short message naming an aid as its question: "cpf permis", a question on the youth's
own file as one for an adviser, "y a rien pour moi ?" after the results as a request for more), then asks the
handlers of `HANDLERS` in order: the first that answers takes the turn. Each sub-flow is a module of this
package:

| order | handler                | takes the turn when                                                    |
|-------|------------------------|------------------------------------------------------------------------|
| 1     | `safety.danger`        | a danger, at any step: the helplines that fit, nothing before them     |
| 2     | `small_talk.media`     | a sticker, photo or voice note                                         |
| 3     | `small_talk.forget`    | "oublie-moi", its confirmation or cancellation                         |
| 4     | `safety.follow_up`     | a crisis button (check-in yes/no, later, in touch now)                 |
| 5     | `small_talk.restart`   | "menu" or a restart word                                               |
| 6     | `offers.take`          | job and training offers: their buttons and questions, a follow-up's    |
|       |                        | answers, "stop" (otherwise notes the trade said and lets the rest go)   |
| 7     | `answers.while_waiting`| a question the base answers, while a question waits for an adviser     |
| 8     | `handoff.handoff_turn` | a question for staff being asked, or open                              |
| 9     | `safety.about_the_danger` | right after a danger, what is asked or said about it ("jdois payer ?", |
|       |                        | "jai deja les medocs", "c grave ?", "il vient de rentrer", "c pas moi  |
|       |                        | c elle", the parents, not calling, no answer, the language, no credit) |
| 10    | `results.about_shown`  | "c'est où ?", "ya un num ?" about the cards just shown (or the places   |
|       |                        | of the answer just given: "c ouvert samedi ?" after the mission locale) |
| 11    | `safety.listening`     | crisis mode: listening until the youth asks for something              |
| 12    | `explore.explore`      | "jsp koi faire": its questions, three trades, a person to call back    |
| 13    | `concern.take`         | everything else (always answers): the welcome, what the message tells  |
|       |                        | (profile.py), what it asks (`concern.ASKS`), what the concern needs     |
|       |                        | (results.py: the town, the age, then the results)                      |

A new sub-flow is a module with its handler, and a row in `HANDLERS` (or an intent in `concern.ASKS`).
Every text comes from data/dialogue/<language>.yml; the state (bot/state.py) is kept by the caller."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.catalogue.snapshot import ServiceView
from bot.dialogue import answers, concern, explore, handoff, offers, results, safety, small_talk
from bot.dialogue.context import Context, OfferFinder
from bot.dialogue.turn import (
    FAQ,
    INFORM,
    MEDIA,
    HandoffRequest,
    Reply,
    Turn,
    turn_from_button,
    turn_from_parse,
)
from bot.resources import Resources
from bot.routing import Nearby
from bot.state import State

Handler = Callable[[Context, State, Turn, datetime], Reply | None]

HANDLERS: tuple[Handler, ...] = (
    safety.danger,
    small_talk.media,
    small_talk.forget,
    safety.follow_up,
    small_talk.restart,
    offers.take,
    answers.while_waiting,
    handoff.handoff_turn,
    safety.about_the_danger,
    results.about_shown,
    safety.listening,
    explore.explore,
    concern.take,
)

__all__ = [
    "FAQ",
    "HANDLERS",
    "INFORM",
    "MEDIA",
    "Dialogue",
    "HandoffRequest",
    "Reply",
    "Turn",
    "turn_from_button",
    "turn_from_parse",
]


class Dialogue:
    def __init__(
        self,
        resources: Resources,
        services: Callable[[], tuple[ServiceView, ...]],
        offers: OfferFinder | None = None,
        nearby: Nearby | None = None,
    ) -> None:
        self.ctx = Context(resources, services, offers, nearby)

    def respond(self, state: State, turn: Turn, now: datetime) -> Reply:
        self.ctx.speak(state, turn.text)
        turn = safety.typed_check_answer(state, turn)
        turn = explore.bare_dont_know(self.ctx, turn)
        turn = answers.own_file(self.ctx, answers.named_topic(self.ctx, turn))
        turn = results.nothing_for_me(self.ctx, state, turn)
        for handler in HANDLERS:
            reply = handler(self.ctx, state, turn, now)
            if reply is not None:
                return reply
        raise AssertionError("concern.take always answers")
