"""Follow-ups the youth agreed to ("Tu veux que je te relance dans une semaine pour voir si ça a marché ?"):
scheduled in the conversation, sent when due by a scheduled job through the outbox (on WhatsApp outside
the 24-hour window, the follow-up template), answered with a button, cancelled by "stop". Each step is
counted in the anonymous daily tallies (metric `follow_up`) for the statistics."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import tallies
from bot.enums import Direction, FollowUpStatus
from bot.messages import Button, Outgoing
from bot.models import Conversation, FollowUp, Message, Youth
from bot.outbox import enqueue
from bot.state import State
from bot.texts import Texts

Renderer = Callable[[Outgoing], list[dict[str, Any]]]
ANSWERS = ("found", "not_yet", "stop")  # the buttons of a follow-up: followup:<answer>


def schedule(
    session: Session, youth_id: int, now: datetime, days: float, offer: tuple[str, str] | None = None
) -> FollowUp:
    """One follow-up in `days` (replacing any still waiting: one relance at a time)."""
    cancel_all(session, youth_id)
    follow_up = FollowUp(
        youth_id=youth_id,
        status=FollowUpStatus.SCHEDULED,
        due_at=now + timedelta(days=days),
        created_at=now,
        offer_source=offer[0] if offer else None,
        offer_id=offer[1][:120] if offer else None,
    )
    session.add(follow_up)
    return follow_up


def cancel_all(session: Session, youth_id: int) -> int:
    """Cancel every follow-up still waiting for this youth ("stop"); how many."""
    result = session.execute(
        update(FollowUp)
        .where(FollowUp.youth_id == youth_id, FollowUp.status == FollowUpStatus.SCHEDULED)
        .values(status=FollowUpStatus.CANCELLED)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def answer(session: Session, youth_id: int, value: str) -> FollowUp | None:
    """Record the youth's answer to their last follow-up sent; None if there is none to answer."""
    follow_up = session.scalars(
        select(FollowUp)
        .where(FollowUp.youth_id == youth_id, FollowUp.status == FollowUpStatus.SENT)
        .order_by(FollowUp.id.desc())
        .limit(1)
    ).first()
    if follow_up is not None:
        follow_up.status, follow_up.answer = FollowUpStatus.ANSWERED, value[:20]
    return follow_up


def message(texts: Texts) -> Outgoing:
    return Outgoing(
        texts("followup_message"),
        buttons=tuple(Button(texts.button(f"followup_{value}"), f"followup:{value}") for value in ANSWERS),
    )


def send_due(
    session: Session, now: datetime, texts_for: Callable[[str], Texts], renderers: dict[str, Renderer]
) -> int:
    """Send every follow-up due now, once (a conditional update claims each): stored in the youth's
    conversation, and in the outbox for Telegram and WhatsApp (the widget reads the conversation). How
    many were sent."""
    due = session.scalars(
        select(FollowUp).where(FollowUp.status == FollowUpStatus.SCHEDULED, FollowUp.due_at <= now).limit(200)
    ).all()
    sent = 0
    for follow_up in due:
        won = session.execute(
            update(FollowUp)
            .where(FollowUp.id == follow_up.id, FollowUp.status == FollowUpStatus.SCHEDULED)
            .values(status=FollowUpStatus.SENT, sent_at=now)
        )
        youth = session.get(Youth, follow_up.youth_id)
        if getattr(won, "rowcount", 0) != 1 or youth is None:
            continue
        conversation = session.get(Conversation, youth.id)
        state = State.from_json(conversation.state if conversation else {})
        bubble = message(texts_for(state.language))
        body = bubble.as_dict()
        if conversation is not None:  # its buttons were offered: their presses are trusted (bot/brain.py)
            state.offer([button.payload for button in bubble.buttons if button.payload])
            conversation.state = state.to_json()
        if not youth.under_15:
            session.add(
                Message(
                    youth_id=youth.id,
                    direction=Direction.OUT,
                    channel=youth.channel,
                    text=bubble.text,
                    content={"buttons": body["buttons"], "cards": []},
                    intent="follow_up",
                    created_at=now,
                )
            )
        render = renderers.get(youth.channel)
        if render is not None and youth.address:
            enqueue(session, youth.id, youth.channel, youth.address, render(bubble), now)
        tallies.add(session, youth.channel, state.source, state.commune, now, [(tallies.FOLLOW_UP, "sent")])
        sent += 1
    return sent
