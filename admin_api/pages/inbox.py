"""The inbox: the handoffs a staff member sees, one handoff with its conversation, and the actions
(claim, reply, resolve) done through the same services and audit as the JSON API."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from admin_api.context import staff_context
from admin_api.pages.forms import Text
from admin_api.pages.rendering import not_found, page, redirect, reserved
from admin_api.pages.session import Refused, caller, login_redirect, now, poster, refused, transaction
from bot import directory, handoffs
from bot.enums import Channel, Direction, HandoffStatus, Role
from bot.handoffs import HandoffError
from bot.models import Handoff, Message, Partner
from bot.staff import Principal

router = APIRouter(include_in_schema=False)


TABS: tuple[tuple[str, str], ...] = (
    (HandoffStatus.PENDING, "En attente"),
    (HandoffStatus.OPEN, "En cours"),
    (HandoffStatus.RESOLVED, "Résolues"),
)
STATUS = {
    HandoffStatus.PENDING: "En attente",
    HandoffStatus.OPEN: "En cours",
    HandoffStatus.RESOLVED: "Résolue",
}
CHANNELS: dict[str, str] = {
    Channel.WIDGET: "site web",
    Channel.TELEGRAM: "Telegram",
    Channel.WHATSAPP: "WhatsApp",
}
DONE = {
    "claim": "Vous avez pris en charge cette question.",
    "reply": "Réponse envoyée au jeune.",
    "resolve": "Question marquée comme résolue.",
}


def concern_labels(request: Request) -> dict[str, str]:
    return {name: concern.label for name, concern in staff_context(request).concerns.items()}


@router.get("/", response_class=HTMLResponse)
def inbox(request: Request, status: str = HandoffStatus.PENDING) -> Response:
    if status not in STATUS:
        status = HandoffStatus.PENDING
    with transaction(request) as db:
        who = caller(request, db)
        if who is None:
            return login_redirect(request)
        rows = handoffs.list_handoffs(db, who, status)
        counts = handoffs.counts(db, who)
        names = directory.partner_names(db)
    return page(
        request,
        who,
        "inbox.html",
        section="inbox",
        tabs=[(key, label, counts.get(key, 0)) for key, label in TABS],
        current=status,
        status_label=dict(TABS)[status],
        handoffs=rows,
        partners=names,
        concerns=concern_labels(request),
        show_partner=who.role != Role.ADVISER,
    )


def author(message: Message, staff_names: dict[int, str]) -> str:
    if message.direction == Direction.IN:
        return "Le jeune"
    if message.staff_id:
        return staff_names.get(message.staff_id, "Conseiller ou conseillère")
    return "sixtcap"


def handoff_page(
    request: Request,
    db: Session,
    who: Principal,
    handoff: Handoff,
    status: int = 200,
    error: str | None = None,
    done: str | None = None,
    draft: str = "",
) -> HTMLResponse:
    messages = [m for m in handoffs.thread(db, handoff) if m.text]
    people = {m.staff_id for m in messages if m.staff_id}
    if handoff.claimed_by:
        people.add(handoff.claimed_by)
    staff_names = directory.staff_names(db, people)
    channel = directory.youth_channel(db, handoff.youth_id)
    partner = db.get(Partner, handoff.partner_id)
    conversation = [
        {"who": author(m, staff_names), "side": m.direction, "staff": bool(m.staff_id), "m": m}
        for m in messages
    ]
    return page(
        request,
        who,
        "handoff.html",
        status,
        section="inbox",
        h=handoff,
        status_label=STATUS.get(handoff.status, handoff.status),
        partner=partner.nom if partner else handoff.partner_id,
        concern=concern_labels(request).get(handoff.concern or "", handoff.concern or ""),
        channel=CHANNELS.get(channel, channel),
        claimed_by=staff_names.get(handoff.claimed_by or 0),
        conversation=conversation,
        can_act=who.writes,
        error=error,
        done=DONE.get(done or ""),
        draft=draft,
    )


@router.get("/handoffs/{handoff_id}", response_class=HTMLResponse)
def handoff_detail(request: Request, handoff_id: int, done: str | None = None) -> Response:
    with transaction(request) as db:
        who = caller(request, db)
        if who is None:
            return login_redirect(request)
        try:
            handoff = handoffs.get(db, who, handoff_id)
        except HandoffError:
            return not_found(request, who)
        return handoff_page(request, db, who, handoff, done=done)


PROBLEMS = {  # by HandoffError.code
    "already_resolved": "Cette question est déjà résolue.",
    "claimed_by_another": "Un autre conseiller ou une autre conseillère s'en occupe déjà.",
    "resolved_no_reply": "Cette question est résolue : on ne peut plus y répondre.",
    "empty_reply": "Écrivez une réponse avant d'envoyer.",
    "reply_too_long": "La réponse dépasse 2\u00a0000 caractères.",
}


def in_french(error: HandoffError) -> str:
    return PROBLEMS.get(error.code, "Action impossible.")


def act(
    request: Request, handoff_id: int, csrf: str | None, action: str, text: str | None = None
) -> Response:
    """claim, reply or resolve, as the JSON API does it (same services, same audit entries)."""
    state = staff_context(request)
    try:
        with transaction(request) as db:
            who = poster(request, db, csrf)
            if isinstance(who, Response):
                return who
            try:
                handoffs.get(db, who, handoff_id)  # another partner's handoff does not exist for them
            except HandoffError:
                return not_found(request, who)
            if not who.writes:
                return reserved(request, who)
            at = now(request)
            try:
                if action == "reply" and text is not None and len(text.strip()) > 2000:
                    raise HandoffError("reply_too_long", "the reply is too long")
                changes = {
                    "claim": lambda: handoffs.claim(db, who, handoff_id, at),
                    "reply": lambda: handoffs.reply(
                        db, who, handoff_id, text or "", at, state.texts, state.renderers
                    ),
                    "resolve": lambda: handoffs.resolve(db, who, handoff_id, at),
                }
                handoffs.perform(db, who, handoff_id, action, at, changes[action])
            except HandoffError as error:
                problem = in_french(error)
                code = {"not_found": 404, "conflict": 409}.get(error.kind, 422)

                def again(db: Session) -> Response:
                    return handoff_page(
                        request,
                        db,
                        who,
                        handoffs.get(db, who, handoff_id),
                        code,
                        error=problem,
                        draft=text or "",
                    )

                raise Refused(again) from None
    except Refused as refusal:
        return refused(request, refusal)
    if action == "reply":
        state.wake_sender()  # after the commit: the sender finds the message in the outbox
    return redirect(request, f"/handoffs/{handoff_id}?done={action}")


@router.post("/handoffs/{handoff_id}/claim")
def claim(request: Request, handoff_id: int, csrf: Text = None) -> Response:
    return act(request, handoff_id, csrf, "claim")


@router.post("/handoffs/{handoff_id}/reply")
def reply(request: Request, handoff_id: int, csrf: Text = None, text: Text = None) -> Response:
    return act(request, handoff_id, csrf, "reply", text)


@router.post("/handoffs/{handoff_id}/resolve")
def resolve(request: Request, handoff_id: int, csrf: Text = None) -> Response:
    return act(request, handoff_id, csrf, "resolve")
