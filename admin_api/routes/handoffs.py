"""Handoffs: list, read with the conversation, claim, reply, transfer, resolve."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from admin_api.context import staff_context
from admin_api.deps import DB, Adviser, Caller, Now, RowId
from bot import directory, handoffs, inbox
from bot.enums import Direction, HandoffStatus
from bot.handoffs import HandoffError
from bot.models import Handoff
from bot.staff import Principal

router = APIRouter(prefix="/handoffs", tags=["handoffs"])
STATUS = {"not_found": 404, "conflict": 409, "invalid": 422}  # by the kind of the error's code


class HandoffOut(BaseModel):
    id: int
    partner_id: str
    status: str
    urgent: bool
    crisis_kind: str | None = Field(
        description="an urgent question's kind of danger as staff read it (a label of data/crisis.yml, "
        "e.g. 'urgence médicale (surdose, malaise)'), else null"
    )
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
    read_as: str | None = Field(
        description="as the inbox shows it: with the helplines, services and offers the bot gave "
        "('[Numéros donnés : 3114 · …]') and the title of a button the youth pressed ('[Bouton : …]')"
    )
    created_at: datetime


class HandoffDetail(HandoffOut):
    conversation: list[ThreadMessage]


class ReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000)
    take_over: bool = Field(False, description="answer a question a colleague holds, and take it over")


class TransferIn(BaseModel):
    partner_id: str = Field(min_length=1, max_length=80)
    note: str | None = Field(None, max_length=2000, description="for the partner receiving it; staff only")


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000, description="internal: never sent to the youth")


class AssignIn(BaseModel):
    staff_id: int = Field(ge=1, le=2_147_483_647, description="an active adviser of the handoff's partner")


def out(db: DB, handoff: Handoff) -> HandoffOut:
    fields = {k: getattr(handoff, k) for k in HandoffOut.model_fields if k != "channel"}
    return HandoffOut(channel=directory.youth_channel(db, handoff.youth_id), **fields)


def fail(error: HandoffError) -> HTTPException:
    return HTTPException(STATUS[error.kind], str(error))


@router.get("")
def list_handoffs(
    caller: Caller,
    db: DB,
    status: Annotated[HandoffStatus | None, Query()] = None,
    partner_id: Annotated[str | None, Query(max_length=80)] = None,
    urgent: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=200, description="handoffs per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="handoffs skipped (the pages before)")] = 0,
    crisis_kind: Annotated[
        str | None, Query(max_length=80, description="one kind of danger only (as `crisis_kind` reads)")
    ] = None,
) -> list[HandoffOut]:
    """Urgent first, then the newest; one page at a time (`offset` += `limit` for the next one)."""
    found = handoffs.list_handoffs(db, caller, status, partner_id, urgent, limit, offset, crisis_kind)
    return [out(db, h) for h in found]


@router.get("/{handoff_id}")
def read(handoff_id: RowId, caller: Caller, db: DB) -> HandoffDetail:
    try:
        handoff = handoffs.get(db, caller, handoff_id)
    except HandoffError as error:
        raise fail(error) from None
    messages = handoffs.thread(db, handoff)
    read_as = {m.id: text for m, text in inbox.as_read(messages)}
    conversation = [
        ThreadMessage(
            id=m.id,
            direction=m.direction,
            text=m.text,
            read_as=read_as.get(m.id),
            created_at=m.created_at,
            author="youth" if m.direction == Direction.IN else "staff" if m.staff_id else "bot",
        )
        for m in messages
    ]
    return HandoffDetail(conversation=conversation, **out(db, handoff).model_dump())


@router.post("/{handoff_id}/claim")
def claim(handoff_id: RowId, caller: Adviser, db: DB, at: Now) -> HandoffOut:
    return act(db, caller, handoff_id, "claim", at, lambda: handoffs.claim(db, caller, handoff_id, at))


@router.post("/{handoff_id}/reply")
def reply(handoff_id: RowId, body: ReplyIn, request: Request, caller: Adviser, db: DB, at: Now) -> HandoffOut:
    state = staff_context(request)
    answered = act(
        db,
        caller,
        handoff_id,
        "reply",
        at,
        lambda: handoffs.reply(
            db, caller, handoff_id, body.text, at, state.texts, state.renderers, body.take_over
        ),
    )
    state.wake_sender()
    return answered


@router.post("/{handoff_id}/transfer")
def transfer(
    handoff_id: RowId, body: TransferIn, request: Request, caller: Adviser, db: DB, at: Now
) -> HandoffOut:
    """To another partner, with a note for them; the youth is told who will answer now."""
    state = staff_context(request)
    moved = act(
        db,
        caller,
        handoff_id,
        "transfer",
        at,
        lambda: handoffs.transfer(
            db,
            caller,
            handoff_id,
            body.partner_id,
            at,
            state.public_url,
            body.note,
            state.staff_texts,
            state.renderers,
        ),
    )
    staff_context(request).wake_sender()
    return moved


@router.post("/{handoff_id}/note")
def note(handoff_id: RowId, body: NoteIn, caller: Adviser, db: DB, at: Now) -> HandoffOut:
    """An internal note, read by staff only."""
    return act(
        db, caller, handoff_id, "note", at, lambda: handoffs.note(db, caller, handoff_id, body.text, at)
    )


@router.post("/{handoff_id}/assign")
def assign(handoff_id: RowId, body: AssignIn, caller: Adviser, db: DB, at: Now) -> HandoffOut:
    """Give the question to a colleague of the same partner."""
    return act(
        db,
        caller,
        handoff_id,
        "assign",
        at,
        lambda: handoffs.assign(db, caller, handoff_id, body.staff_id, at),
    )


@router.post("/{handoff_id}/reopen")
def reopen(handoff_id: RowId, caller: Adviser, db: DB, at: Now) -> HandoffOut:
    return act(db, caller, handoff_id, "reopen", at, lambda: handoffs.reopen(db, caller, handoff_id, at))


@router.post("/{handoff_id}/resolve")
def resolve(handoff_id: RowId, request: Request, caller: Adviser, db: DB, at: Now) -> HandoffOut:
    """Close the question; closed without any answer, the youth is told."""
    state = staff_context(request)
    closed = act(
        db,
        caller,
        handoff_id,
        "resolve",
        at,
        lambda: handoffs.resolve(db, caller, handoff_id, at, state.staff_texts, state.renderers),
    )
    state.wake_sender()
    return closed


def act(
    db: DB, caller: Principal, handoff_id: int, action: str, at: datetime, change: Callable[[], object]
) -> HandoffOut:
    try:
        return out(db, handoffs.perform(db, caller, handoff_id, action, at, change))
    except HandoffError as error:
        raise fail(error) from None
