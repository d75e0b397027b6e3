"""Questions the knowledge base answers (data/answers/), and putting the others to an adviser."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from bot.answers import Answer, named
from bot.crisis import MAJORITY
from bot.dialogue.context import LAST_ANSWER, Context
from bot.dialogue.handoff import (
    ask_question,
    choose_partner,
    close_buttons,
    open_handoff,
    suggested_partner,
)
from bot.dialogue.turn import FAQ, Reply, Turn
from bot.messages import Button, Outgoing
from bot.state import HANDOFF, State
from nlu.answers import confident_answer, is_question, ranked
from nlu.text import fold

NAMED_WORDS = (
    6  # a message this short naming an aid asks about it: "cpf permis", "jcherche un service civique"
)


def named_topic(ctx: Context, turn: Turn) -> Turn:
    """A short message that names one aid or programme of the knowledge base ("permis 1 euro", "femme
    relai", "jcherche un service civique", or a question of which nothing else was understood: "c quoi le
    115"), as the question for its answer; other turns as they are."""
    if not turn.text or turn.intent in (FAQ, "crisis") or len(turn.text.split()) > NAMED_WORDS:
        return turn
    folded = fold(turn.text)
    if is_question(folded) and turn.intent != "nlu_fallback":  # a question the selector was unsure of
        return turn  # stays unsure; one that nothing was understood in ("c quoi le 115") asks for the aid
    answer_id = named(ctx.r.answers, folded)
    if answer_id is None:
        return turn
    response = {"intent_response_key": f"{FAQ}/{answer_id}", "confidence": 1.0}
    return replace(turn, intent=FAQ, confidence=1.0, response_selector={FAQ: {"response": response}})


def own_file(ctx: Context, turn: Turn) -> Turn:
    """A question on the youth's own file ("mon allocation cej est pas arrivée ce mois ci ?") as a question
    for an adviser, even when it reads like a concern (money): no general answer or list of places fits."""
    if not turn.text or turn.intent in (FAQ, "crisis"):
        return turn
    folded = fold(turn.text)
    if is_question(folded) and ctx.r.details.about_own_case(folded, strictly=True):
        return replace(turn, intent=FAQ, response_selector=None)
    return turn


def confident(ctx: Context, turn: Turn) -> bool:
    """Whether the message is a question the knowledge base answers surely."""
    found = confident_answer(turn.response_selector, ctx.r.answer_threshold) if turn.intent == FAQ else None
    return found is not None and found in ctx.r.answers


def names_a_place(turn: Turn) -> bool:
    """Whether the message names a town or a neighbourhood ("la mission locale de champi")."""
    return any(turn.values(entity) for entity in ("commune", "quartier", "elsewhere"))


def answer(ctx: Context, state: State, turn: Turn, now: datetime) -> list[Outgoing]:
    """A sourced answer of data/answers/; unsure, the question is offered to an adviser instead."""
    folded = fold(turn.text)
    found = best(ctx, state, turn, folded)
    own_case = ctx.r.details.about_own_case(folded)
    one_place = not own_case and ctx.r.details.about_one_place(
        folded, names_a_place(turn), found.id if found else None
    )
    within = within_ages(ctx, state, turn, found)
    if within is not None:
        return within
    emergency = ctx.crisis_path.emergency_again(state) if state.crisis_active else []
    if emergency and (found is None or own_case or one_place or said_just_before(state, found)):
        # "elle veut pas le samu", "on l'emmène en uber ?" during an overdose: the 15 again, not "ask an
        # adviser" nor "it's in my message above"
        return emergency
    if found is None or own_case or one_place:  # unsure, or what only an adviser or the place knows
        state.extra["question"] = turn.text.strip()[:1000]
        offer = (Button(ctx.t.button("ask_this"), "faq:adviser"), ctx.button("other"))
        said = "answer_own_case" if own_case else "answer_one_place" if one_place else "answer_unsure"
        return [Outgoing(ctx.t(said), buttons=offer)]
    if said_just_before(state, found):
        return [Outgoing(ctx.t("answer_above"), buttons=follow_up(ctx, found))]
    state.extra[LAST_ANSWER] = found.id
    bubbles = sourced(ctx, found)
    if any(f.adviser for f in found.follow_up):
        state.extra["question"] = turn.text.strip()[:1000]
    bubbles[-1] = Outgoing(bubbles[-1].text, buttons=follow_up(ctx, found))
    return bubbles


def best(ctx: Context, state: State, turn: Turn, folded: str) -> Answer | None:
    """The answer of the base for this question, or None when unsure."""
    answer_id = confident_answer(turn.response_selector, ctx.r.answer_threshold)
    found = aid_named(ctx, state, ctx.r.answers.get(answer_id or ""), folded)
    if ctx.near_the_danger(state) and follow_up_question(folded) and named(ctx.r.answers, folded) is None:
        # "c gratuit ?", "jdois payer ?" in a crisis are about what was just said: the danger's answer (the
        # 3018's "ne paie pas" after a sextortion), else an answer across the services (not the E2C's pay
        # because the selector leaned that way)
        found = of_the_danger(ctx, state, turn, folded) or (found if found and found.across else None)
    else:
        found = found or of_the_danger(ctx, state, turn, folded)
    if ctx.r.details.uncovered(folded) and named(ctx.r.answers, folded) is None:
        found = None  # "le bafa c financé par qui ?": no answer of the base, whatever sounds close
    if found is None and ctx.near_the_danger(state) and ABOUT_THE_EMERGENCY.search(folded):
        # "si jappelle les pompiers on va avoir des problemes ?" beside a friend who does not wake up: an
        # emergency's first answer (what to do until help comes) rather than "I'm not sure"
        emergency = [k.name for k in ctx.r.crisis.ordered(state.crisis_kinds) if k.emergency and k.answers]
        found = ctx.r.answers.get(ctx.r.crisis.answers_for(emergency)[0]) if emergency else None
    if (
        found is not None
        and found.ages is not None
        and found.ages[1] < MAJORITY
        and not found.fits(state.age_low, state.age_high)
    ):
        return None  # written for minors ("on préviendra tes parents"): wrong, and deterring, for an adult
    return found


def while_waiting(ctx: Context, state: State, turn: Turn, now: datetime) -> Reply | None:
    """A question the base answers surely, asked while a question waits for an adviser ("c gratuit ?",
    "c anonyme ?"): its answer at once, not "passed on"; the message still joins the open question, so
    the adviser reads it too. What only the adviser or the place can say is left to the adviser."""
    if state.step != HANDOFF or state.handoff_id is None or turn.intent != FAQ or not turn.text:
        return None
    folded = fold(turn.text)
    found = best(ctx, state, turn, folded)
    if (
        found is None
        or ctx.r.details.about_own_case(folded)
        or ctx.r.details.about_one_place(folded, named=True)  # the place is the partner: its day, its hours
    ):
        return None
    partner = ctx.partner_name(state.handoff_partner or "")
    told = Outgoing(ctx.t("handoff_answered", partner=partner), buttons=close_buttons(ctx, state))
    if said_just_before(state, found):
        return Reply([Outgoing(ctx.t("answer_above")), told], thread=True)
    state.extra[LAST_ANSWER] = found.id
    return Reply([*sourced(ctx, found), told], thread=True)


def said_just_before(state: State, found: Answer) -> bool:
    """After a danger, the answer just given ("faut aller à l'hôpital ?" right after the answer on the
    first hours after a rape): pointed to, not said twice."""
    return state.crisis and state.extra.get(LAST_ANSWER) == found.id


def follow_up(ctx: Context, found: Answer) -> tuple[Button, ...]:
    """The buttons after an answer: its follow-ups that lead somewhere here, or "Autre chose"."""
    needs = ctx.r.rules.specific_needs
    buttons = tuple(
        Button(
            f.title, "faq:adviser" if f.adviser else f"need:{f.need}" if f.need else f"concern:{f.concern}"
        )
        for f in found.follow_up
        if f.adviser or f.concern in ctx.r.concerns or f.need in needs
    )
    return buttons or (ctx.button("other"),)


def places_after(ctx: Context, state: State) -> tuple[str, str | None] | None:
    """The concern, and the narrower need, that the last answer's button to places offers ("Trouver ma
    mission locale" after the CEJ), for a youth who then only gives a town or an age."""
    found = ctx.last_answer(state)
    needs = ctx.r.rules.specific_needs
    for f in found.follow_up if found is not None else ():
        if f.need in needs:
            return needs[f.need].concern, f.need
        if f.concern in ctx.r.concerns:
            return f.concern, None
    return None


def within_ages(ctx: Context, state: State, turn: Turn, found: Answer | None) -> list[Outgoing] | None:
    """ "jai 17 ans jpeux y aller ?" right after an answer that says who it is for (the EPIDE: 17-25): the
    answer for those outside the usual ages (under 16, over 25) is not for this youth; the question is
    about the answer before, whose ages say yes or no. None when that is not the case."""
    before = ctx.last_answer(state)
    if found is None or found.outside_ages is None or before is None or before.ages is None:
        return None
    ages = turn.values("age")
    low, high = (int(ages[0]), int(ages[0])) if ages else (state.age_low, state.age_high)
    if low is None or high is None or low < found.outside_ages[0] or high > found.outside_ages[1]:
        return None
    first, last = before.ages
    fits = first <= low and high <= last
    said = ctx.t("answer_ages_fit" if fits else "answer_ages_unfit", low=first, high=last)
    return [Outgoing(said, buttons=follow_up(ctx, before) if fits else (ctx.button("other"),))]


COST_ANSWERS = ("gratuit",)  # "is it free, how much": right after an aid's answer, about that aid


def aid_named(ctx: Context, state: State, found: Answer | None, folded: str) -> Answer | None:
    """An answer across the services ("c'est gratuit ?") gives way to the answer of the one aid the
    question names ("la css c'est gratuit ou faut payer ?"), which says what it costs, or for whom; naming
    none, right after an aid's answer ("c payé combien ?" after the service civique), to that answer."""
    if found is None or not found.across:
        return found
    aid = named(ctx.r.answers, folded)
    if aid is not None:
        return ctx.r.answers.get(aid, found)
    before = ctx.last_answer(state)
    if found.id in COST_ANSWERS and before is not None and not before.across:
        return before  # each aid's answer says what it costs or pays
    return found


# a question about calling for help, the help itself or what to do until it comes (not "c une crise
# d'angoisse ?", which is about the youth's state)
ABOUT_THE_EMERGENCY = re.compile(
    r"\b(?:appel\w*|pompiers?|samu|15|112|secours|ambulance|hopital|urgences|police|flics|problemes?|ennuis|"
    r"en attendant|position|reveill\w*|respir\w*|vomi\w*)\b"
)
FOLLOW_UP_WORDS = 8  # "faut une ordonnance ?", "c anonyme ?": short, about what was just said


def of_the_danger(ctx: Context, state: State, turn: Turn, folded: str) -> Answer | None:
    """A short question after a danger whose kind allows answers ("faut une ordonnance ?" after a broken
    condom): the answer the selector surely chose if that kind allows it; else, of the answers the kind
    allows, the first in data/crisis.yml's order (most urgent first: the emergency pill before testing)
    that the selector ranks at all; the kind's first answer when the selector leans to an answer across
    the services (cost, appointment, ages)."""
    allowed = ctx.r.crisis.answers_for(state.crisis_kinds)
    if not allowed or not follow_up_question(folded):
        return None
    sure = confident_answer(turn.response_selector, ctx.r.answer_threshold)
    if sure in allowed:  # "ivg sans mes parents ?" after a pregnancy panic: that answer, surely chosen
        return ctx.r.answers.get(sure)
    considered = ranked(turn.response_selector)
    first_ranked = next((a for a in allowed if a in considered), None)
    top = ctx.r.answers.get(considered[0]) if considered else None
    if first_ranked is None and top is not None and top.across:
        # "jdois payer ?" after a sextortion, "c gratuit ?" after 3114: what was just given costs what,
        # asks what: the danger's own first answer (the 3018's "ne paie pas"), not what is free in general
        first_ranked = allowed[0]
    return ctx.r.answers.get(first_ranked or "")


def follow_up_question(folded: str) -> bool:
    return len(folded.split()) <= FOLLOW_UP_WORDS


def sourced(ctx: Context, found: Answer) -> list[Outgoing]:
    """An answer's bubbles, the last with its first source and the source's year; in another language
    than French, first a line that says the answers are in French (data/answers/ is)."""
    bubbles = [*ctx.in_french(), *(Outgoing(text) for text in found.bubbles)]
    if found.sources:
        source = found.sources[0]
        line = ctx.t("answer_source", site=source.site, date=source.date[:4])
        bubbles[-1] = Outgoing(f"{bubbles[-1].text}\n{line}")
    return bubbles


def in_danger(ctx: Context, state: State, turn: Turn, allowed: set[str]) -> list[Outgoing]:
    """A question asked in a message of danger ("la capote a craqué, la pilule du lendemain faut la prendre
    quand ?"): its sourced answer, to say after the lines, when the kind of danger allows that answer."""
    answer_id = confident_answer(turn.response_selector, ctx.r.answer_threshold)
    found = ctx.r.answers.get(answer_id or "")
    if found is None or found.id not in allowed or ctx.r.details.about_own_case(fold(turn.text)):
        return []
    state.extra[LAST_ANSWER] = found.id
    return sourced(ctx, found)


def ask_this(ctx: Context, state: State, turn: Turn, now: datetime) -> Reply:
    """Put the question the youth typed to an adviser, without asking it again."""
    question = str(state.extra.get("question") or "")
    partner = suggested_partner(ctx, state, now)
    if not question or state.handoff_id is not None:
        return Reply(ask_question(ctx, state, now))
    if partner is None:
        return Reply(choose_partner(ctx, state, now))
    state.handoff_partner = partner
    state.extra.pop("question", None)
    return open_handoff(ctx, state, question, urgent=False, now=now)
