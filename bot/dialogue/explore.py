""" "Jsp koi faire": a short exploration that ends with a trade to try and a person to meet.

A youth with no idea what work to do (intent `explore`, or the menu's "Trouver ce qui me plaît") gets at
most six playful questions with buttons, each skippable (texts: `explore` in data/dialogue/<language>.yml),
then, in order:

1. three trades that fit the answers (bot/explore.py scores them; data/explore/trades.yml);
2. the ways to try them that fit the youth's age (a placement, apprenticeship, the E2C, the EPIDE);
3. the partner services near the youth that help choose and try a trade (bot/routing.py), asking the town
   first when it is not known (skippable);
4. the job offers, then the trainings, for the trades' ROME codes near the youth (`offers_for_trades`,
   bot/offers/);
5. "Tu veux qu'un conseiller t'appelle ou t'écrive pour en parler ?": a handoff to the youth's mission
   locale (or the E2C, then the EPIDE, where no mission locale covers the youth's town and the age fits),
   the answers and trades attached for the adviser (bot/dialogue/handoff.py's CONTEXT).

Where it stands is `state.extra["explore"]`: the answers, the question being asked, the stage."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.cards import offer_card, service_card
from bot.dialogue import concern, results
from bot.dialogue.context import Context
from bot.dialogue.followup import follow_up_offer
from bot.dialogue.handoff import CONTEXT, FOLLOW_UP, already_open, choose_partner, open_handoff
from bot.dialogue.profile import take_answers
from bot.dialogue.turn import Reply, Turn
from bot.explore import Question, Trade
from bot.messages import Button, Card, Outgoing
from bot.offers.matching import Profile, Wanted
from bot.routing import zone_fits
from bot.state import CONCERN, EXPLORE, HANDOFF_QUESTION, RESULTS, State
from nlu.text import any_of, fold

INTENT = "explore"  # the intent and the concern (data/concerns.yml) of this flow
CHOICE = "explore_choice"  # a button of this flow: explore:<question>=<answer>, explore:call...
KEY = "explore"  # state.extra
SKIP = "skip"
QUESTIONS, TOWN, CONTACT, DONE = "questions", "town", "contact", "done"  # the stages
LEFT = "left"  # the youth asked for something else mid-way: the next "jsp koi faire" takes up from there
PARTNER_KINDS = ("mission-locale", "ecole-deuxieme-chance", "epide")  # who calls back, in this order
CALL, WRITE, NO = "call", "write", "no"


def bare_dont_know(ctx: Context, turn: Turn) -> Turn:
    """A bare "jsp" / "je sais pas" answers a question (the town, the age, "tu penses à mourir ?"): it is
    not "jsp koi faire", whatever the classifier read in it; it is understood as it was before."""
    if turn.intent != INTENT or not ctx.t.is_dont_know(turn.text):
        return turn
    ranking = tuple(r for r in turn.ranking if r.get("name") != INTENT)
    return replace(turn, intent="nlu_fallback", confidence=0.0, ranking=ranking)


def explore(ctx: Context, state: State, turn: Turn, now: datetime) -> Reply | None:
    """Takes the turn when the youth asks to explore, or answers what the exploration asked."""
    if turn.intent == INTENT and state.step != EXPLORE:
        return start(ctx, state, turn)
    progress: dict[str, Any] = state.extra.get(KEY) or {}
    stage = progress.get("stage")
    if stage == QUESTIONS and state.step == EXPLORE:
        return answer(ctx, state, turn, now, progress)
    if stage == TOWN and state.step == EXPLORE:
        return town(ctx, state, turn, now, progress)
    later = turn.intent == CHOICE and progress.get("trades") and contact_choice(ctx, turn)
    if stage == CONTACT or later:  # the last question, or its buttons pressed later
        reply = contact(ctx, state, turn, now, progress)
        if reply is not None:
            return reply
    if turn.intent == CHOICE:  # an older question's button: the questions again, or where they stopped
        return start(ctx, state, turn)
    return None


def start(ctx: Context, state: State, turn: Turn) -> Reply:
    """The welcome at first contact, what the message tells (town, age), the intro and the first question."""
    lead = concern.welcome(ctx, state)
    take_answers(ctx, state, turn)
    state.concern, state.page, state.step = INTENT, 0, EXPLORE
    before: dict[str, Any] = state.extra.get(KEY) or {}
    if before.get("stage") == LEFT:  # left mid-way for something else: take up where it stopped
        before["stage"] = QUESTIONS
        return Reply([*lead, Outgoing(ctx.t.part("explore", "resume")), question(ctx, int(before["at"]))])
    state.extra[KEY] = {"answers": {}, "at": 0, "stage": QUESTIONS}
    count = len(ctx.r.explorer.questions)
    intro = Outgoing(ctx.t.part("explore", "intro", count=count))
    return Reply([*lead, intro, question(ctx, 0)])


def question(ctx: Context, index: int) -> Outgoing:
    """Question `index` with its answers and "Passer" as buttons."""
    t = ctx.t
    asked = ctx.r.explorer.questions[index]
    text = t.part("explore", "questions", asked.id)
    count = len(ctx.r.explorer.questions)
    buttons = [
        Button(t.part("explore", "answers", asked.id, a.id), f"explore:{asked.id}={a.id}")
        for a in asked.answers
    ]
    buttons.append(Button(t.part("explore", "buttons", "skip"), f"explore:{asked.id}={SKIP}"))
    return Outgoing(
        t.part("explore", "question", number=index + 1, count=count, text=text), buttons=tuple(buttons)
    )


def answer(ctx: Context, state: State, turn: Turn, now: datetime, progress: dict[str, Any]) -> Reply | None:
    """An answer (pressed or typed), or "passer": the next question, or what comes after the last one."""
    index = int(progress["at"])
    asked = ctx.r.explorer.questions[index]
    chosen = pressed(turn, asked) or typed(ctx, turn, asked)
    lead: list[Outgoing] = []
    if chosen is None:
        if leaves(ctx, turn):  # a clear other request: the exploration stops, the concern's path takes it
            state.step, progress["stage"] = CONCERN, LEFT
            return None
        if take_answers(ctx, state, turn):  # "jsuis de champi" between two questions is kept
            return Reply([question(ctx, index)])
        progress["unclear"] = int(progress.get("unclear", 0)) + 1
        if progress["unclear"] < 2:
            return Reply([Outgoing(ctx.t.part("explore", "unclear")), question(ctx, index)])
        chosen, lead = SKIP, [Outgoing(ctx.t.part("explore", "skipped_for_you"))]  # never stuck on a question
    progress["unclear"] = 0
    if chosen != SKIP:
        progress["answers"][asked.id] = chosen
    progress["at"] = index + 1
    if index + 1 < len(ctx.r.explorer.questions):
        return Reply([*lead, question(ctx, index + 1)])
    if state.commune is None and not state.town_unknown and not state.elsewhere:
        progress["stage"] = TOWN
        skip = Button(ctx.t.part("explore", "buttons", "skip"), f"explore:town={SKIP}")
        town_question = Outgoing(ctx.t.part("explore", "town"), buttons=(*ctx.town_buttons()[:-1], skip))
        return Reply([*lead, town_question])
    return Reply([*lead, *finish(ctx, state, now, progress)])


def pressed(turn: Turn, asked: Question) -> str | None:
    """The answer of a button of this question (an old question's button is not an answer to this one)."""
    if turn.intent != CHOICE:
        return None
    question_id, _, answer_id = str(turn.values("choice")[0]).partition("=")
    if question_id != asked.id or not (answer_id == SKIP or asked.answer(answer_id)):
        return None
    return answer_id


def typed(ctx: Context, turn: Turn, asked: Question) -> str | None:
    """The answer a typed message gives ("dehors", "avec les mains"), or SKIP for "passer" / "jsp"."""
    if not turn.text:
        return None
    folded = fold(turn.text)
    if ctx.t.is_dont_know(turn.text) or folded in ctx.t.words_at("explore", "skip_words"):
        return SKIP
    for option in asked.answers:
        words = ctx.t.words_at("explore", "words", asked.id, option.id)
        if words and any_of(words).search(folded):
            return option.id
    return None


def leaves(ctx: Context, turn: Turn) -> bool:
    """A message that asks for something else: another concern said clearly, an adviser, a question."""
    if turn.intent == INTENT:
        return False
    return ctx.clear_concern(turn) or turn.intent in (*concern.ASKS, "town_other")


def town(ctx: Context, state: State, turn: Turn, now: datetime, progress: dict[str, Any]) -> Reply | None:
    """The town, to show where to try near the youth; skipped or not understood, the results come anyway."""
    if not take_answers(ctx, state, turn):
        if leaves(ctx, turn):
            state.step, progress["stage"] = CONCERN, DONE
            return None  # the questions were all asked: the next "jsp koi faire" starts afresh
        state.town_unknown = True
    return Reply(finish(ctx, state, now, progress))


def finish(ctx: Context, state: State, now: datetime, progress: dict[str, Any]) -> list[Outgoing]:
    """Three trades, the ways to try them, the services and offers near the youth, then a person."""
    t, explorer = ctx.t, ctx.r.explorer
    answers: dict[str, str] = progress["answers"]
    trades = explorer.best(answers)
    progress["trades"], progress["stage"] = [trade.id for trade in trades], CONTACT
    state.step = RESULTS
    intro = t.part("explore", "results" if answers else "results_all_skipped")
    bubbles = results.age_notes(ctx, state)  # over 25: France Travail; under 16: the school first
    bubbles.append(Outgoing(intro, cards=tuple(trade_card(ctx, trade) for trade in trades)))
    ways = explorer.fitting_ways(state.ages)
    for audience, key in (("everyone", "ways"), ("no_diploma", "ways_no_diploma")):
        lines = [way.text.get(t.language) or way.text["fr"] for way in ways if way.audience == audience]
        if lines:
            bubbles.append(Outgoing("\n".join([t.part("explore", key), *lines])))
    bubbles += services_near(ctx, state, now)
    wanted_near: tuple[tuple[Wanted, str], ...] = (("job", "offers"), ("training", "trainings"))
    for wanted, key in wanted_near:
        cards = offers_for_trades(ctx, state, trades, now, wanted)
        if cards:
            bubbles.append(Outgoing(t.part("explore", key), cards=cards))
    choices = tuple(Button(t.part("explore", "buttons", c), f"explore:{c}") for c in (CALL, WRITE, NO))
    bubbles.append(Outgoing(t.part("explore", "contact"), buttons=choices))
    return bubbles


def trade_card(ctx: Context, trade: Trade) -> Card:
    """A trade: what it is, where, whether one can start without a diploma (its ROME fiche), how to train."""
    t, language = ctx.t, ctx.t.language
    return Card(
        kind="trade",
        id=trade.id,
        title=trade.in_language(trade.title, language),
        subtitle=trade.in_language(trade.description, language),
        details=(
            t.part("explore", "card", "where", text=trade.in_language(trade.where, language)),
            start_line(ctx, trade),
            t.part("explore", "card", "training", text=trade.in_language(trade.training, language)),
            t.part("explore", "card", "rome", code=trade.rome_code, label=trade.rome_label),
        ),
    )


def start_line(ctx: Context, trade: Trade) -> str:
    """Can one start without a diploma, as the trade's ROME fiche says; unknown: ask the adviser."""
    if trade.access is None:
        return ctx.t.part("explore", "start", "unknown")
    says = trade.in_language(trade.access.says, ctx.t.language)
    return ctx.t.part("explore", "start", trade.access.start, says=says)


def services_near(ctx: Context, state: State, now: datetime) -> list[Outgoing]:
    """The partner services that help choose and try a trade near the youth (routing, room first)."""
    if state.commune is None:
        return []
    found = results.matches(ctx, state, now, ctx.r.rules.results_per_page)[0]
    if not found:
        return []
    state.extra["shown"] = [m.service.id for m in found]  # for "c'est où ?", "ya un num ?"
    cards = tuple(service_card(m, now, ctx.r.zone, ctx.t, ctx.r.village) for m in found)
    text = ctx.t.part("explore", "services", place=state.quartier or state.commune)
    return [Outgoing(text, cards=cards)]


SHOWN_NEAR = {"job": 3, "training": 2}  # after the three trades: offers and trainings in them near the youth


def offers_for_trades(
    ctx: Context, state: State, trades: list[Trade], now: datetime, wanted: Wanted = "job"
) -> tuple[Card, ...]:
    """Job and apprenticeship offers (or trainings) for the trades' ROME codes near the youth, nearest and
    open to beginners first (bot/offers/matching.py); none without a known town."""
    point = ctx.point(state)
    if point is None:
        return ()
    profile = Profile(wanted=wanted, radius_km=20.0, beginner=True, far_km=ctx.r.offers.stations.far_km)
    found = ctx.offers([t.rome_code for t in trades], point, profile, now, SHOWN_NEAR[wanted], 0)
    return tuple(offer_card(offer, index, ctx.t) for index, offer in enumerate(found))


def contact(ctx: Context, state: State, turn: Turn, now: datetime, progress: dict[str, Any]) -> Reply | None:
    """ "Appelle-moi" / "écris-moi": the handoff, answers attached; "non merci"; anything else: not ours."""
    choice = contact_choice(ctx, turn)
    progress["stage"] = DONE
    if choice is None:
        return None
    if choice == NO:  # no one to call, but a word in a week, if they agree
        no_contact = Outgoing(ctx.t.part("explore", "no_contact"), buttons=(ctx.button("other"),))
        return Reply([no_contact, follow_up_offer(ctx, "followup_offer_explore")])
    if state.handoff_id is not None:
        return Reply(already_open(ctx, state))
    state.extra[CONTEXT] = summary(ctx, progress, choice)
    state.extra[FOLLOW_UP] = "followup_offer_explore"  # once the handoff is open, whichever way it opens
    partner = adviser_partner(ctx, state)
    if partner is None:
        return Reply(choose_partner(ctx, state, now))
    state.handoff_partner = partner
    if choice == WRITE:
        return open_handoff(ctx, state, None, urgent=False, now=now)
    state.step = HANDOFF_QUESTION  # the number, typed next, is the question (bot/dialogue/handoff.py)
    buttons = (
        Button(ctx.t.button("handoff_skip"), "handoff:skip"),
        Button(ctx.t.button("handoff_choose"), "handoff:choose"),
    )
    return Reply(
        [Outgoing(ctx.t.part("explore", "number", partner=ctx.partner_name(partner)), buttons=buttons)]
    )


def contact_choice(ctx: Context, turn: Turn) -> str | None:
    """Call, write or no, pressed or typed ("ouais appelle moi", "non merci")."""
    if turn.intent == CHOICE:
        value = str(turn.values("choice")[0])
        return value if value in (CALL, WRITE, NO) else None
    folded = fold(turn.text)
    if any_of(["appelle", "appeler", "appel", "tel", "telephone", "call"]).search(folded):
        return CALL
    if any_of(["ecris", "ecrire", "message", "write", "text"]).search(folded) or turn.intent == "affirm":
        return WRITE
    return NO if turn.intent == "deny" else None


def adviser_partner(ctx: Context, state: State) -> str | None:
    """The youth's mission locale; where none covers their town, the E2C, then the EPIDE, if the age fits."""
    commune = ctx.r.territory.commune(state.commune) if state.commune else None
    if commune is None:
        return None
    for kind in PARTNER_KINDS:
        way = ctx.r.explorer.way_of(kind)
        if way is not None and not way.fits(state.ages):
            continue
        local = [s for s in ctx.services() if s.partner_kind == kind and zone_fits(s, commune)]
        if local:
            return local[0].partner_id
    return None


def summary(ctx: Context, progress: dict[str, Any], choice: str) -> str:
    """What the adviser reads first in the question: the answers, the trades shown, call or write (French)."""
    fr, explorer = ctx.r.texts, ctx.r.explorer
    answers: dict[str, str] = progress["answers"]
    said = " · ".join(
        f"{fr.part('explore', 'labels', q.id)} : "
        + (
            fr.part("explore", "answers", q.id, answers[q.id])
            if q.id in answers
            else fr.part("explore", "skipped")
        )
        for q in explorer.questions
    )
    shown = [explorer.trade(trade_id) for trade_id in progress.get("trades", [])]
    trades = ", ".join(f"{trade.title['fr']} ({trade.rome_code})" for trade in shown if trade)
    wanted = fr.part("explore", "handoff_call" if choice == CALL else "handoff_write")
    return fr.part("explore", "handoff", answers=said, trades=trades, contact=wanted)
