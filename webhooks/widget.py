"""The website chat widget: its script, and the HTTP API it talks to.

POST /widget/messages  {conversation_id, text | payload} -> {conversation_id, messages: [bubble], cursor}
GET  /widget/messages?conversation_id=...&after=CURSOR  -> the conversation after CURSOR (history on
     reload, and replies that came later, such as an adviser's answer)
GET  /widget/widget.js  -> the web component; one <script> tag embeds it on any page

A bubble is {text, buttons: [{title, payload | url}], cards: [{kind, id, title, subtitle, url, details,
actions}]}. The conversation id is a random UUID the widget keeps in localStorage."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select

from bot.brain import Brain
from bot.db import session_factory
from bot.messages import Incoming
from bot.models import Message, Youth

CHANNEL = "widget"
STATIC = Path(__file__).resolve().parent / "static"

router = APIRouter(prefix="/widget", tags=["widget"])


class WidgetMessage(BaseModel):
    conversation_id: UUID
    text: Annotated[str | None, Field(max_length=2000)] = None
    payload: Annotated[str | None, Field(max_length=200)] = None

    @model_validator(mode="after")
    def _text_or_payload(self) -> WidgetMessage:
        if self.text is None and self.payload is None:
            raise ValueError("give a text or a payload")
        return self


def _brain(request: Request) -> Brain:
    brain: Brain = request.app.state.brain
    return brain


def _youth_id(brain: Brain, session: Any, conversation_id: str) -> int | None:
    ref = brain.pseudonyms.ref(CHANNEL, conversation_id)
    youth_id: int | None = session.scalar(
        select(Youth.id).where(Youth.channel == CHANNEL, Youth.user_ref == ref)
    )
    return youth_id


def _since(brain: Brain, conversation_id: str, after: int) -> tuple[list[dict[str, Any]], int]:
    """The conversation's messages after `after`: the youth's texts and sixtcap's bubbles, in order."""
    with session_factory(brain.engine)() as session:
        youth_id = _youth_id(brain, session, conversation_id)
        if youth_id is None:
            return [], after
        rows = session.scalars(
            select(Message)
            .where(Message.youth_id == youth_id, Message.id > after)
            .order_by(Message.id)
            .limit(200)
        ).all()
    bubbles = [
        {"id": row.id, "from": "bot", "text": row.text or "", **(row.content or {"buttons": [], "cards": []})}
        if row.direction == "out"
        else {"id": row.id, "from": "youth", "text": row.text or "", "buttons": [], "cards": []}
        for row in rows
        if row.direction == "out" or row.text  # a pressed button has no text of its own
    ]
    return bubbles, rows[-1].id if rows else after


@router.post("/messages")
def post_message(message: WidgetMessage, request: Request) -> dict[str, Any]:
    """One message from the widget; the replies come back at once."""
    brain = _brain(request)
    conversation = str(message.conversation_id)
    replies = brain.handle(Incoming(CHANNEL, conversation, text=message.text, payload=message.payload))
    with session_factory(brain.engine)() as session:
        forgotten = _youth_id(brain, session, conversation) is None  # « oublie-moi » confirmed
    return {
        "conversation_id": conversation,
        "messages": [{"from": "bot", **reply.as_dict()} for reply in replies],
        "cursor": max((reply.id or 0 for reply in replies), default=0),
        "forgotten": forgotten,
        "poll_seconds": request.app.state.settings.widget.poll_seconds,
    }


@router.get("/messages")
def get_messages(
    request: Request,
    conversation_id: UUID,
    after: Annotated[int, Query(ge=0, le=2_147_483_647, description="the cursor of the last answer")] = 0,
) -> dict[str, Any]:
    """Replies stored after `after` (what an adviser answered while the page was open)."""
    bubbles, cursor = _since(_brain(request), str(conversation_id), after)
    return {
        "conversation_id": str(conversation_id),
        "messages": bubbles,
        "cursor": cursor,
        "poll_seconds": request.app.state.settings.widget.poll_seconds,
    }


@router.get("/widget.js", include_in_schema=False)
def widget_script() -> FileResponse:
    return FileResponse(
        STATIC / "widget.js", media_type="text/javascript", headers={"Cache-Control": "max-age=300"}
    )
