"""What every sub-flow of a turn reads: the resources, the texts in the youth's language, the catalogue,
and the buttons they share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from bot.answers import Answer
from bot.catalogue.snapshot import ServiceView
from bot.crisis import CrisisPath
from bot.dialogue.turn import Turn
from bot.messages import Button, Outgoing
from bot.offers.matching import Profile, RankedOffer
from bot.resources import Resources
from bot.routing import Nearby
from bot.state import State
from bot.territory import Point
from bot.texts import Texts
from nlu.language import detect

CLEAR_CONCERN = 0.6  # while a question is pending, a concern below this confidence is not a new subject
LAST_ANSWER = "last_answer"  # state.extra: the id of the answer of data/answers/ just given


# ranked offers: (ROME codes, the youth's point, profile, now, limit, offset) -> best first (bot/offers/)
OfferFinder = Callable[[Sequence[str], Point, Profile, datetime, int, int], list[RankedOffer]]


class Context:
    def __init__(
        self,
        resources: Resources,
        services: Callable[[], tuple[ServiceView, ...]],
        offers: OfferFinder | None = None,
        nearby: Nearby | None = None,
    ) -> None:
        self.r = resources
        self.t: Texts = resources.texts
        self.services = services  # the active catalogue, asked for only when results are needed
        self.offers: OfferFinder = offers or (lambda *_: [])  # the offers, asked for only when shown
        self.nearby = nearby  # the services with a place near the youth, from the database
        self.crisis_path = CrisisPath(resources.crisis, resources.territory, resources.texts)

    def speak(self, state: State, text: str) -> None:
        """Answer in the language of the youth's messages (French until a message clearly says otherwise)."""
        language = detect(text) if text else None
        if language in self.r.languages:
            state.language = language
        self.t = self.r.languages.get(state.language, self.r.texts)
        self.crisis_path.t = self.t

    def point(self, state: State) -> Point | None:
        """Where the youth is, as precisely as they said it (their neighbourhood, else their town)."""
        territory = self.r.territory
        commune = territory.commune(state.commune) if state.commune else None
        if commune is None:
            return None
        quartier = territory.quartier(state.quartier) if state.quartier else None
        return territory.point_of(commune, quartier)

    def last_answer(self, state: State) -> Answer | None:
        """The answer of data/answers/ just given, if the conversation has not moved on since."""
        return self.r.answers.get(str(state.extra.get(LAST_ANSWER) or ""))

    def near_the_danger(self, state: State) -> bool:
        """In crisis mode, or still on the danger's own concern (its places were just shown after the town): a
        short question is about what was just said ("jdois payer ?" after a sextortion, once the town is
        told; "y a quoi d'ouvert ?" after a night outside)."""
        if state.crisis_active:
            return True
        return state.crisis and state.concern == (self.r.crisis.concern_of(state.crisis_kinds) or "wellbeing")

    def clear_concern(self, turn: Turn) -> bool:
        """A concern said clearly enough to change the subject while a question is pending."""
        return turn.intent in self.r.concerns and turn.confidence >= CLEAR_CONCERN

    # -- the partners -----------------------------------------------------------------------------------

    def network(self) -> tuple[ServiceView, ...]:
        """The 6Tcap partners' services: the only ones a question (handoff) can go to."""
        return tuple(s for s in self.services() if not s.outside_network)

    def partner_name(self, partner_id: str) -> str:
        return next((s.partner_nom for s in self.network() if s.partner_id == partner_id), partner_id)

    def partner_hours(self, partner_id: str) -> str | None:
        return next((s.partner_hours for s in self.network() if s.partner_id == partner_id), None)

    def covers(self, service: ServiceView, state: State) -> bool:
        commune = self.r.territory.commune(state.commune) if state.commune else None
        return commune is not None and commune.insee in service.zone

    # -- buttons ----------------------------------------------------------------------------------------

    def in_french(self) -> list[Outgoing]:
        """Before a text of data/answers/ (all in French): in another language, a line that says so."""
        note = self.t("answer_in_french")  # empty in French
        return [Outgoing(note)] if note else []

    def button(self, key: str) -> Button:
        return Button(self.t.button(key), key)

    def concern_buttons(self) -> tuple[Button, ...]:
        return tuple(
            Button(c.label_in(self.t.language), f"concern:{c.name}") for c in self.r.concerns.values()
        )

    def town_buttons(self) -> tuple[Button, ...]:
        towns = [Button(name.split("-")[0], f"town:{name}") for name in self.r.rules.main_towns]
        return (*towns, Button(self.t.button("town_other"), "town:other"))

    def age_buttons(self) -> tuple[Button, ...]:
        return (
            *(Button(a.title, a.payload) for a in self.t.age_choices),
            Button(self.t.button("age_skip"), "age:skip"),
        )

    def intent_label(self, intent: str) -> str:
        if intent in self.r.concerns:
            return self.r.concerns[intent].label_in(self.t.language)
        return self.t.button(f"guess_{intent}")
