"""A question for partner staff: asking it, choosing the partner, the youth's messages while it is open."""

from __future__ import annotations

from datetime import datetime

from bot.dialogue.context import Context
from bot.dialogue.followup import follow_up_offer
from bot.dialogue.profile import only_answers, take_answers
from bot.dialogue.results import matches
from bot.dialogue.turn import HandoffRequest, Reply, Turn
from bot.handoffs import when_answered
from bot.messages import Button, Outgoing
from bot.state import CONCERN, HANDOFF, HANDOFF_QUESTION, TOWN, State

ASK_HUMAN = "ask_human"

CONTEXT = "handoff_context"  # state.extra: text a sub-flow attaches to the next question (explore.py)
# the best matches whose partners are offered first (the network's come first: more than it has)
BEST_MATCHES = 100
FOLLOW_UP = "handoff_follow_up"  # state.extra: the text key of a follow-up offered once the handoff is open


def ask_question(ctx: Context, state: State, now: datetime) -> list[Outgoing]:
    """Ask for the question in one message (skippable), naming the partner who will get it."""
    if state.handoff_id is not None:
        return already_open(ctx, state)
    partner = suggested_partner(ctx, state, now)
    if partner is None and state.commune is None and not state.town_unknown and not state.elsewhere:
        state.step, state.extra["then"] = TOWN, ASK_HUMAN  # the nearest partner, not a list of ten
        return [Outgoing(ctx.t("handoff_town"), buttons=ctx.town_buttons())]
    if partner is None:
        return choose_partner(ctx, state, now)
    state.step, state.handoff_partner = HANDOFF_QUESTION, partner
    buttons = (
        Button(ctx.t.button("handoff_skip"), "handoff:skip"),
        Button(ctx.t.button("handoff_choose"), "handoff:choose"),
        Button(ctx.t.button("cancel"), "menu"),
    )
    return [Outgoing(ctx.t("handoff_ask", partner=ctx.partner_name(partner)), buttons=buttons)]


def already_open(ctx: Context, state: State) -> list[Outgoing]:
    """One question at a time: say who already has it."""
    state.step = HANDOFF
    return [Outgoing(ctx.t("handoff_already", partner=ctx.partner_name(state.handoff_partner or "")))]


def handoff_turn(ctx: Context, state: State, turn: Turn, now: datetime) -> Reply | None:
    """The question, the choice of partner, and the youth's messages while a handoff is open."""
    if not (turn.intent.startswith("handoff_") or state.step in (HANDOFF_QUESTION, HANDOFF)):
        return None
    t = ctx.t
    if turn.intent == "handoff_choose":
        return Reply(choose_partner(ctx, state, now))
    if turn.intent == "handoff_partner":
        state.handoff_partner = str(turn.values("partner")[0])
        if ctx.partner_name(state.handoff_partner) == state.handoff_partner:  # not a partner we know
            return Reply(choose_partner(ctx, state, now))
        if state.extra.get("question"):  # typed before the partner was chosen: not lost
            return open_handoff(ctx, state, str(state.extra.pop("question")), urgent=False, now=now)
        state.step = HANDOFF_QUESTION
        skip = (Button(t.button("handoff_skip"), "handoff:skip"),)
        return Reply(
            [Outgoing(t("handoff_ask", partner=ctx.partner_name(state.handoff_partner)), buttons=skip)]
        )
    if state.step == HANDOFF_QUESTION and take_answers(ctx, state, turn) and only_answers(ctx, turn):
        # "I live in Fontenay": the town, not the question; a question kept meanwhile goes to the nearest
        # partner at once, never asked again
        kept = state.extra.get("question")
        if kept and (partner := suggested_partner(ctx, state, now)) is not None:
            state.handoff_partner = str(partner)
            del state.extra["question"]
            return open_handoff(ctx, state, str(kept), urgent=False, now=now)
        return Reply(ask_question(ctx, state, now))
    if (
        state.step == HANDOFF_QUESTION
        and state.handoff_partner
        and (turn.intent == "handoff_skip" or turn.text)
    ):
        return open_handoff(ctx, state, turn.text.strip() or None, urgent=False, now=now)
    if (
        state.step == HANDOFF_QUESTION
        and turn.text.strip()
        and turn.intent != "ask_human"
        and not state.extra.get("question")
    ):
        return Reply(keep_question(ctx, state, turn.text, now))
    if turn.intent == "handoff_close_yes" and not state.handoff_urgent:
        state.step, state.handoff_id = CONCERN, None
        return Reply([Outgoing(t("handoff_closed"))], close_handoff=True)
    partner = ctx.partner_name(state.handoff_partner or "")
    if turn.intent == "handoff_close" and not state.handoff_urgent:
        buttons = (
            Button(t.button("handoff_close_yes"), "handoff:close:yes"),
            Button(t.button("handoff_keep"), "handoff:keep"),
        )
        return Reply([Outgoing(t("handoff_close_confirm", partner=partner), buttons=buttons)])
    if state.step == HANDOFF and turn.text:
        take_answers(ctx, state, turn)  # "jsuis a champigny jai 17 ans": the adviser's panel shows them
    number = ctx.crisis_path.line_now(state)
    if turn.intent in ("handoff_close", "handoff_close_yes", "handoff_keep"):
        key = "handoff_stays_urgent" if state.handoff_urgent else "handoff_kept"
        return Reply([Outgoing(t(key, partner=partner, number=number))])
    if state.step == HANDOFF and turn.intent in ("thanks", "goodbye", "affirm"):
        key = "handoff_stays_urgent" if state.handoff_urgent else "handoff_thanks"
        return Reply([Outgoing(t(key, partner=partner, number=number), buttons=close_buttons(ctx, state))])
    if state.step == HANDOFF and turn.text and state.handoff_urgent:
        # "jsuis seul jme sens bizarre" while an urgent question waits: after an emergency its lines first,
        # and always the line for now, not only "passed on"
        lines = ctx.crisis_path.emergency_again(state) if state.crisis_active else []
        said = Outgoing(t("handoff_ack_urgent", partner=partner, number=number))
        return Reply([*lines, said], thread=True)
    if state.step == HANDOFF and turn.text:
        return Reply([Outgoing(t("handoff_ack"), buttons=close_buttons(ctx, state))], thread=True)
    return None


def keep_question(ctx: Context, state: State, text: str, now: datetime) -> list[Outgoing]:
    """The question typed before a partner was chosen: kept, and the partners to choose from."""
    state.step, state.extra["question"] = HANDOFF_QUESTION, text.strip()[:1000]
    return [Outgoing(ctx.t("handoff_question_kept"), buttons=partner_buttons(ctx, state, now))]


def open_handoff(
    ctx: Context,
    state: State,
    question: str | None,
    urgent: bool,
    now: datetime,
    crisis_kind: str | None = None,
) -> Reply:
    partner = state.handoff_partner or ""
    state.step, state.handoff_urgent = HANDOFF, urgent
    context = state.extra.pop(CONTEXT, None)  # what a sub-flow gathered for the adviser, before the question
    follow_up = state.extra.pop(FOLLOW_UP, None)  # a sub-flow's follow-up offer, once the handoff is open
    if context:
        question = f"{context}\n\n{question}" if question else str(context)
    request = HandoffRequest(partner, question, urgent, state.concern, crisis_kind)
    when = when_answered(ctx.partner_hours(partner), now, ctx.t, ctx.r.zone)
    text = ctx.t("handoff_sent", partner=ctx.partner_name(partner), when=when)
    if "french_note" in ctx.t.raw:  # this language's own note: partners answer in French
        text = f"{text}\n{ctx.t('french_note')}"
    buttons = close_buttons(ctx, state)
    messages = [Outgoing(text, buttons=buttons)]
    if follow_up:
        messages.append(follow_up_offer(ctx, str(follow_up)))
    return Reply(messages, open_handoff=request, thread=True)


def suggested_partner(ctx: Context, state: State, now: datetime) -> str | None:
    """The partner of the best match, else the youth's mission locale, else none (the youth chooses)."""
    if state.concern and (state.commune or state.town_unknown):
        found, _, _ = matches(ctx, state, now, 1)  # the network's come first
        ours = [m for m in found if not m.service.outside_network]  # never a handoff outside the network
        if ours:
            return ours[0].service.partner_id
    local = [s for s in ctx.network() if s.partner_kind == "mission-locale" and ctx.covers(s, state)]
    return local[0].partner_id if local else None


def choose_partner(ctx: Context, state: State, now: datetime) -> list[Outgoing]:
    state.step = HANDOFF_QUESTION
    return [Outgoing(ctx.t("handoff_choose"), buttons=partner_buttons(ctx, state, now))]


def partner_buttons(ctx: Context, state: State, now: datetime) -> tuple[Button, ...]:
    """The partners of the youth's best matches first, then those covering their town, then the rest (for
    a youth in danger, only those of routing.yml's `crisis_partners`; after a danger, those first)."""
    names: dict[str, str] = {}
    if state.concern:
        for match in matches(ctx, state, now, BEST_MATCHES)[0]:
            if not match.service.outside_network:
                names.setdefault(match.service.partner_id, match.service.partner_nom)
    for service in sorted(ctx.network(), key=lambda s: not ctx.covers(s, state)):
        names.setdefault(service.partner_id, service.partner_nom)
    if state.crisis:  # a danger was told: the listening point, then missions locales and educators first
        rules = ctx.r.rules
        first = sorted(names, key=lambda p: (p not in rules.crisis_partners, p != rules.listening_partner))
        names = {pid: names[pid] for pid in first}
    if state.crisis_active:  # in danger now: only those, never a school's admissions
        names = {pid: name for pid, name in names.items() if pid in ctx.r.rules.crisis_partners}
    return tuple(Button(name, f"handoff:partner:{pid}") for pid, name in list(names.items())[:10])


def close_buttons(ctx: Context, state: State) -> tuple[Button, ...]:
    """Closing a question takes a button and a confirmation; an urgent one is closed by staff only."""
    return () if state.handoff_urgent else (Button(ctx.t.button("handoff_close"), "handoff:close"),)
