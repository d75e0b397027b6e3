"""The concern, when no earlier handler took the turn: the welcome at first contact, what the message tells
(town, age), then what the youth asks (a concern, more results, an adviser, an answer, the village, small
talk, unclear), then what the concern still needs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.dialogue import answers, results, small_talk, village
from bot.dialogue.context import Context
from bot.dialogue.handoff import ASK_HUMAN, ask_question, keep_question
from bot.dialogue.profile import (
    age_not_understood,
    changes_subject,
    only_answers,
    take_answers,
    town_not_understood,
)
from bot.dialogue.turn import FAQ, INFORM, NEED, Reply, Turn
from bot.messages import Outgoing
from bot.state import AGE, CONCERN, NEW, TOWN, State

Asked = Callable[[Context, State, Turn, datetime], "list[Outgoing] | Reply"]


def adviser(ctx: Context, state: State, turn: Turn, now: datetime) -> list[Outgoing]:
    """ "Je veux parler à quelqu'un": ask for the question for partner staff."""
    return ask_question(ctx, state, now)


# What the youth asks, by intent (after the welcome and what the message told): who answers.
ASKS: dict[str, Asked] = {
    "more": results.more,
    "ask_human": adviser,
    FAQ: answers.answer,
    "ask_this": answers.ask_this,
    "village": village.village,
    village.SCENE: village.scene,
}
UNCLEAR = (FAQ, "nlu_fallback", "out_of_scope", "help")  # with several concerns told: take those instead


def take(ctx: Context, state: State, turn: Turn, now: datetime) -> Reply:
    """Always answers: the last handler of the table."""
    t = ctx.t
    lead = welcome(ctx, state)
    answered = take_answers(ctx, state, turn)
    if state.extra.get("then") == ASK_HUMAN and (answered or turn.text.strip()):
        state.extra.pop("then")
        if answered:  # the town asked for a question to an adviser: the nearest partner
            return Reply(lead + ask_question(ctx, state, now))
        return Reply(lead + keep_question(ctx, state, turn.text, now))  # the question came first: kept
    intent = INFORM if answered and only_answers(ctx, turn) else turn.intent
    after = answers.places_after(ctx, state) if intent == INFORM and state.concern is None else None
    if after is not None:  # "jsuis de fontenay jai 18" after the CEJ's answer: its places
        state.concern, state.page = after[0], 0
        state.extra["need"] = after[1]
    if intent in small_talk.ENDINGS and small_talk.asks_more(turn):
        intent = "nlu_fallback"  # "ok et jdois aller ou pr sinscrire" does not end the conversation
    told = results.told(ctx, turn)
    sure = answers.confident(ctx, turn)
    if len(told) >= 2 and intent in UNCLEAR and not sure:
        intent = told[0]  # a long story with several needs: take them one at a time, not as one question
    said = results.specific_said(ctx, turn)
    if said is not None and sure:
        # "comment s'inscrire à France Travail", "ou faire un test ist gratos ?": the answer, the places
        # are its buttons
        said = None
    if said is not None and (
        intent in (NEED, INFORM, *UNCLEAR) or (intent in ctx.r.concerns and not ctx.clear_concern(turn))
    ):
        intent = said.concern  # "test ist": sexual health, when the classifier is unsure or lost

    if intent == "town_other":
        state.step, state.elsewhere = TOWN, None
        return Reply([Outgoing(t("town_other"))])
    if intent == "age_skip" or (state.step == AGE and t.is_dont_know(turn.text)):
        state.age_skipped = True
    elif state.step == TOWN and t.is_dont_know(turn.text):
        state.town_unknown = True
        lead.append(Outgoing(t("town_given_up")))
    elif state.step in (TOWN, AGE) and not answered and not changes_subject(ctx, turn):
        if state.step == TOWN:
            return Reply(town_not_understood(ctx, state, now, turn.text))
        return Reply(age_not_understood(ctx, state, now))
    elif intent in ctx.r.concerns:
        state.concern, state.page = intent, 0
        lead += results.several_concerns(ctx, state, turn)
        results.take_specific(ctx, state, turn)
    elif intent in ASKS:
        return with_lead(lead, ASKS[intent](ctx, state, turn, now))
    elif state.step == CONCERN and state.concern is None and t.is_dont_know(turn.text):
        return Reply([Outgoing(t("ask_concern_again"), buttons=ctx.concern_buttons())])
    elif intent in small_talk.SMALL_TALK and not lead and not answered:
        return Reply(small_talk.small_talk(ctx, intent))
    elif intent == "nlu_fallback" and not answered:
        return Reply(lead + small_talk.guesses(ctx, turn))
    return Reply(lead + results.advance(ctx, state, now))


def welcome(ctx: Context, state: State) -> list[Outgoing]:
    """First contact: welcome and what is kept, whatever the message was."""
    if state.step != NEW:
        return []
    state.step = CONCERN
    url = ctx.r.public_url.rstrip("/")
    return [Outgoing(ctx.t("welcome")), Outgoing(ctx.t("privacy", url=url, days=ctx.r.transcript_days))]


def with_lead(lead: list[Outgoing], answer: list[Outgoing] | Reply) -> Reply:
    if isinstance(answer, Reply):
        answer.messages = lead + answer.messages
        return answer
    return Reply(lead + answer)
