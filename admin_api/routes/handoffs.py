"""Handoffs: list, read with the conversation, claim, reply, transfer, resolve."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from admin_api.deps import DB, Adviser, Caller, Now, RowId
from bot import handoffs
from bot.audit import audit
from bot.handoffs import HandoffError
from bot.models import Handoff, Youth

router = APIRouter(prefix="/handoffs", tags=["handoffs"])
ERRORS = {"not_found": 404, "conflict": 409, "invalid": 422}


class HandoffOut(BaseModel):
    id: int
    partner_id: str
    status: str
    urgent: bool
    concern: str | None
    question: str | None
    channel: str
    claimed_by: int | None
    created_at: datetime
    claimed_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    resolved_by: str | None


class ThreadMessage(BaseModel):
    id: int
    direction: str
    author: Literal["youth", "bot", "staff"]
    text: str | None
    created_at: datetime


class HandoffDetail(HandoffOut):
    conversation: list[ThreadMessage]


class ReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


class TransferIn(BaseModel):
    partner_id: str = Field(min_length=1, max_length=80)


def out(db: DB, handoff: Handoff) -> HandoffOut:
    youth = db.get(Youth, handoff.youth_id)
    fields = {k: getattr(handoff, k) for k in HandoffOut.model_fields if k != "channel"}
    return HandoffOut(channel=youth.channel if youth else "", **fields)


def fail(error: HandoffError) -> HTTPException:
    return HTTPException(ERRORS[error.kind], str(error))


def snapshot(handoff: Handoff) -> dict[str, Any]:
    return {"status": handoff.status, "partner_id": handoff.partner_id, "claimed_by": handoff.claimed_by}


@router.get("")
def list_handoffs(
    caller: Caller,
    db: DB,
    status: Annotated[Literal["pending", "open", "resolved"] | None, Query()] = None,
    partner_id: Annotated[str | None, Query(max_length=80)] = None,
    urgent: bool | None = None,
) -> list[HandoffOut]:
    return [out(db, h) for h in handoffs.list_handoffs(db, caller, status, partner_id, urgent)]


@router.get("/{handoff_id}")
def read(handoff_id: RowId, caller: Caller, db: DB) -> HandoffDetail:
    try:
        handoff = handoffs.get(db, caller, handoff_id)
    except HandoffError as error:
        raise fail(error) from None
    conversation = [
        ThreadMessage(
            id=m.id,
            direction=m.direction,
            text=m.text,
            created_at=m.created_at,
            author="youth" if m.direction == "in" else "staff" if m.staff_id else "bot",
        )
        for m in handoffs.thread(db, handoff)
    ]
    return HandoffDetail(conversation=conversation, **out(db, handoff).model_dump())


@router.post("/{handoff_id}/claim")
def claim(handoff_id: RowId, caller: Adviser, db: DB, at: Now) -> HandoffOut:
    try:
        before = snapshot(handoffs.get(db, caller, handoff_id))
        handoff = handoffs.claim(db, caller, handoff_id, at)
    except HandoffError as error:
        raise fail(error) from None
    audit(db, caller.staff_id, "claim", "handoff", handoff_id, before, snapshot(handoff), at)
    return out(db, handoff)


@router.post("/{handoff_id}/reply")
def reply(handoff_id: RowId, body: ReplyIn, request: Request, caller: Adviser, db: DB, at: Now) -> HandoffOut:
    state = request.app.state
    try:
        before = snapshot(handoffs.get(db, caller, handoff_id))
        message = handoffs.reply(db, caller, handoff_id, body.text, at, state.texts, state.renderers)
    except HandoffError as error:
        raise fail(error) from None
    handoff = handoffs.get(db, caller, handoff_id)
    audit(
        db,
        caller.staff_id,
        "reply",
        "handoff",
        handoff_id,
        before,
        {**snapshot(handoff), "message_id": message.id},
        at,
    )
    state.wake_sender()
    return out(db, handoff)


@router.post("/{handoff_id}/transfer")
def transfer(
    handoff_id: RowId, body: TransferIn, request: Request, caller: Adviser, db: DB, at: Now
) -> HandoffOut:
    try:
        before = snapshot(handoffs.get(db, caller, handoff_id))
        handoff = handoffs.transfer(db, caller, handoff_id, body.partner_id, at, request.app.state.public_url)
    except HandoffError as error:
        raise fail(error) from None
    audit(db, caller.staff_id, "transfer", "handoff", handoff_id, before, snapshot(handoff), at)
    request.app.state.wake_sender()
    return out(db, handoff)


@router.post("/{handoff_id}/resolve")
def resolve(handoff_id: RowId, caller: Adviser, db: DB, at: Now) -> HandoffOut:
    try:
        before = snapshot(handoffs.get(db, caller, handoff_id))
        handoff = handoffs.resolve(db, caller, handoff_id, at)
    except HandoffError as error:
        raise fail(error) from None
    audit(db, caller.staff_id, "resolve", "handoff", handoff_id, before, snapshot(handoff), at)
    return out(db, handoff)
