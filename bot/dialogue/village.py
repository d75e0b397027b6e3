"""The 360° village in the chat: "village" -> a neighbourhood -> its scene cards with their stands. A youth
from one of the village's neighbourhoods is offered their own at once, with the others as buttons."""

from __future__ import annotations

from datetime import datetime

from bot.cards import scene_card
from bot.dialogue.context import Context
from bot.dialogue.turn import Turn
from bot.messages import Button, Outgoing
from bot.state import State
from bot.village import short_name

SCENE = "village_scene"  # the intent of a neighbourhood's button (payload village:<quartier's first scene>)


def village(ctx: Context, state: State, turn: Turn, now: datetime) -> list[Outgoing]:
    """The youth's own neighbourhood if it is in the village, else the choice of a neighbourhood."""
    if state.quartier in ctx.r.village.quartiers():
        return scenes_of(ctx, state.quartier, own=True)
    return [Outgoing(ctx.t("village_choose"), buttons=(*quartier_buttons(ctx, None), ctx.button("other")))]


def scene(ctx: Context, state: State, turn: Turn, now: datetime) -> list[Outgoing]:
    """A neighbourhood's button: its scenes."""
    chosen = ctx.r.village.scene(str((turn.values("scene") or [""])[0]))
    if chosen is None:  # an old button of a scene since removed
        return village(ctx, state, turn, now)
    return scenes_of(ctx, chosen.quartier, own=chosen.quartier == state.quartier)


def scenes_of(ctx: Context, quartier: str | None, own: bool) -> list[Outgoing]:
    the_village = ctx.r.village
    cards = tuple(
        scene_card(s, the_village, tuple(short_name(ctx.partner_name(h.target)) for h in s.stands), ctx.t)
        for s in the_village.scenes_of(quartier)
    )
    name = cards[0].title.split(" (")[0] if cards else quartier or ""
    text = ctx.t("village_own" if own else "village_scene", quartier=name)
    return [Outgoing(text, cards=cards, buttons=(*quartier_buttons(ctx, quartier), ctx.button("other")))]


def quartier_buttons(ctx: Context, shown: str | None) -> tuple[Button, ...]:
    """One button per neighbourhood of the village but `shown`, named as its first scene."""
    firsts = [ctx.r.village.scenes_of(q)[0] for q in ctx.r.village.quartiers() if q != shown]
    return tuple(Button(s.title, f"village:{s.id}") for s in firsts)
