"""Danger: the helplines that fit before anything else (bot/crisis.py grades them), the check-in question,
the follow-up buttons, and crisis mode (listening, no menus) until the youth asks for something."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.crisis import CrisisReply
from bot.dialogue.context import Context
from bot.dialogue.handoff import already_open, open_handoff, suggested_partner
from bot.dialogue.results import advance, specific_said
from bot.dialogue.turn import FAQ, INFORM, Reply, Turn
from bot.messages import Outgoing
from bot.state import CONCERN, CRISIS, CRISIS_CHECK, HANDOFF, NEW, State

# In crisis mode, what takes the youth out of it (with a clear concern): a button, or a request.
ASKS_SOMETHING = (
    "ask_human",
    "ask_this",
    FAQ,
    "village",
    "village_scene",
    "more",
    "forget_me",
    "menu",
    "town_other",
    INFORM,
)


def typed_check_answer(state: State, turn: Turn) -> Turn:
    """A typed yes or no to "est-ce que tu penses à mourir ?" takes the buttons' path."""
    if state.step == CRISIS_CHECK and turn.intent in ("affirm", "deny"):
        return replace(turn, intent="crisis_yes" if turn.intent == "affirm" else "crisis_no")
    return turn


def danger(ctx: Context, state: State, turn: Turn, now: datetime) -> Reply | None:
    """Helplines first, no question before them."""
    if turn.intent != "crisis":
        return None
    first_contact = state.step == NEW
    kinds = [str(kind) for kind in turn.values("crisis_kind")]
    about_other = "other" in turn.values("crisis_about")
    reply = during_handoff(ctx, state, ctx.crisis_path.first(state, kinds, about_other, waiting(state)))
    if first_contact:  # what is kept, after the helplines
        url = ctx.r.public_url.rstrip("/")
        privacy = Outgoing(ctx.t("privacy", url=url, days=ctx.r.transcript_days))
        reply.messages.insert(len(reply.messages) - 1, privacy)  # the choice stays the last bubble
    place = to_a_place(ctx, state, turn, kinds, now)
    if place:  # instead of the offer of a person: the way to a place nearby
        reply.messages[-1:] = place
    return reply


def to_a_place(ctx: Context, state: State, turn: Turn, kinds: list[str], now: datetime) -> list[Outgoing]:
    """A danger a place nearby answers too, asked for in so many words (the emergency pill, not a panic):
    after the lines, that place instead of a crisis mode: the town if unknown, then the services
    (outside the network when it has none)."""
    needs = {kind.need for kind in ctx.r.crisis.ordered(kinds)}
    name = needs.pop() if len(needs) == 1 else None
    need = ctx.r.rules.specific_needs.get(name or "")
    if need is None or specific_said(ctx, turn) is not need or waiting(state):
        return []
    state.crisis_active = False
    state.concern, state.page, state.extra["need"] = need.concern, 0, need.name
    return [Outgoing(ctx.t("crisis_place")), *advance(ctx, state, now)]


def follow_up(ctx: Context, state: State, turn: Turn, now: datetime) -> Reply | None:
    """The crisis buttons: yes/no to the check-in, later, or in touch at once (an urgent handoff)."""
    choice = turn.intent
    if not choice.startswith("crisis_"):
        return None
    if choice == "crisis_yes":
        return during_handoff(ctx, state, ctx.crisis_path.confirmed(state, waiting(state)))
    if choice == "crisis_no":  # thanks for answering, the lines stay, and the wellbeing path goes on
        state.crisis_active, state.step = False, CONCERN
        state.concern = state.concern or "wellbeing"
        return Reply([Outgoing(ctx.t("crisis_denied")), *advance(ctx, state, now)])
    if choice == "crisis_later":
        state.step = CONCERN
        return Reply([Outgoing(ctx.t("crisis_later"), buttons=(ctx.button("other"),))])
    if state.handoff_id is not None:
        return Reply(already_open(ctx, state))
    if choice == "crisis_listening":
        partner: str | None = ctx.r.rules.listening_partner
    else:
        partner = suggested_partner(ctx, state, now) or ctx.r.rules.listening_partner
    state.handoff_partner = partner
    kinds = ctx.r.crisis.ordered(state.crisis_kinds)
    reply = open_handoff(ctx, state, None, urgent=True, now=now, crisis_kind=kinds[0].label)
    reply.messages = [Outgoing(ctx.t(choice, partner=ctx.partner_name(partner or "")))]
    return reply


def listening(ctx: Context, state: State, turn: Turn, now: datetime) -> Reply | None:
    """In crisis mode, a message that asks for nothing gets listening, not a menu; a request ends it."""
    if not state.crisis_active:
        return None
    if turn.intent in ASKS_SOMETHING or ctx.clear_concern(turn):
        state.crisis_active = False
        return None
    return Reply(ctx.crisis_path.listening(state.handoff_id is not None))


def during_handoff(ctx: Context, state: State, answer: CrisisReply) -> Reply:
    """A danger while a question is open: the message joins it, and it becomes urgent, with the kind."""
    if not waiting(state):
        return Reply(answer.messages)
    escalate = None
    if state.step == CRISIS:
        state.step = HANDOFF  # the youth's next messages still join the open question
        if not state.handoff_urgent:
            state.handoff_urgent, escalate = True, ctx.r.crisis.label(answer.kind)
    return Reply(answer.messages, escalate=escalate, thread=True)


def waiting(state: State) -> bool:
    return state.handoff_id is not None
