"""The conversation, concern first.

A message becomes a `Turn` (an intent with entities, or a pressed button). `Dialogue.respond` then reads
top to bottom:

1. danger first: a crisis gets the helplines that fit before anything else, at any step (bot/crisis.py);
   while the conversation is in crisis, no menu or service comes unless the youth asks;
2. erasure ("oublie-moi") and its confirmation; the crisis follow-up buttons; restart ("menu");
3. what the message tells about the youth (town, neighbourhood, age), remembered for the conversation;
4. what the youth asks (a concern, more results, an adviser, the village, small talk, unclear);
5. what the concern still needs: the town, then the age (skippable), then the results.

Every text comes from data/dialogue/fr.yml; the state is a `State` (bot/state.py) kept by the caller."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.cards import helpline_card, scene_card, service_card
from bot.catalogue.snapshot import ServiceView
from bot.crisis import CrisisPath, CrisisReply
from bot.details import answer_detail
from bot.handoffs import when_answered
from bot.messages import Button, Outgoing
from bot.resources import Resources
from bot.routing import Match, Need, find_services
from bot.state import (
    AGE,
    CONCERN,
    CRISIS,
    CRISIS_CHECK,
    FORGET,
    HANDOFF,
    HANDOFF_QUESTION,
    NEW,
    RESULTS,
    TOWN,
    State,
)
from nlu.answers import confident_answer
from nlu.language import detect
from nlu.text import fold, words

INFORM = "inform"  # a message that only answers a question (town, age)
MEDIA = "media"  # a sticker, photo, voice note or edit: something the bot cannot read
SMALL_TALK = ("greet", "thanks", "goodbye", "help", "out_of_scope", "affirm", "deny")
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
ASKS_SOMETHING = ("ask_human", "ask_this", "faq", "village", "more", "forget_me", "menu", "town_other")
FAQ = "faq"  # a question for the knowledge base (nlu/answers.py)
ANSWER_ENTITIES = ("commune", "quartier", "elsewhere", "age", "age_range")
GUESSABLE_EXTRA = ("ask_human", "village", "help")
CLEAR_CONCERN = 0.6  # while a question is pending, a concern below this confidence is not a new subject
BARE_NUMBER = re.compile(r"^\s*(\d{1,2})\s*$")
DENIED_BEFORE = re.compile(r"\b(?:pas|plus|non|ni)(?: (?:a|au|de|du|sur|dans|en|a cote de))?\s*$")


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
    """Button payloads: concern:job, town:<commune>, age:18-25, intent:<name>, and BUTTON_INTENTS."""
    kind, _, value = payload.partition(":")
    if payload in BUTTON_INTENTS:
        return Turn(BUTTON_INTENTS[payload])
    if kind in ("concern", "intent") and value:
        return Turn(value)
    if payload.startswith("handoff:partner:"):
        return Turn("handoff_partner", entities=({"entity": "partner", "value": payload.split(":", 2)[2]},))
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


class Dialogue:
    def __init__(self, resources: Resources, services: Callable[[], tuple[ServiceView, ...]]) -> None:
        self.r = resources
        self.t = resources.texts
        self.services = services  # the active catalogue, asked for only when results are needed
        self.crisis_path = CrisisPath(resources.crisis, resources.territory, resources.texts)

    # -- the turn, top to bottom -------------------------------------------------------------------

    def respond(self, state: State, turn: Turn, now: datetime) -> Reply:
        self.speak(state, turn)
        if turn.intent == "crisis":
            return self.crisis(state, turn)
        if state.step == CRISIS_CHECK and turn.intent in ("affirm", "deny"):  # typed, as the buttons say
            turn = replace(turn, intent="crisis_yes" if turn.intent == "affirm" else "crisis_no")
        if turn.intent == MEDIA:
            return Reply([Outgoing(self.t("media"))])
        if state.step == FORGET and turn.intent in ("forget_yes", "affirm"):
            return Reply([Outgoing(self.t("forget_done"))], erase=True)
        if state.step == FORGET and turn.intent in ("forget_no", "deny"):
            state.step = CONCERN
            return Reply([Outgoing(self.t("forget_cancelled"), buttons=self.concern_buttons())])
        if turn.intent == "forget_me" or turn.text.strip() == "/oubli":
            state.step = FORGET
            return Reply([Outgoing(self.t("forget_confirm"), buttons=self.forget_buttons())])
        if turn.intent.startswith("crisis_"):
            return self.crisis_follow_up(state, turn.intent, now)
        if turn.intent == "menu" or (self.t.is_restart(turn.text) and state.step != NEW):
            state.concern, state.page, state.step = None, 0, CONCERN  # an open handoff stays open for staff
            return Reply([Outgoing(self.t("restart"), buttons=self.concern_buttons())])
        if turn.intent.startswith("handoff_") or state.step in (HANDOFF_QUESTION, HANDOFF):
            handled = self.handoff_turn(state, turn, now)
            if handled is not None:
                return handled
        if state.step == RESULTS and state.extra.get("shown"):
            detail = self.r.details.asked(fold(turn.text)) if turn.text else None
            if detail and not (turn.intent in self.r.concerns and turn.confidence >= CLEAR_CONCERN):
                return Reply(self.about_shown(state, detail, turn, now))
        if state.crisis_active and not self.asks_for_something(turn):
            return Reply(self.crisis_path.listening(state.handoff_id is not None))
        state.crisis_active = False

        lead = []
        if state.step == NEW:  # first contact: welcome and what is kept, whatever the message was
            lead = [
                Outgoing(self.t("welcome")),
                Outgoing(self.t("privacy", url=self.r.public_url.rstrip("/"), days=self.r.transcript_days)),
            ]
            state.step = CONCERN
        answered = self.take_answers(state, turn)
        intent = INFORM if answered and self.only_answers(turn) else turn.intent
        told = self.told(turn)
        if len(told) >= 2 and intent in (FAQ, "nlu_fallback", "out_of_scope", "help"):
            intent = told[0]  # a long story with several needs: take them one at a time, not as one question

        if intent == "town_other":
            state.step, state.elsewhere = TOWN, None
            return Reply([Outgoing(self.t("town_other"))])
        if intent == "age_skip" or (state.step == AGE and self.t.is_dont_know(turn.text)):
            state.age_skipped = True
        elif state.step == TOWN and self.t.is_dont_know(turn.text):
            state.town_unknown = True
            lead.append(Outgoing(self.t("town_given_up")))
        elif state.step in (TOWN, AGE) and not answered and not self.changes_subject(turn):
            return Reply(
                self.town_not_understood(state, now)
                if state.step == TOWN
                else self.age_not_understood(state, now)
            )
        elif intent in self.r.concerns:
            state.concern, state.page = intent, 0
            lead += self.several_concerns(state, turn)
        elif intent == "more":
            return Reply(self.results(state, now, page=state.page + 1))
        elif intent == "ask_human":
            return Reply(lead + self.ask_question(state, now))
        elif intent == FAQ:
            return Reply(lead + self.answer(state, turn))
        elif intent == "ask_this":
            return self.ask_this(state, now)
        elif intent == "village":
            return Reply(lead + self.village(state))
        elif state.step == CONCERN and state.concern is None and self.t.is_dont_know(turn.text):
            return Reply([Outgoing(self.t("ask_concern_again"), buttons=self.concern_buttons())])
        elif intent in SMALL_TALK and not lead and not answered:
            return Reply(self.small_talk(intent))
        elif intent == "nlu_fallback" and not answered:
            return Reply(lead + self.guesses(turn))
        return Reply(lead + self.advance(state, now))

    def speak(self, state: State, turn: Turn) -> None:
        """Answer in the language of the youth's messages (French until a message clearly says otherwise)."""
        language = detect(turn.text) if turn.text else None
        if language in self.r.languages:
            state.language = language
        self.t = self.r.languages.get(state.language, self.r.texts)
        self.crisis_path.t = self.t

    # -- what the message says about the youth -----------------------------------------------------

    def take_answers(self, state: State, turn: Turn) -> bool:
        """Remember the town, neighbourhood and age the message gives; True if it gave any. A place said
        with "pas" before it is what the youth corrects ("jsuis de nogent pas fontenay"): not taken."""
        territory = self.r.territory
        answered = False
        turn = replace(turn, entities=tuple(e for e in turn.entities if not self.denied(turn.text, e)))
        said = self.r.rules.publics_said(fold(turn.text)) if turn.text else frozenset()
        if said:  # "je suis une fille", "apprendre le français": services for that public may be shown
            state.extra["publics"] = sorted(set(state.extra.get("publics", [])) | said)
        for name in turn.values("quartier"):
            quartier = territory.quartier(name)
            if quartier:
                state.quartier, state.commune = quartier.name, quartier.commune
                state.town_unknown, answered = False, True
        for name in turn.values("elsewhere"):
            state.elsewhere, state.commune, state.quartier = str(name), None, None
            state.town_unknown, answered = False, True
        for name in turn.values("commune"):
            commune = territory.commune(name)
            if commune:
                state.elsewhere = None
            if commune and commune.name != state.commune:
                state.commune, state.town_unknown, answered = commune.name, False, True
                if (
                    state.quartier
                    and (q := territory.quartier(state.quartier))
                    and commune.insee not in q.insee
                ):
                    state.quartier = None
            elif commune:
                answered = True
        ages: list[tuple[int, int]] = [(int(a), int(a)) for a in turn.values("age")]
        ages += [(int(r[0]), int(r[1])) for r in turn.values("age_range")]
        bare = BARE_NUMBER.match(turn.text) if state.step == AGE else None
        if bare:
            ages.append((int(bare.group(1)), int(bare.group(1))))
        for low, high in ages:
            state.set_age(low, high)
            answered = True
        if answered:
            state.page = 0
        return answered

    @staticmethod
    def denied(text: str, entity: dict[str, Any]) -> bool:
        if entity.get("entity") not in ("commune", "quartier", "elsewhere") or "start" not in entity:
            return False
        return DENIED_BEFORE.search(fold(text[: int(entity["start"])])) is not None

    def changes_subject(self, turn: Turn) -> bool:
        """While a question is pending, only a clear concern, or a greeting or thanks, is not a failed answer
        ('Marseille' is likely a town sixtcap does not know, whatever the classifier guesses)."""
        if turn.intent in (
            "greet",
            "thanks",
            "help",
            "ask_human",
            FAQ,
            "ask_this",
            "village",
            "more",
            "town_other",
            "age_skip",
        ):
            return True
        return turn.intent in self.r.concerns and turn.confidence >= CLEAR_CONCERN

    def only_answers(self, turn: Turn) -> bool:
        """True when the message is nothing but an answer: 'jsuis de champi', 'non à Villiers', '19 ans'."""
        text = turn.text
        for entity in sorted(turn.entities, key=lambda e: -int(e.get("start", 0))):
            if "start" in entity and entity["entity"] in ANSWER_ENTITIES:
                text = text[: entity["start"]] + " " + text[entity["end"] :]
        fillers = self.t.filler_words
        return all(word in fillers or word.isdigit() for word in words(fold(text)))

    # -- what the concern still needs ----------------------------------------------------------------

    def advance(self, state: State, now: datetime) -> list[Outgoing]:
        if state.concern is None:
            state.step = CONCERN
            return [Outgoing(self.t("ask_concern"), buttons=self.concern_buttons())]
        if state.elsewhere:
            return self.from_elsewhere(state)
        if state.commune is None and not state.town_unknown:
            state.step = TOWN
            return [Outgoing(self.t("ask_town"), buttons=self.town_buttons())]
        if state.ages is None and not state.age_skipped:
            state.step = AGE
            return [Outgoing(self.t("ask_age"), buttons=self.age_buttons())]
        return self.results(state, now, page=0)

    def need(self, state: State) -> Need:
        territory = self.r.territory
        commune = territory.commune(state.commune) if state.commune else None
        quartier = territory.quartier(state.quartier) if state.quartier else None
        concern = self.r.concerns[state.concern or ""]
        point = territory.point_of(commune, quartier) if commune else None
        publics = frozenset(state.extra.get("publics", []))
        preferred = self.r.rules.preferred_partners.get(concern.name, frozenset())
        return Need(concern.thematiques, commune, quartier, state.ages, point, publics, preferred)

    def matches(self, state: State, now: datetime) -> tuple[tuple[Match, ...], bool, float | None]:
        found = find_services(self.services(), self.need(state), self.r.rules, now, self.r.zone)
        return found.matches, found.widened, found.radius_km

    def results(self, state: State, now: datetime, page: int) -> list[Outgoing]:
        state.step = RESULTS
        if state.concern is None:
            return self.advance(state, now)
        concern = self.r.concerns[state.concern]
        matches, widened, radius = self.matches(state, now)
        size = self.r.rules.results_per_page
        shown = matches[page * size : (page + 1) * size]
        if not matches:
            text = self.t("nothing_found", concern=concern.phrase_in(self.t.language))
            offer = (self.button("adviser"), self.button("other"))
            return [*self.age_notes(state), Outgoing(text, buttons=offer)]
        if not shown:
            text = self.t("results_end", concern=concern.phrase_in(self.t.language))
            return [Outgoing(text, buttons=(self.button("adviser"), self.button("other")))]
        state.page = page
        lead = self.age_notes(state) if page == 0 else []
        if page > 0:
            intro = self.t("results_more")
        elif widened:
            intro = self.t("results_widened", radius=f"{radius:.0f}")
        elif state.commune:
            intro = self.t(
                "results_intro",
                concern=concern.phrase_in(self.t.language),
                place=state.quartier or state.commune,
            )
        else:
            intro = self.t("results_intro_anywhere", concern=concern.phrase_in(self.t.language))
        cards = tuple(service_card(m, now, self.r.zone, self.t, self.r.village) for m in shown)
        if page == 0:  # the helplines that go with this concern (Fil Santé Jeunes for someone to talk to)
            numbers = self.r.rules.concern_helplines.get(concern.name, ())
            lines = [h for h in self.r.territory.helplines if h.number in numbers]
            cards += tuple(helpline_card(h, self.t) for h in lines)
        state.extra["shown"] = [m.service.id for m in shown]  # for "c'est où ?", "ya un num ?"
        buttons = [self.button("other"), self.button("adviser")]
        if len(matches) > (page + 1) * size:
            buttons.append(self.button("more"))
        pending = [c for c in state.extra.get("pending_concerns", []) if c != state.concern]
        state.extra["pending_concerns"] = pending
        if pending:  # the next concern the youth told in the same message
            label = self.r.concerns[pending[0]].label_in(self.t.language)
            buttons.insert(
                0, Button(self.t.button("next_concern").format(concern=label), f"concern:{pending[0]}")
            )
        return [*lead, Outgoing(intro, cards=cards, buttons=tuple(buttons))]

    def told(self, turn: Turn) -> list[str]:
        """The concerns a message with several says, in order (its `concern` entities)."""
        return [str(v) for v in turn.values("concern") if v in self.r.concerns]

    def several_concerns(self, state: State, turn: Turn) -> list[Outgoing]:
        """A message with several concerns: say what is kept, take them one at a time (the first now)."""
        told = self.told(turn)
        if len(told) < 2:
            return []
        state.concern = state.concern if state.concern in told else told[0]
        state.extra["pending_concerns"] = [c for c in told if c != state.concern]
        labels = ", ".join(self.r.concerns[c].label_in(self.t.language).lower() for c in told)
        return [
            Outgoing(
                self.t(
                    "concerns_noted",
                    concerns=labels,
                    first=self.r.concerns[state.concern].label_in(self.t.language).lower(),
                )
            )
        ]

    def age_notes(self, state: State) -> list[Outgoing]:
        """Over 25, France Travail; under 16, school and the listening point (answers/moins_16_plus_25)."""
        if state.age_low is not None and state.age_low > 25:
            return [Outgoing(self.t("over_25"))]
        if state.age_high is not None and state.age_high < 16:
            return [Outgoing(self.t("under_16"))]
        return []

    def from_elsewhere(self, state: State) -> list[Outgoing]:
        """A town outside the territory: say so, and where to go instead (what is open to everybody too)."""
        state.step = RESULTS
        concern = self.r.concerns[state.concern or ""]
        buttons = (Button(self.t.button("town_local"), "town:other"), self.button("other"))
        return [
            Outgoing(self.t("elsewhere", place=state.elsewhere)),
            *self.age_notes(state),
            Outgoing(self.t("elsewhere_where", concern=concern.phrase_in(self.t.language)), buttons=buttons),
        ]

    # -- answers that are not a concern --------------------------------------------------------------

    def town_not_understood(self, state: State, now: datetime) -> list[Outgoing]:
        state.town_attempts += 1
        if state.town_attempts >= 2:
            state.town_unknown = True
            return [Outgoing(self.t("town_given_up")), *self.advance(state, now)]
        return [Outgoing(self.t("town_unknown"), buttons=self.town_buttons())]

    def age_not_understood(self, state: State, now: datetime) -> list[Outgoing]:
        attempts = int(state.extra.get("age_attempts", 0)) + 1
        state.extra["age_attempts"] = attempts
        if attempts >= 2:
            state.age_skipped = True
            return self.advance(state, now)
        return [Outgoing(self.t("age_unclear"), buttons=self.age_buttons())]

    def small_talk(self, intent: str) -> list[Outgoing]:
        if intent == "greet":
            return [Outgoing(self.t("hello_again"), buttons=self.concern_buttons())]
        if intent == "thanks":
            return [Outgoing(self.t("thanks"), buttons=(self.button("other"), self.button("adviser")))]
        if intent == "goodbye":
            return [Outgoing(self.t("goodbye"))]
        if intent in ("help", "out_of_scope"):
            return [Outgoing(self.t(intent), buttons=self.concern_buttons())]
        if intent == "deny":
            return [Outgoing(self.t("deny"), buttons=self.concern_buttons())]
        return [Outgoing(self.t("affirm"), buttons=(self.button("other"), self.button("adviser")))]

    def guesses(self, turn: Turn) -> list[Outgoing]:
        """Low confidence: the two best guesses as buttons."""
        guessable = (*self.r.concerns, *GUESSABLE_EXTRA)
        best = [r["name"] for r in turn.ranking if r["name"] in guessable][:2]
        buttons = [Button(self.intent_label(name), f"intent:{name}") for name in best]
        if not buttons:
            return [Outgoing(self.t("ask_concern_again"), buttons=self.concern_buttons())]
        return [Outgoing(self.t("fallback"), buttons=(*buttons, self.button("other")))]

    # -- a question for partner staff ---------------------------------------------------------------

    def ask_question(self, state: State, now: datetime) -> list[Outgoing]:
        """Ask for the question in one message (skippable), naming the partner who will get it."""
        if state.handoff_id is not None:
            state.step = HANDOFF
            return [
                Outgoing(self.t("handoff_already", partner=self.partner_name(state.handoff_partner or "")))
            ]
        partner = self.suggested_partner(state, now)
        if partner is None:
            return self.choose_partner(state, now)
        state.step, state.handoff_partner = HANDOFF_QUESTION, partner
        buttons = (
            Button(self.t.button("handoff_skip"), "handoff:skip"),
            Button(self.t.button("handoff_choose"), "handoff:choose"),
            Button(self.t.button("cancel"), "menu"),
        )
        return [Outgoing(self.t("handoff_ask", partner=self.partner_name(partner)), buttons=buttons)]

    def handoff_turn(self, state: State, turn: Turn, now: datetime) -> Reply | None:
        """The question, the choice of partner, and the youth's messages while a handoff is open."""
        if turn.intent == "handoff_choose":
            return Reply(self.choose_partner(state, now))
        if turn.intent == "handoff_partner":
            state.handoff_partner = str(turn.values("partner")[0])
            if self.partner_name(state.handoff_partner) == state.handoff_partner:  # not a partner we know
                return Reply(self.choose_partner(state, now))
            if state.extra.get("question"):  # typed before the partner was chosen: not lost
                return self.open_handoff(state, str(state.extra.pop("question")), urgent=False, now=now)
            state.step = HANDOFF_QUESTION
            return Reply(
                [
                    Outgoing(
                        self.t("handoff_ask", partner=self.partner_name(state.handoff_partner)),
                        buttons=(Button(self.t.button("handoff_skip"), "handoff:skip"),),
                    )
                ]
            )
        if (
            state.step == HANDOFF_QUESTION
            and state.handoff_partner
            and (turn.intent == "handoff_skip" or turn.text)
        ):
            return self.open_handoff(state, turn.text.strip() or None, urgent=False, now=now)
        if (
            state.step == HANDOFF_QUESTION
            and turn.text.strip()
            and turn.intent != "ask_human"
            and not state.extra.get("question")
        ):
            state.extra["question"] = turn.text.strip()[:1000]  # kept until a partner is chosen
            buttons = self.partner_buttons(state, now)
            return Reply([Outgoing(self.t("handoff_question_kept"), buttons=buttons)])
        if turn.intent == "handoff_close_yes" and not state.handoff_urgent:
            state.step, state.handoff_id = CONCERN, None
            return Reply([Outgoing(self.t("handoff_closed"))], close_handoff=True)
        partner = self.partner_name(state.handoff_partner or "")
        if turn.intent == "handoff_close" and not state.handoff_urgent:
            buttons = (
                Button(self.t.button("handoff_close_yes"), "handoff:close:yes"),
                Button(self.t.button("handoff_keep"), "handoff:keep"),
            )
            return Reply([Outgoing(self.t("handoff_close_confirm", partner=partner), buttons=buttons)])
        if turn.intent in ("handoff_close", "handoff_close_yes", "handoff_keep"):
            key = "handoff_stays_urgent" if state.handoff_urgent else "handoff_kept"
            return Reply([Outgoing(self.t(key, partner=partner))])
        if state.step == HANDOFF and turn.intent in ("thanks", "goodbye", "affirm"):
            key = "handoff_stays_urgent" if state.handoff_urgent else "handoff_thanks"
            return Reply([Outgoing(self.t(key, partner=partner), buttons=self.handoff_close_buttons(state))])
        if state.step == HANDOFF and turn.text:
            return Reply(
                [Outgoing(self.t("handoff_ack"), buttons=self.handoff_close_buttons(state))], thread=True
            )
        return None

    def open_handoff(
        self, state: State, question: str | None, urgent: bool, now: datetime, crisis_kind: str | None = None
    ) -> Reply:
        partner = state.handoff_partner or ""
        state.step, state.handoff_urgent = HANDOFF, urgent
        request = HandoffRequest(partner, question, urgent, state.concern, crisis_kind)
        when = when_answered(self.partner_hours(partner), now, self.t, self.r.zone)
        text = self.t("handoff_sent", partner=self.partner_name(partner), when=when)
        if "french_note" in self.t.raw:  # this language's own note: partners answer in French
            text = f"{text}\n{self.t('french_note')}"
        return Reply(
            [Outgoing(text, buttons=self.handoff_close_buttons(state))], open_handoff=request, thread=True
        )

    def suggested_partner(self, state: State, now: datetime) -> str | None:
        """The partner of the best match, else the youth's mission locale, else none (the youth chooses)."""
        if state.concern and (state.commune or state.town_unknown):
            matches, _, _ = self.matches(state, now)
            if matches:
                return matches[0].service.partner_id
        local = [s for s in self.services() if s.partner_kind == "mission-locale" and self.covers(s, state)]
        return local[0].partner_id if local else None

    def choose_partner(self, state: State, now: datetime) -> list[Outgoing]:
        state.step = HANDOFF_QUESTION
        return [Outgoing(self.t("handoff_choose"), buttons=self.partner_buttons(state, now))]

    def partner_buttons(self, state: State, now: datetime) -> tuple[Button, ...]:
        """The partners of the youth's best matches first, then those covering their town, then the rest."""
        names: dict[str, str] = {}
        if state.concern:
            for match in self.matches(state, now)[0]:
                names.setdefault(match.service.partner_id, match.service.partner_nom)
        for service in sorted(self.services(), key=lambda s: not self.covers(s, state)):
            names.setdefault(service.partner_id, service.partner_nom)
        return tuple(Button(name, f"handoff:partner:{pid}") for pid, name in list(names.items())[:10])

    def partner_name(self, partner_id: str) -> str:
        return next((s.partner_nom for s in self.services() if s.partner_id == partner_id), partner_id)

    def partner_hours(self, partner_id: str) -> str | None:
        return next((s.partner_hours for s in self.services() if s.partner_id == partner_id), None)

    def handoff_close_buttons(self, state: State) -> tuple[Button, ...]:
        """Closing a question takes a button and a confirmation; an urgent one is closed by staff only."""
        return () if state.handoff_urgent else (Button(self.t.button("handoff_close"), "handoff:close"),)

    def village(self, state: State) -> list[Outgoing]:
        scenes = sorted(self.r.village.scenes, key=lambda s: s.quartier != state.quartier)
        cards = tuple(
            scene_card(
                scene, self.r.village, tuple(self.partner_name(h.target) for h in scene.stands), self.t
            )
            for scene in scenes
        )
        return [Outgoing(self.t("village"), cards=cards, buttons=(self.button("other"),))]

    # -- questions about what was just shown ----------------------------------------------------------

    def about_shown(self, state: State, detail: str, turn: Turn, now: datetime) -> list[Outgoing]:
        """Where, phone, hours, cost, appointment, documents or what, for the card asked about."""
        by_id = {s.id: s for s in self.services()}
        shown = [by_id[i] for i in state.extra.get("shown", []) if i in by_id]
        if not shown:
            return self.results(state, now, page=state.page)
        service = self.r.details.card(fold(turn.text), shown)
        reply = answer_detail(detail, service, fold(turn.text), now, self.r.zone, self.t)
        buttons = (*reply.buttons, self.button("adviser"), self.button("other"))
        general = self.r.answers.get("documents_a_apporter")
        local_mission = service.partner_kind == "mission-locale"
        documented = service.justificatifs or service.pre_requis or service.conditions_acces
        if detail == "documents" and not documented and general and local_mission:
            return [Outgoing(general.bubbles[0], buttons=buttons)]  # what any mission locale asks (sourced)
        return [Outgoing(reply.text, buttons=buttons)]

    # -- questions the knowledge base answers ----------------------------------------------------------

    def answer(self, state: State, turn: Turn) -> list[Outgoing]:
        """A sourced answer of data/answers/; unsure, the question is offered to an adviser instead."""
        answer_id = confident_answer(turn.response_selector, self.r.answer_threshold)
        answer = self.r.answers.get(answer_id or "")
        own_case = self.r.details.about_own_case(fold(turn.text))
        if answer is None or own_case:  # unsure, or a question on the youth's own file: an adviser answers
            state.extra["question"] = turn.text.strip()[:1000]
            offer = (Button(self.t.button("ask_this"), "faq:adviser"), self.button("other"))
            return [Outgoing(self.t("answer_own_case" if own_case else "answer_unsure"), buttons=offer)]
        state.extra["last_answer"] = answer.id
        bubbles = [Outgoing(text) for text in answer.bubbles]
        if answer.sources:
            source = answer.sources[0]
            line = self.t("answer_source", site=source.site, date=source.date[:4])
            bubbles[-1] = Outgoing(f"{bubbles[-1].text}\n{line}")
        buttons = tuple(
            Button(f.title, "faq:adviser" if f.adviser else f"concern:{f.concern}")
            for f in answer.follow_up
            if f.adviser or f.concern in self.r.concerns
        )
        if any(f.adviser for f in answer.follow_up):
            state.extra["question"] = turn.text.strip()[:1000]
        bubbles[-1] = Outgoing(bubbles[-1].text, buttons=buttons or (self.button("other"),))
        return bubbles

    def ask_this(self, state: State, now: datetime) -> Reply:
        """Put the question the youth typed to an adviser, without asking it again."""
        question = str(state.extra.get("question") or "")
        partner = self.suggested_partner(state, now)
        if not question or state.handoff_id is not None:
            return Reply(self.ask_question(state, now))
        if partner is None:
            return Reply(self.choose_partner(state, now))
        state.handoff_partner = partner
        state.extra.pop("question", None)
        return self.open_handoff(state, question, urgent=False, now=now)

    # -- danger ---------------------------------------------------------------------------------------

    def crisis(self, state: State, turn: Turn) -> Reply:
        """Helplines first, no question before them (bot/crisis.py grades the reply)."""
        first_contact = state.step == NEW
        kinds = [str(kind) for kind in turn.values("crisis_kind")]
        about_other = "other" in turn.values("crisis_about")
        reply = self.during_handoff(
            state, self.crisis_path.first(state, kinds, about_other, self.waiting(state))
        )
        if first_contact:  # what is kept, after the helplines
            url = self.r.public_url.rstrip("/")
            privacy = Outgoing(self.t("privacy", url=url, days=self.r.transcript_days))
            reply.messages.insert(len(reply.messages) - 1, privacy)  # the choice stays the last bubble
        return reply

    def crisis_confirmed(self, state: State) -> Reply:
        """Yes to "Est-ce que tu penses à mourir ou à te faire du mal ?": the suicide path."""
        return self.during_handoff(state, self.crisis_path.confirmed(state, self.waiting(state)))

    def during_handoff(self, state: State, answer: CrisisReply) -> Reply:
        """A danger while a question is open: the message joins it, and it becomes urgent, with the kind."""
        if not self.waiting(state):
            return Reply(answer.messages)
        escalate = None
        if state.step == CRISIS:
            state.step = HANDOFF  # the youth's next messages still join the open question
            if not state.handoff_urgent:
                state.handoff_urgent, escalate = True, self.r.crisis.label(answer.kind)
        return Reply(answer.messages, escalate=escalate, thread=True)

    @staticmethod
    def waiting(state: State) -> bool:
        return state.handoff_id is not None

    def crisis_denied(self, state: State, now: datetime) -> list[Outgoing]:
        """No: thanks for answering, the lines stay, and the wellbeing path goes on."""
        state.crisis_active, state.step = False, CONCERN
        state.concern = state.concern or "wellbeing"
        return [Outgoing(self.t("crisis_denied")), *self.advance(state, now)]

    def crisis_follow_up(self, state: State, choice: str, now: datetime) -> Reply:
        """Put the youth in touch at once: an urgent handoff to the listening point or the mission locale."""
        if choice == "crisis_yes":
            return self.crisis_confirmed(state)
        if choice == "crisis_no":
            return Reply(self.crisis_denied(state, now))
        if choice == "crisis_later":
            state.step = CONCERN
            return Reply([Outgoing(self.t("crisis_later"), buttons=(self.button("other"),))])
        if state.handoff_id is not None:
            state.step = HANDOFF
            return Reply(
                [Outgoing(self.t("handoff_already", partner=self.partner_name(state.handoff_partner or "")))]
            )
        if choice == "crisis_listening":
            partner: str | None = self.r.rules.listening_partner
        else:
            partner = self.suggested_partner(state, now) or self.r.rules.listening_partner
        state.handoff_partner = partner
        kinds = self.r.crisis.ordered(state.crisis_kinds)
        reply = self.open_handoff(state, None, urgent=True, now=now, crisis_kind=kinds[0].label)
        reply.messages = [Outgoing(self.t(choice, partner=self.partner_name(partner or "")))]
        return reply

    def asks_for_something(self, turn: Turn) -> bool:
        """In crisis mode, what takes the youth out of it: a clear concern, a button, or a request."""
        if turn.intent in ASKS_SOMETHING or turn.intent == INFORM:
            return True
        return turn.intent in self.r.concerns and turn.confidence >= CLEAR_CONCERN

    def covers(self, service: ServiceView, state: State) -> bool:
        commune = self.r.territory.commune(state.commune) if state.commune else None
        return commune is not None and commune.insee in service.zone

    # -- buttons ----------------------------------------------------------------------------------------

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

    def forget_buttons(self) -> tuple[Button, ...]:
        return (
            Button(self.t.button("forget_yes"), "forget:yes"),
            Button(self.t.button("forget_no"), "forget:no"),
        )

    def intent_label(self, intent: str) -> str:
        if intent in self.r.concerns:
            return self.r.concerns[intent].label_in(self.t.language)
        return self.t.button(f"guess_{intent}")
