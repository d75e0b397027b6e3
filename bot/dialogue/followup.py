"""The offer of a follow-up ("Tu veux que je te relance dans une semaine ?"), made after offers, after the
exploration's call-back and after its "non merci". Its buttons are taken by bot/dialogue/offers.py
(`offers:followup:yes` schedules the follow-up, bot/followups.py)."""

from __future__ import annotations

from bot.dialogue.context import Context
from bot.messages import Button, Outgoing


def follow_up_offer(ctx: Context, key: str = "followup_offer") -> Outgoing:
    """ "Tu veux que je te relance dans une semaine ?": yes schedules a follow-up (bot/followups.py)."""
    consent = (
        Button(ctx.t.button("followup_yes"), "offers:followup:yes"),
        Button(ctx.t.button("followup_no"), "offers:followup:no"),
    )
    return Outgoing(ctx.t(key), buttons=consent)
