"""The website chat widget: its script, and the HTTP API it talks to.

POST /widget/messages  {conversation_id, text | payload, source?, message_id?} -> {conversation_id,
     messages: [bubble], cursor, duplicate}; message_id (a UUID) makes a retried request harmless
GET  /widget/messages?conversation_id=...&after=CURSOR  -> the conversation after CURSOR (history on
     reload, and replies that came later, such as an adviser's answer)
GET  /widget/widget.js  -> the web component; one <script> tag embeds it on any page

A bubble is {text, buttons: [{title, payload | url}], cards: [{kind, id, title, subtitle, url, details,
actions}]}. The conversation id is a random UUID the widget keeps in localStorage."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, model_validator

from bot.brain import Brain
from bot.enums import Channel
from bot.history import Bubble
from bot.messages import Incoming
from webhooks.context import channel_context

CHANNEL = Channel.WIDGET
STATIC = Path(__file__).resolve().parent / "static"

router = APIRouter(prefix="/widget", tags=["widget"])


class WidgetMessage(BaseModel):
    conversation_id: UUID
    text: Annotated[str | None, Field(max_length=2000)] = None
    payload: Annotated[str | None, Field(max_length=200)] = None
    source: Annotated[
        str | None, Field(max_length=64, description="the campaign of the page's ?src=, at the first contact")
    ] = None
    message_id: UUID | None = Field(
        None, description="idempotency key: a message sent again is answered once"
    )

    @model_validator(mode="after")
    def _text_or_payload(self) -> WidgetMessage:
        if self.text is None and self.payload is None:
            raise ValueError("give a text or a payload")
        return self


def address(request: Request) -> str:
    return request.client.host if request.client else ""


def per_address(request: Request) -> None:
    """One address cannot flood the open API (a message counts its address with its other rates)."""
    channel_context(request).throttle.hit("widget_per_ip", address(request))


def _brain(request: Request) -> Brain:
    return channel_context(request).running_brain()


def as_json(bubble: Bubble) -> dict[str, Any]:
    return {
        "id": bubble.id,
        "from": bubble.sender,
        "text": bubble.text,
        "buttons": bubble.buttons,
        "cards": bubble.cards,
    }


@router.post("/messages")
def post_message(message: WidgetMessage, request: Request) -> dict[str, Any]:
    """One message from the widget; the replies come back at once. Over a rate of config.yml (limits):
    429 with Retry-After, and the widget asks the youth to wait a little."""
    brain = _brain(request)
    conversation = str(message.conversation_id)
    channel_context(request).throttle.hit(  # the three at once: one round trip on PostgreSQL
        "widget_per_ip", address(request), ("widget_per_conversation", conversation), ("widget_global", "")
    )
    key = str(message.message_id) if message.message_id else None
    turn = brain.handle(
        Incoming(
            CHANNEL,
            conversation,
            text=message.text,
            payload=message.payload,
            source=message.source,
            message_id=key,
        )
    )
    return {
        "conversation_id": conversation,
        "messages": [{"from": "bot", **reply.as_dict()} for reply in turn.messages],
        "cursor": turn.cursor,
        "forgotten": turn.erased,  # « oublie-moi » confirmed
        "duplicate": turn.duplicate,  # this message_id was answered already: its replies are in GET
        "poll_seconds": channel_context(request).settings.widget.poll_seconds,
    }


@router.get("/messages", dependencies=[Depends(per_address)])
def get_messages(
    request: Request,
    conversation_id: UUID,
    after: Annotated[int, Query(ge=0, le=2_147_483_647, description="the cursor of the last answer")] = 0,
) -> dict[str, Any]:
    """Replies stored after `after` (what an adviser answered while the page was open)."""
    bubbles, cursor = _brain(request).history(CHANNEL, str(conversation_id), after)
    return {
        "conversation_id": str(conversation_id),
        "messages": [as_json(bubble) for bubble in bubbles],
        "cursor": cursor,
        "poll_seconds": channel_context(request).settings.widget.poll_seconds,
    }


@router.get("/widget.js", include_in_schema=False)
def widget_script() -> FileResponse:
    return FileResponse(
        STATIC / "widget.js", media_type="text/javascript", headers={"Cache-Control": "max-age=300"}
    )
