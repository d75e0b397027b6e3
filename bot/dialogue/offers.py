"""Job, apprenticeship and training offers, for the concerns `job` and `training`.

Once the town (and the age) are known, the services that fit come at once; then the offers' profile is
asked one question at a time, only what is not known yet, and remembered for the whole conversation
(State.extra["offers"]): what the youth wants (job, alternance or training: read from their words when
they say it), the trade in their words (data/offers/trades.yml), how far they can go, whether they have
a licence and a car, and, for an apprenticeship or a training, their diploma. Then up to five offer
cards (bot/offers/matching.py), "Plus d'offres", "Me faire aider pour postuler" (a question to the
youth's mission locale with the offer attached), and once, the offer of a follow-up in a week.

`take` is the handler of the table (bot/dialogue/__init__.py): the offers' buttons, the answers to its
questions (anything else typed meanwhile goes on down the table), a new trade said at the results, the
answers to a follow-up, and "stop"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.cards import offer_card
from bot.dialogue import results
from bot.dialogue.context import Context
from bot.dialogue.followup import follow_up_offer
from bot.dialogue.handoff import already_open, choose_partner, open_handoff
from bot.dialogue.turn import Reply, Turn
from bot.messages import Button, Outgoing
from bot.offers.matching import Profile, RankedOffer, Wanted
from bot.state import RESULTS, State
from nlu.text import any_of, fold

CONCERNS = results.OFFER_CONCERNS
KEY = "offers"  # State.extra[KEY]: the youth's offers profile and what was shown
ASKED = ("wanted", "trades", "radius_km", "mobile", "diploma")  # the profile, in the order it is asked
LEAVES = ("ask_human", "faq", "ask_this", "village", "greet", "thanks", "goodbye")  # not an answer
DEFAULTS = {"wanted": "job", "trades": [], "radius_km": 10, "mobile": False, "diploma": 0}
RADII = (5, 10, 20, 30)
NEAR_KM = 3  # "pas loin"
ALTERNANCE_WORDS = any_of(["alternance", "alternant", "alternante", "apprentissage", "apprenti", "apprentie",
                           "en alternance", "contrat pro", "contrat de professionnalisation"])  # fmt: skip
JOB_WORDS = any_of(["job", "taf", "boulot", "travail", "un emploi", "bosser", "cdi", "cdd", "interim"])
TRAINING_WORDS = any_of(["formation", "me former", "une formation", "se former"])
ANY_WORDS = any_of(["peu importe", "nimporte", "n importe", "n importe quoi", "tout", "je sais pas", "jsp",
                    "jsais pas", "sais pas", "pas d idee", "aucune idee", "ce qui vient"])  # fmt: skip
NEAR_WORDS = any_of(["pas loin", "pa loin", "pas trop loin", "pa tro loin", "pas tro loin", "a cote",
                     "a coter", "proche", "pres de chez moi", "pres", "a pied", "dans le coin"])  # fmt: skip
KM = re.compile(r"\b(\d{1,3})\s*(?:km|kilometres?|kms)?\b")
STOP_WORDS = ("stop", "stop relance", "stop les relances", "arrete", "arrete les relances", "plus de relance")
DIPLOMAS = (  # (payload value, European level, words)
    ("none", 0, any_of(["aucun", "rien", "pas de diplome", "sans diplome", "nada", "non"])),
    ("cap", 3, any_of(["cap", "bep", "brevet pro"])),
    ("bac", 4, any_of(["bac", "bac pro", "baccalaureat"])),
    ("more", 5, any_of(["bts", "dut", "but", "licence", "bac 2", "bac 3", "master", "fac"])),
)
MOBILITY = {"car": True, "licence": False, "none": False}
MOBILITY_WORDS = (
    (
        "licence",
        any_of(["permis sans voiture", "permis mais pas de voiture", "pas de voiture", "pas de caisse"]),
    ),
    ("none", any_of(["non", "pas le permis", "ni l un ni l autre", "nan", "aucun"])),
    ("car", any_of(["oui", "ouais", "les deux", "permis et voiture", "jai une voiture", "j ai une voiture"])),
)


@dataclass(frozen=True)
class Asked:
    """What a pressed offers button says: `kind` (want, trade, radius, mobility, diploma, more, help,
    followup) and its value."""

    kind: str
    value: str


def pressed(turn: Turn) -> Asked | None:
    if turn.intent != KEY:
        return None
    kind, _, value = str(turn.values(KEY)[0]).partition(":")
    return Asked(kind, value)


def profile_of(state: State) -> dict[str, Any]:
    stored: dict[str, Any] = state.extra.setdefault(KEY, {})
    return stored


# -- the handler ------------------------------------------------------------------------------------


def take(ctx: Context, state: State, turn: Turn, now: datetime) -> Reply | None:
    """The offers' buttons and questions, a follow-up's answers, "stop"; otherwise only notes what the
    message tells about the offers profile (the trade, an apprenticeship) and lets the table go on."""
    asked = pressed(turn)
    if asked is None and fold(turn.text) in STOP_WORDS:
        profile_of(state)["follow_up"] = "stopped"
        return Reply([Outgoing(ctx.t("followup_stopped"))], follow_up="cancel")
    if asked is not None and asked.kind == "followup":
        return follow_up(ctx, state, asked.value, now)
    note(ctx, state, turn)
    if state.concern not in CONCERNS:
        return None
    if asked is not None:
        return button(ctx, state, asked, now)
    asking = profile_of(state).get("asking")
    if asking and state.step == RESULTS and turn.text:
        return typed_answer(ctx, state, turn, str(asking), now)
    about = about_offer(ctx, state, turn)
    if about:
        return Reply(about)
    if (
        state.step == RESULTS
        and turn.text
        and ctx.r.offers.trades.said(turn.text)
        and not results.detail_asked(ctx, state, turn)
    ):
        return Reply(offers(ctx, state, now, page=0))  # "et dans la vente ?": the offers of that trade
    return None


def about_offer(ctx: Context, state: State, turn: Turn) -> list[Outgoing]:
    """ "c'est où ?", "ya un num ?" right after offer cards: what the card says (employer, town) and the
    ad itself, where the exact address and the contact are (the offer named by its number, else the
    first)."""
    shown = profile_of(state).get("shown") or []
    if state.step != RESULTS or not shown or state.extra.get("shown") or not turn.text:
        return []
    folded = fold(turn.text)
    if ctx.r.details.asked(folded) is None or ctx.clear_concern(turn):
        return []
    number = next((int(w) for w in folded.split() if w.isdigit() and 1 <= int(w) <= len(shown)), 1)
    _source, _id, title, employer, commune, url = shown[number - 1]
    text = ctx.t("offer_details", title=title, employer=employer or "?", commune=commune or "?")
    buttons = (Button(ctx.t.button("apply"), url=url),) if url else ()
    return [Outgoing(text, buttons=(*buttons, ctx.button("adviser"), ctx.button("other")))]


def typed_answer(ctx: Context, state: State, turn: Turn, asking: str, now: datetime) -> Reply | None:
    """A message while a question of the profile waits: its answer, or anything else the table takes (a
    corrected town or age, "c'est où ?", another subject); unclear, the question again, then its default."""
    profile = profile_of(state)
    if answer(ctx, state, turn.text, asking):
        profile.pop("asking", None)
        return Reply(next_step(ctx, state, now))
    if (
        turn.entities
        or results.detail_asked(ctx, state, turn)
        or ctx.clear_concern(turn)
        or turn.intent in LEAVES
    ):
        return None  # not an answer: the rest of the table takes it
    if profile.get("unclear") == asking:  # not understood twice: the default, and on
        profile[asking] = DEFAULTS[asking]
        profile.pop("asking", None)
        return Reply(next_step(ctx, state, now))
    profile["unclear"] = asking
    return Reply(ask(ctx, state, again=True))


def note(ctx: Context, state: State, turn: Turn) -> None:
    """Remember what the message says of the offers profile: a trade, an apprenticeship, a training (also
    in the message that says the concern: "jaimerais un apprentissage dans la mecanique auto")."""
    if not turn.text or (state.concern not in CONCERNS and turn.intent not in CONCERNS):
        return
    profile = profile_of(state)
    said = ctx.r.offers.trades.said(turn.text)
    if said:
        profile["trades"] = [trade.id for trade in said]
    folded = fold(turn.text)
    if ALTERNANCE_WORDS.search(folded):
        profile["wanted"] = "alternance"
    elif TRAINING_WORDS.search(folded) and state.concern == "training":
        profile["wanted"] = "training"


def button(ctx: Context, state: State, asked: Asked, now: datetime) -> Reply:
    profile = profile_of(state)
    if asked.kind == "more":
        return Reply(offers(ctx, state, now, page=int(profile.get("page", 0)) + 1))
    if asked.kind == "help":
        return help_to_apply(ctx, state, asked.value, now)
    if asked.kind == "want" and asked.value in ("job", "alternance", "training"):
        profile["wanted"] = asked.value
    elif asked.kind == "trade":
        profile["trades"] = [] if asked.value == "any" else [asked.value]
    elif asked.kind == "radius" and asked.value.isdigit():
        profile["radius_km"] = int(asked.value)
    elif asked.kind == "mobility" and asked.value in MOBILITY:
        profile["mobile"] = MOBILITY[asked.value]
    elif asked.kind == "diploma":
        profile["diploma"] = next((level for name, level, _ in DIPLOMAS if name == asked.value), 0)
    if profile.pop("asking", None) or missing(state) is not None:
        return Reply(next_step(ctx, state, now))  # the next question, or the offers and the follow-up
    return Reply(offers(ctx, state, now, page=0))  # a change after the offers: the offers again


def answer(ctx: Context, state: State, text: str, step: str) -> bool:
    """A typed answer to the question `step` of the profile; False if it is not understood."""
    profile, folded = profile_of(state), fold(text)
    if step == "trades":
        said = ctx.r.offers.trades.said(text)
        if said or ANY_WORDS.search(folded):
            profile["trades"] = [trade.id for trade in said]
            return True
    elif step == "radius_km":
        number = KM.search(folded)
        if NEAR_WORDS.search(folded) or (number and 0 < int(number.group(1)) <= 200):
            profile["radius_km"] = int(number.group(1)) if number else NEAR_KM
            return True
    elif step == "mobile":
        found = next((value for value, words in MOBILITY_WORDS if words.search(folded)), None)
        if found:
            profile["mobile"] = MOBILITY[found]
            return True
    elif step == "diploma":
        level = next((level for _, level, words in reversed(DIPLOMAS) if words.search(folded)), None)
        if level is not None:
            profile["diploma"] = level
            return True
    elif step == "wanted":
        wanted = wanted_in(folded)
        if wanted:
            profile["wanted"] = wanted
            return True
    return False


def wanted_in(folded: str) -> str | None:
    """What a typed answer says the youth wants: an apprenticeship, a training or a job."""
    if ALTERNANCE_WORDS.search(folded):
        return "alternance"
    if TRAINING_WORDS.search(folded):
        return "training"
    return "job" if JOB_WORDS.search(folded) else None


# -- what is still needed, then the results ------------------------------------------------------------


def missing(state: State) -> str | None:
    """The next thing of the profile to ask, or None when the offers can be shown."""
    profile = profile_of(state)
    if state.concern == "training":
        profile.setdefault("wanted", "training")
    for name in ASKED:
        if name == "diploma" and profile.get("wanted") == "job":
            continue  # a job's offers say what they ask; the diploma matters for what to learn
        if name not in profile:
            return name
    return None


def advance(ctx: Context, state: State, now: datetime) -> list[Outgoing]:
    """The services that fit at once, then the first question of the offers' profile still missing, or
    the offers when it is all known (results.advance, once the town and the age are known)."""
    return results.results(ctx, state, now, page=0) + next_step(ctx, state, now)


def next_step(ctx: Context, state: State, now: datetime) -> list[Outgoing]:
    """The next question of the profile, or the offers."""
    if missing(state) is not None:
        return ask(ctx, state)
    return offers(ctx, state, now, page=0, first=True)


def ask(ctx: Context, state: State, again: bool = False) -> list[Outgoing]:
    """A question of the profile, with its buttons (the conversation stays at its results meanwhile)."""
    name = missing(state) or "trades"
    profile_of(state)["asking"] = name
    state.step = RESULTS
    t = ctx.t
    lead = [Outgoing(t("offers_not_understood"))] if again else []  # then the same question
    if name == "wanted":
        choices = tuple(
            Button(t.button(f"want_{w}"), f"offers:want:{w}") for w in ("job", "alternance", "training")
        )
        return [*lead, Outgoing(t("offers_ask_wanted"), buttons=choices)]
    if name == "trades":
        trades = ctx.r.offers.trades.trades[:9]
        choices = (
            *(Button(tr.label, f"offers:trade:{tr.id}") for tr in trades),
            Button(t.button("trade_any"), "offers:trade:any"),
        )
        return [*lead, Outgoing(t("offers_ask_trade"), buttons=choices)]
    if name == "radius_km":
        choices = (
            Button(t.button("radius_near"), f"offers:radius:{NEAR_KM}"),
            *(Button(t.button("radius_km").format(km=km), f"offers:radius:{km}") for km in RADII),
        )
        return [*lead, Outgoing(t("offers_ask_radius"), buttons=choices)]
    if name == "mobile":
        choices = tuple(Button(t.button(f"mobility_{m}"), f"offers:mobility:{m}") for m in MOBILITY)
        return [*lead, Outgoing(t("offers_ask_mobility"), buttons=choices)]
    choices = tuple(Button(t.button(f"diploma_{name}"), f"offers:diploma:{name}") for name, _, _ in DIPLOMAS)
    return [*lead, Outgoing(t("offers_ask_diploma"), buttons=choices)]


def ranking_profile(ctx: Context, state: State) -> Profile:
    profile = profile_of(state)
    wanted: Wanted = profile.get("wanted") or ("training" if state.concern == "training" else "job")
    return Profile(
        wanted=wanted,
        radius_km=float(profile.get("radius_km") or 10),
        beginner=True,  # 16-25 and "invisible": offers accepting beginners come first
        mobile=bool(profile.get("mobile")),
        far_km=ctx.r.offers.stations.far_km,
        diploma_level=profile.get("diploma"),
    )


def found(ctx: Context, state: State, now: datetime, page: int) -> list[RankedOffer]:
    """The offers of a page, and one more to know whether another page follows."""
    point = ctx.point(state)
    if point is None:
        return []
    codes = ctx.r.offers.trades.rome_codes(list(profile_of(state).get("trades") or []))
    size = ctx.r.offers.per_page
    return ctx.offers(codes, point, ranking_profile(ctx, state), now, size + 1, page * size)


def offers(ctx: Context, state: State, now: datetime, page: int, first: bool = False) -> list[Outgoing]:
    """Up to `per_page` offer cards, then the choices; the first time, the offer of a follow-up."""
    t, profile = ctx.t, profile_of(state)
    state.step = RESULTS
    size = ctx.r.offers.per_page
    page_offers = found(ctx, state, now, page)
    shown, more = page_offers[:size], len(page_offers) > size
    what = phrase(ctx, state)
    radius = int(profile.get("radius_km") or 10)
    if not shown:
        key = "offers_end" if page else "offers_none"
        options = (*other_searches(ctx, state, page), *results.answer_buttons(ctx, state))
        options += (ctx.button("adviser"), ctx.button("other"))
        return [Outgoing(t(key, what=what, radius=radius), buttons=options)]
    profile["page"] = page
    profile["shown"] = [
        [o.source, o.id, o.title[:80], o.employer or "", o.commune or "", o.apply_url or ""] for o in shown
    ]
    state.extra.pop("shown", None)  # the last cards are offers: "c'est où ?" is about them, not the places
    intro = t("offers_more") if page else t("offers_intro", what=what, radius=radius)
    if any(o.is_demo for o in shown):
        intro = f"{intro} {t('offers_demo_note')}"
    cards = tuple(offer_card(o, index, t) for index, o in enumerate(shown))
    buttons = [Button(t.button("offers_help"), "offers:help:")]
    if more:
        buttons.append(Button(t.button("offers_more"), "offers:more"))
    buttons.append(ctx.button("other"))
    bubbles = [Outgoing(intro, cards=cards, buttons=tuple(buttons))]
    if first and "follow_up" not in profile:
        profile["follow_up"] = "offered"
        bubbles.append(follow_up_offer(ctx))
    return bubbles


def other_searches(ctx: Context, state: State, page: int) -> tuple[Button, ...]:
    """No offer: what else to search at once: farther, every trade, the other kind of offer."""
    if page:
        return ()
    t, profile = ctx.t, profile_of(state)
    searches = []
    if int(profile.get("radius_km") or 10) < 30:
        searches.append(Button(t.button("radius_km").format(km=30), "offers:radius:30"))
    if profile.get("trades"):
        searches.append(Button(t.button("all_trades"), "offers:trade:any"))
    wanted = profile.get("wanted") or ("training" if state.concern == "training" else "job")
    other = "alternance" if wanted != "alternance" else "job"
    searches.append(Button(t.button(f"want_{other}"), f"offers:want:{other}"))
    return tuple(searches)


def phrase(ctx: Context, state: State) -> str:
    """'en alternance, Mécanique auto'."""
    profile = profile_of(state)
    wanted = profile.get("wanted") or ("training" if state.concern == "training" else "job")
    trades = [ctx.r.offers.trades.get(trade_id) for trade_id in profile.get("trades") or []]
    labels = ", ".join(trade.label for trade in trades if trade)
    kind = ctx.t.button(f"what_{wanted}")
    return f"{kind} ({labels.lower()})" if labels else kind


# -- help to apply, follow-ups --------------------------------------------------------------------------


def help_to_apply(ctx: Context, state: State, value: str, now: datetime) -> Reply:
    """ "Me faire aider pour postuler": which offer (when several were shown), then a question to the
    youth's mission locale with the offer attached (its title, employer, town and link)."""
    shown = profile_of(state).get("shown") or []
    if not shown:
        return Reply(offers(ctx, state, now, page=0))
    if not value.isdigit() and len(shown) > 1:
        choices = tuple(Button(f"{n + 1}. {row[2]}"[:24], f"offers:help:{n}") for n, row in enumerate(shown))
        return Reply([Outgoing(ctx.t("offers_which"), buttons=choices)])
    _source, _id, title, employer, commune, url = shown[
        int(value) if value.isdigit() and int(value) < len(shown) else 0
    ]
    if state.handoff_id is not None:
        return Reply(already_open(ctx, state))
    question = ctx.t(
        "offers_help_question", title=title, employer=employer or "?", commune=commune or "?", url=url
    )
    local = [s for s in ctx.services() if s.partner_kind == "mission-locale" and ctx.covers(s, state)]
    if not local:
        state.extra["question"] = question  # asked once a partner is chosen
        return Reply(choose_partner(ctx, state, now))
    state.handoff_partner = local[0].partner_id
    return open_handoff(ctx, state, question.strip(), urgent=False, now=now)


def follow_up(ctx: Context, state: State, value: str, now: datetime) -> Reply:
    """Yes or no to the follow-up; the answers to a follow-up sent (it worked, not yet, stop)."""
    profile, t = profile_of(state), ctx.t
    if value == "yes":
        profile["follow_up"] = "scheduled"
        return Reply([Outgoing(t("followup_yes_reply"))], follow_up="schedule")
    if value == "no":
        profile["follow_up"] = "declined"
        return Reply([Outgoing(t("followup_no_reply"), buttons=(ctx.button("other"),))], follow_up="declined")
    if value == "found":
        profile["follow_up"] = "answered"
        return Reply([Outgoing(t("followup_found_reply"), buttons=(ctx.button("other"),))], follow_up="found")
    if value == "not_yet":
        profile["follow_up"] = "answered"
        again = (Button(t.button("new_offers"), "concern:job"), ctx.button("adviser"))
        return Reply([Outgoing(t("followup_not_yet_reply"), buttons=again)], follow_up="not_yet")
    profile["follow_up"] = "stopped"
    return Reply([Outgoing(t("followup_stopped"))], follow_up="cancel")
