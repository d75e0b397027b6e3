"""The concern's path: what it still needs (town, then age), then the services that fit, page by page,
and the questions about what was just shown ("c'est où ?", "ya un num ?")."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from bot.answers import named
from bot.cards import helpline_card, service_card
from bot.concerns import thematiques_besides
from bot.details import answer_detail
from bot.dialogue.context import LAST_ANSWER, Context
from bot.dialogue.turn import Reply, Turn
from bot.messages import Button, Card, Outgoing
from bot.routing import Match, Need, SpecificNeed, find_services
from bot.state import AGE, CONCERN, RESULTS, TOWN, State
from nlu.parser import DANGER_EXTRACTOR
from nlu.text import fold, words

OFFER_CONCERNS = ("job", "training")  # the services, then the offers' profile and cards (offers.py)


AID_QUESTION = re.compile(r"\b(?:aides?|financer|financement|financee?|subventions?|payer|paye|payes)\b")
AID_QUESTION_WORDS = 8  # a short question about aids ("ya des aides pour payer ?"), not a new story
TALK_CONCERNS = ("wellbeing", "health")  # under 16: the school, and for these the listening lines too


def advance(ctx: Context, state: State, now: datetime) -> list[Outgoing]:
    """Ask what the concern still needs (the concern, the town, the age), else show the results."""
    if state.concern is None:
        state.step = CONCERN
        return [Outgoing(ctx.t("ask_concern"), buttons=ctx.concern_buttons())]
    if state.elsewhere:
        return from_elsewhere(ctx, state)
    if state.commune is None and not state.town_unknown:
        state.step = TOWN
        return [Outgoing(ctx.t("ask_town"), buttons=ctx.town_buttons())]
    if state.ages is None and not state.age_skipped:
        state.step = AGE
        return [Outgoing(ctx.t("ask_age"), buttons=ctx.age_buttons())]
    if (
        state.concern in OFFER_CONCERNS
        and state.commune
        and specific(ctx, state) is None
        and not under_16(state)  # no job or apprenticeship offers yet
    ):
        from bot.dialogue import offers  # offers shows these results too: imported here, not at the top

        return offers.advance(ctx, state, now)
    return results(ctx, state, now, page=0)


def under_16(state: State) -> bool:
    return state.age_high is not None and state.age_high < 16


def specific(ctx: Context, state: State) -> SpecificNeed | None:
    """The narrower need the youth said within the concern (to eat, a free STI test), if any."""
    said = ctx.r.rules.specific_needs.get(str(state.extra.get("need")))
    return said if said is not None and said.fits(state.concern) else None


def specific_said(ctx: Context, turn: Turn) -> SpecificNeed | None:
    """The narrower need a message says ("plus rien pour manger"), or its button (need:food) asks for."""
    pressed = [str(v) for v in turn.values("need")]
    if pressed:
        return ctx.r.rules.specific_needs.get(pressed[0])
    return ctx.r.rules.specific_need(fold(turn.text)) if turn.text else None


def take_specific(ctx: Context, state: State, turn: Turn) -> None:
    """Remember the narrower need a message says for the concern it sets (or forget an earlier one)."""
    said = specific_said(ctx, turn)
    state.extra["need"] = said.name if said is not None and said.fits(state.concern) else None


def topic(ctx: Context, state: State) -> str:
    """What 'Pour ..., voilà ce que j'ai trouvé' names: the narrower need, else the concern."""
    said = specific(ctx, state)
    if said is not None:
        return said.phrase_in(ctx.t.language)
    return ctx.r.concerns[state.concern or ""].phrase_in(ctx.t.language)


def need(ctx: Context, state: State) -> Need:
    territory = ctx.r.territory
    commune = territory.commune(state.commune) if state.commune else None
    quartier = territory.quartier(state.quartier) if state.quartier else None
    concern = ctx.r.concerns[state.concern or ""]
    point = ctx.point(state)
    publics = frozenset(state.extra.get("publics", []))
    preferred = ctx.r.rules.preferred_partners.get(concern.name, frozenset())
    said = specific(ctx, state)
    if said is not None:  # a narrower need names its thématiques (or its networks) exactly
        return Need(
            said.thematiques, commune, quartier, state.ages, point, publics, preferred, reseaux=said.reseaux
        )
    elsewhere = thematiques_besides(ctx.r.concerns, concern.name)
    return Need(concern.thematiques, commune, quartier, state.ages, point, publics, preferred, elsewhere)


def matches(
    ctx: Context, state: State, now: datetime, limit: int | None = None
) -> tuple[tuple[Match, ...], bool, float | None]:
    """The services for the youth's need, best first: the first `limit` (all without)."""
    found = find_services(ctx.services(), need(ctx, state), ctx.r.rules, now, ctx.r.zone, ctx.nearby, limit)
    return found.matches, found.widened, found.radius_km


def results(ctx: Context, state: State, now: datetime, page: int) -> list[Outgoing]:
    state.step = RESULTS
    if state.concern is None:
        return advance(ctx, state, now)
    t = ctx.t
    size = ctx.r.rules.results_per_page
    found, widened, radius = matches(ctx, state, now, (page + 1) * size + 1)  # one more: "Plus de résultats"
    if under_16(state) and state.concern in OFFER_CONCERNS:
        # outside the network, ages are unknown: an employment agency is for 16 and over (its school first)
        found = tuple(m for m in found if not m.service.outside_network)
    shown = found[page * size : (page + 1) * size]
    if not found:
        text = t("nothing_found", concern=topic(ctx, state))
        offer = (*answer_buttons(ctx, state), ctx.button("adviser"), ctx.button("other"))
        return [*age_notes(ctx, state), Outgoing(text, cards=concern_lines(ctx, state), buttons=offer)]
    if not shown:  # the last page was shown: what still says where to go, an adviser, another subject
        text = t("results_end", concern=topic(ctx, state))
        offer = (*answer_buttons(ctx, state), ctx.button("adviser"), ctx.button("other"))
        return [Outgoing(text, buttons=offer)]
    state.page = page
    lead = age_notes(ctx, state) if page == 0 else []
    if page > 0:
        intro = t("results_more")
    elif all(m.service.outside_network for m in found):  # the network has nothing for it: say so
        intro = t("results_outside", concern=topic(ctx, state))
    elif widened:
        intro = t("results_widened", radius=f"{radius:.0f}")
    elif state.commune:
        intro = t("results_intro", concern=topic(ctx, state), place=state.quartier or state.commune)
    else:
        intro = t("results_intro_anywhere", concern=topic(ctx, state))
    cards = tuple(service_card(m, now, ctx.r.zone, t, ctx.r.village) for m in shown)
    if page == 0:
        cards += concern_lines(ctx, state)
    state.extra["shown"] = [m.service.id for m in shown]  # for "c'est où ?", "ya un num ?"
    buttons = [ctx.button("other"), ctx.button("adviser")]
    if len(found) > (page + 1) * size:
        buttons.append(ctx.button("more"))
    pending = [c for c in state.extra.get("pending_concerns", []) if c != state.concern]
    state.extra["pending_concerns"] = pending
    if pending:  # the next concern the youth told in the same message
        label = ctx.r.concerns[pending[0]].label_in(t.language)
        buttons.insert(0, Button(t.button("next_concern").format(concern=label), f"concern:{pending[0]}"))
    return [*lead, Outgoing(intro, cards=cards, buttons=tuple(buttons))]


def concern_lines(ctx: Context, state: State) -> tuple[Card, ...]:
    """The helplines that go with the concern (Fil Santé Jeunes for someone to talk to)."""
    numbers = ctx.r.rules.concern_helplines.get(state.concern or "", ())
    return tuple(helpline_card(h, ctx.t) for h in ctx.r.territory.helplines if h.number in numbers)


def answer_buttons(ctx: Context, state: State) -> tuple[Button, ...]:
    """Nothing found: the answers that still say where to go (data/routing.yml answers_when_nothing)."""
    keys = [str(state.extra.get("need") or ""), state.concern or ""]
    ids = [a for key in keys for a in ctx.r.rules.answers_when_nothing.get(key, ())]
    return fitting_answers(ctx, state, ids)[:2]


def fitting_answers(ctx: Context, state: State, ids: Iterable[str]) -> tuple[Button, ...]:
    """The answers of `ids` as buttons, those for the youth's age only (no CEJ at 14)."""
    found = [ctx.r.answers[a] for a in dict.fromkeys(ids) if a in ctx.r.answers]
    fitting = [a for a in found if a.fits(state.age_low, state.age_high)]
    return tuple(Button(answer.title, f"answer:{answer.id}") for answer in fitting)


def nothing_for_me(ctx: Context, state: State, turn: Turn) -> Turn:
    """ "y a rien pour moi ?" right after the results, as a request for more: the danger model alone may
    read distress in it, but no danger phrase says so (those always go to the helplines first)."""
    if state.step != RESULTS or state.crisis_active or turn.intent != "crisis" or not turn.text:
        return turn
    kinds = [e for e in turn.entities if e["entity"] == "crisis_kind"]
    guessed = all(e.get("extractor") == DANGER_EXTRACTOR for e in kinds)
    named = [ctx.r.crisis.kinds.get(str(e["value"])) for e in kinds]
    soft = all(kind is not None and kind.ask for kind in named)  # an indirect sign, nothing named
    if guessed and soft and ctx.r.details.asks_for_more(fold(turn.text)):
        return replace(turn, intent="more")
    return turn


def more(ctx: Context, state: State, turn: Turn, now: datetime) -> list[Outgoing]:
    """The next page of results."""
    return results(ctx, state, now, page=state.page + 1)


def told(ctx: Context, turn: Turn) -> list[str]:
    """The concerns a message with several says, in order (its `concern` entities)."""
    return [str(v) for v in turn.values("concern") if v in ctx.r.concerns]


def several_concerns(ctx: Context, state: State, turn: Turn) -> list[Outgoing]:
    """A message with several concerns: say what is kept, take them one at a time (the first now)."""
    said = told(ctx, turn)
    if len(said) < 2:
        return []
    state.concern = state.concern if state.concern in said else said[0]
    state.extra["pending_concerns"] = [c for c in said if c != state.concern]
    language = ctx.t.language
    labels = ", ".join(ctx.r.concerns[c].label_in(language).lower() for c in said)
    first = ctx.r.concerns[state.concern].label_in(language).lower()
    return [Outgoing(ctx.t("concerns_noted", concerns=labels, first=first))]


def age_notes(ctx: Context, state: State) -> list[Outgoing]:
    """Over 25, France Travail; under 16, school and the listening point (answers/moins_16_plus_25)."""
    if state.crisis_active:  # the lines of the danger are said; no "ask your school" to a youth in danger
        return []
    if state.age_low is not None and state.age_low > 25:
        return [Outgoing(ctx.t("over_25"))]
    if under_16(state):  # the listening lines only when it is about that
        talk = state.concern in TALK_CONCERNS
        return [Outgoing(ctx.t("under_16_talk" if talk else "under_16"))]
    return []


def from_elsewhere(ctx: Context, state: State) -> list[Outgoing]:
    """A town outside the territory: say so, and where to go instead (what is open to everybody too)."""
    state.step = RESULTS
    concern = ctx.r.concerns[state.concern or ""]
    buttons = (Button(ctx.t.button("town_local"), "town:other"), ctx.button("other"))
    return [
        Outgoing(ctx.t("elsewhere", place=state.elsewhere)),
        *age_notes(ctx, state),
        Outgoing(ctx.t("elsewhere_where", concern=concern.phrase_in(ctx.t.language)), buttons=buttons),
    ]


def aids_asked(ctx: Context, state: State, turn: Turn) -> list[Outgoing]:
    """ "ya des aides ?" right after a concern's places: the knowledge base's answers on its aids, as
    buttons (the permis: the 1 € a day loan, the Region's cheque...), not the places for money."""
    concern = ctx.r.concerns.get(state.concern or "")
    if state.step != RESULTS or concern is None or not concern.aids or not turn.text:
        return []
    folded = fold(turn.text)
    if not AID_QUESTION.search(folded) or len(words(folded)) > AID_QUESTION_WORDS:
        return []
    if named(ctx.r.answers, folded) is not None:  # "et le cheque permis ?": that answer, the usual way
        return []
    other = ctx.clear_concern(turn) and turn.intent not in (state.concern, "money")
    if other or specific_said(ctx, turn) is not None:  # "ya des aides pour manger ?": another need
        return []
    buttons = fitting_answers(ctx, state, concern.aids)
    if not buttons:
        return []
    text = ctx.t("aids_for", concern=concern.phrase_in(ctx.t.language))
    return [Outgoing(text, buttons=(*buttons, ctx.button("other")))]


def detail_asked(ctx: Context, state: State, turn: Turn) -> str | None:
    """Which detail of the cards just shown the message asks for (where, phone, hours...), if any."""
    if state.step != RESULTS or not state.extra.get("shown") or not turn.text:
        return None
    detail = ctx.r.details.asked(fold(turn.text))
    said = specific_said(ctx, turn)  # "et le ccas c'est où ?": another need, not the cards shown
    other_need = said is not None and said is not specific(ctx, state)
    return detail if detail and not ctx.clear_concern(turn) and not other_need else None


def about_shown(ctx: Context, state: State, turn: Turn, now: datetime) -> Reply | None:
    """Where, phone, hours, cost, appointment, documents or what, for the card asked about; the aids of
    the concern shown."""
    offered = aids_asked(ctx, state, turn)
    if offered:
        return Reply(offered)
    detail = detail_asked(ctx, state, turn)
    if detail is None:
        return about_answered(ctx, state, turn, now)
    by_id = {s.id: s for s in ctx.services()}
    shown = [by_id[i] for i in state.extra.get("shown", []) if i in by_id]
    if not shown:
        return Reply(results(ctx, state, now, page=state.page))
    service = ctx.r.details.card(fold(turn.text), shown)
    reply = answer_detail(detail, service, fold(turn.text), now, ctx.r.zone, ctx.t, ctx.point(state))
    buttons = (*reply.buttons, ctx.button("adviser"), ctx.button("other"))
    general = ctx.r.answers.get("documents_a_apporter")
    local_mission = service.partner_kind == "mission-locale"
    documented = service.justificatifs or service.pre_requis or service.conditions_acces
    if detail == "documents" and not documented and general and local_mission:
        # what any mission locale asks (sourced)
        return Reply([*ctx.in_french(), Outgoing(general.bubbles[0], buttons=buttons)])
    # "y a quoi d'ouvert la ?" at night after a danger: the place's hours, then the lines that answer now
    if detail == "hours" and ctx.near_the_danger(state):
        return Reply([Outgoing(reply.text), *ctx.crisis_path.which_number(state)])
    note = f"cost_note_{state.concern}"
    if detail == "cost" and ctx.t.has(note):  # the help is free, the licence is not: say so, and the aids
        aids = (*answer_buttons(ctx, state), ctx.button("adviser"))
        return Reply([Outgoing(reply.text), Outgoing(ctx.t(note, partner=service.partner_nom), buttons=aids)])
    return Reply([Outgoing(reply.text, buttons=buttons)])


PLACE_DETAILS = ("address", "phone", "hours")  # what only a place can tell


def about_answered(ctx: Context, state: State, turn: Turn, now: datetime) -> Reply | None:
    """ "C'est ouvert samedi ?" right after an answer (the mission locale, the E2C): it depends on the place,
    so the places of the answer's concern near the youth, whose cards say it."""
    answer = ctx.last_answer(state)
    if answer is None or state.extra.get("shown") or not turn.text or ctx.clear_concern(turn):
        return None
    concern = next((f.concern for f in answer.follow_up if f.concern in ctx.r.concerns), None)
    if concern is None or ctx.r.details.asked(fold(turn.text)) not in PLACE_DETAILS:
        return None
    state.concern = concern
    state.extra.pop(LAST_ANSWER)
    return Reply([Outgoing(ctx.t("depends_on_place")), *advance(ctx, state, now)])
