"""What is not a concern: media, erasure, restart, greetings and thanks, unclear messages."""

from __future__ import annotations

from datetime import datetime

from bot.dialogue.context import LAST_ANSWER, Context
from bot.dialogue.handoff import CONTEXT, FOLLOW_UP
from bot.dialogue.turn import MEDIA, Reply, Turn
from bot.messages import Button, Outgoing
from bot.state import CONCERN, FORGET, NEW, State
from nlu.answers import is_question
from nlu.text import fold

SMALL_TALK = ("greet", "thanks", "goodbye", "help", "out_of_scope", "affirm", "deny")
GUESSABLE_EXTRA = ("ask_human", "village", "help")
ENDINGS = ("goodbye", "thanks", "affirm", "deny")  # what closes a topic, or the conversation


def asks_more(turn: Turn) -> bool:
    """A question of more than a few words is not a "merci", an "ok" or a goodbye, even if it starts
    like one ("ok et jdois aller ou pr sinscrire")."""
    return len(turn.text.split()) > 3 and is_question(fold(turn.text))


def media(ctx: Context, state: State, turn: Turn, now: datetime) -> Reply | None:
    """A sticker, photo or voice note: say it cannot be read."""
    return Reply([Outgoing(ctx.t("media"))]) if turn.intent == MEDIA else None


def forget(ctx: Context, state: State, turn: Turn, now: datetime) -> Reply | None:
    """ "Oublie-moi" (or /oubli), its confirmation, and its cancellation."""
    if state.step == FORGET and turn.intent in ("forget_yes", "affirm"):
        return Reply([Outgoing(ctx.t("forget_done"))], erase=True)
    if state.step == FORGET and turn.intent in ("forget_no", "deny"):
        state.step = CONCERN
        return Reply([Outgoing(ctx.t("forget_cancelled"), buttons=ctx.concern_buttons())])
    if turn.intent == "forget_me" or turn.text.strip() == "/oubli":
        state.step = FORGET
        buttons = (
            Button(ctx.t.button("forget_yes"), "forget:yes"),
            Button(ctx.t.button("forget_no"), "forget:no"),
        )
        return Reply([Outgoing(ctx.t("forget_confirm"), buttons=buttons)])
    return None


def restart(ctx: Context, state: State, turn: Turn, now: datetime) -> Reply | None:
    """ "Menu" or a restart word: back to the concerns (an open handoff stays open for staff)."""
    if turn.intent == "menu" or (ctx.t.is_restart(turn.text) and state.step != NEW):
        state.concern, state.page, state.step = None, 0, CONCERN
        state.extra.pop(CONTEXT, None)  # what was gathered for an adviser is not sent later
        state.extra.pop(FOLLOW_UP, None)  # nor offered after another handoff
        state.extra.pop(LAST_ANSWER, None)  # a town given next is not for the answer before
        return Reply([Outgoing(ctx.t("restart"), buttons=ctx.concern_buttons())])
    return None


def small_talk(ctx: Context, intent: str) -> list[Outgoing]:
    t = ctx.t
    if intent == "greet":
        return [Outgoing(t("hello_again"), buttons=ctx.concern_buttons())]
    if intent == "thanks":
        return [Outgoing(t("thanks"), buttons=(ctx.button("other"), ctx.button("adviser")))]
    if intent == "goodbye":
        return [Outgoing(t("goodbye"))]
    if intent in ("help", "out_of_scope"):
        return [Outgoing(t(intent), buttons=ctx.concern_buttons())]
    if intent == "deny":
        return [Outgoing(t("deny"), buttons=ctx.concern_buttons())]
    return [Outgoing(t("affirm"), buttons=(ctx.button("other"), ctx.button("adviser")))]


def guesses(ctx: Context, turn: Turn) -> list[Outgoing]:
    """Low confidence: the two best guesses as buttons."""
    guessable = (*ctx.r.concerns, *GUESSABLE_EXTRA)
    best = [r["name"] for r in turn.ranking if r["name"] in guessable][:2]
    buttons = [Button(ctx.intent_label(name), f"intent:{name}") for name in best]
    if not buttons:
        return [Outgoing(ctx.t("ask_concern_again"), buttons=ctx.concern_buttons())]
    return [Outgoing(ctx.t("fallback"), buttons=(*buttons, ctx.button("other")))]
