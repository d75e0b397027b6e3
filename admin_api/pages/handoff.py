"""One question in the inbox: the youth's panel, the whole thread with the internal notes and what
happened to it, and the actions (claim, reply, note, assign, transfer, resolve, reopen), done through the
same services and audit as the JSON API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from admin_api.context import staff_context
from admin_api.pages.forms import Text
from admin_api.pages.inbox import CHANNELS, STATUS, concern_labels, waited
from admin_api.pages.rendering import not_found, page, redirect, reserved
from admin_api.pages.session import Refused, caller, login_redirect, now, poster, refused, transaction
from bot import directory, handoffs, inbox
from bot.canned import CannedReply
from bot.enums import Direction, HandoffEventKind, HandoffStatus
from bot.handoffs import HandoffError
from bot.models import Handoff, HandoffEvent, Message, Partner, Youth
from bot.staff import Principal

router = APIRouter(include_in_schema=False)

DONE = {
    "claim": "Vous avez pris en charge cette question.",
    "reply": "Réponse envoyée au jeune.",
    "note": "Note interne ajoutée.",
    "assign": "Question attribuée.",
    "transfer": "Question transmise : le jeune en est informé.",
    "resolve": "Question marquée comme résolue.",
    "reply_resolve": "Réponse envoyée au jeune, question close.",
    "reopen": "Question rouverte.",
}
PROBLEMS = {  # by HandoffError.code
    "already_resolved": "Cette question est déjà résolue.",
    "claimed_by_another": "Un autre conseiller ou une autre conseillère s'en occupe déjà.",
    "resolved_no_reply": "Cette question est résolue : rouvrez-la pour répondre.",
    "empty_reply": "Écrivez une réponse avant d'envoyer.",
    "reply_too_long": "La réponse dépasse 2\u00a0000 caractères.",
    "unknown_partner": "Choisissez une structure partenaire active.",
    "same_partner": "La question est déjà chez cette structure.",
    "unknown_colleague": "Choisissez un conseiller ou une conseillère de la structure.",
    "empty_note": "Écrivez la note avant de l'ajouter.",
    "note_too_long": "La note dépasse 2\u00a0000 caractères.",
    "not_resolved": "Cette question n'est pas résolue.",
}
ACK_INTENTS = {"handoff_ack"}  # the bot's "C'est noté" while a question is open: shown small


def in_french(error: HandoffError) -> str:
    return PROBLEMS.get(error.code, "Action impossible.")


def author(message: Message, staff_names: dict[int, str]) -> str:
    if message.direction == Direction.IN:
        return "Le jeune"
    if message.staff_id:
        return staff_names.get(message.staff_id, "Conseiller ou conseillère")
    return "sixtcap"


def timeline(
    messages: list[Message], events: list[HandoffEvent], names: dict[int, str], partners: dict[str, str]
) -> list[dict[str, Any]]:
    """The messages and the staff's events in the order they happened."""
    items: list[dict[str, Any]] = []
    for m, text in inbox.as_read(messages):
        side = "youth" if m.direction == Direction.IN else "staff" if m.staff_id else "bot"
        quiet = side == "bot" and (m.intent in ACK_INTENTS)
        items.append(
            {"at": m.created_at, "kind": side, "who": author(m, names), "text": text, "quiet": quiet}
        )
    for e in events:
        who = names.get(e.staff_id or 0, "Un membre de l'équipe")
        if e.kind == HandoffEventKind.NOTE:
            what = "Note interne"
        elif e.kind == HandoffEventKind.ASSIGN:
            what = f"Attribuée à {names.get(e.assignee_id or 0, '?')}"
        elif e.kind == HandoffEventKind.TRANSFER:
            source = partners.get(e.from_partner or "", e.from_partner or "")
            target = partners.get(e.to_partner or "", e.to_partner or "")
            what = f"Transmise de {source} à {target}"
        else:
            what = "Rouverte"
        items.append({"at": e.at, "kind": "event", "who": who, "what": what, "text": e.text, "quiet": False})
    return sorted(items, key=lambda item: item["at"])


def handoff_page(
    request: Request,
    db: Session,
    who: Principal,
    handoff: Handoff,
    status: int = 200,
    error: str | None = None,
    done: str | None = None,
    draft: str = "",
    take_over: bool = False,
) -> HTMLResponse:
    at = now(request)
    messages = handoffs.thread(db, handoff)
    events = handoffs.events(db, handoff)
    colleagues = handoffs.colleagues(db, handoff.partner_id)
    people = {m.staff_id for m in messages if m.staff_id} | {e.staff_id for e in events if e.staff_id}
    people |= {e.assignee_id for e in events if e.assignee_id} | {handoff.claimed_by or 0}
    names = directory.staff_names(db, people) | {s.id: s.name for s in colleagues}
    partners = directory.partner_names(db)
    youth = db.get(Youth, handoff.youth_id)
    channel = youth.channel if youth else ""
    partner = db.get(Partner, handoff.partner_id)
    panel = inbox.youth_panel(db, handoff, youth.under_15 if youth else False)
    if not error:
        inbox.mark_read(db, who, handoff, at)
    held_by_other = handoff.claimed_by not in (None, who.staff_id) and handoff.status == HandoffStatus.OPEN
    since = inbox.waiting_since(handoff)
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
        claimed_by=names.get(handoff.claimed_by or 0),
        held_by_other=held_by_other,
        panel=panel,
        panel_concern=concern_labels(request).get(panel.concern or "", panel.concern or ""),
        crisis_label=staff_context(request).crisis_labels.get(handoff.crisis_kind or "", handoff.crisis_kind),
        last_words=[] if handoff.question else inbox.last_words(db, handoff),
        timeline=timeline(messages, events, names, partners),
        colleagues=[(s.id, s.name) for s in colleagues],
        other_partners=[
            (pid, name)
            for pid, name in directory.partner_names(db, True).items()
            if pid != handoff.partner_id
        ],
        waiting=waited(since, at),
        wrote_again=inbox.wrote_again(handoff),
        can_act=who.writes,
        error=error,
        done=DONE.get(done or ""),
        draft=draft,
        canned=list(enumerate(canned_replies(request, who, handoff, partner))),
        take_over=take_over,
        version=inbox.version(db, who),
        poll_ms=staff_context(request).poll_ms,
    )


def canned_replies(
    request: Request, who: Principal, handoff: Handoff, partner: Partner | None
) -> list[CannedReply]:
    """The canned replies offered on this question (the urgent ones first on an urgent question), with
    the adviser's first name and the partner's name in place of [prénom] and [structure]."""
    context = staff_context(request)
    kinds = {label: name for name, label in context.crisis_labels.items()}  # the handoff keeps the label
    kind = kinds.get(handoff.crisis_kind or "", handoff.crisis_kind)
    replies = context.canned.for_partner(handoff.partner_id, handoff.urgent, kind)
    first_name = (who.name or "").split(" ")[0] or "[prénom]"
    partner_name = partner.nom if partner else "[structure]"
    return [
        replace(r, text=r.text.replace("[prénom]", first_name).replace("[structure]", partner_name))
        for r in replies
    ]


@router.get("/handoffs/{handoff_id}", response_class=HTMLResponse)
def handoff_detail(
    request: Request, handoff_id: int, done: str | None = None, modele: str | None = None
) -> Response:
    with transaction(request) as db:
        who = caller(request, db)
        if who is None:
            return login_redirect(request)
        try:
            handoff = handoffs.get(db, who, handoff_id)
        except HandoffError:
            return not_found(request, who)
        replies = canned_replies(request, who, handoff, db.get(Partner, handoff.partner_id))
        chosen = int(modele) if modele and modele.isdigit() and len(modele) < 5 else -1
        draft = replies[chosen].text if 0 <= chosen < len(replies) else ""
        return handoff_page(request, db, who, handoff, done=done, draft=draft)


def act(
    request: Request,
    handoff_id: int,
    csrf: str | None,
    action: str,
    change: Callable[[Session, Principal], object],
    draft: str = "",
    then: tuple[str, Callable[[Session, Principal], object]] | None = None,
) -> Response:
    """One action on a question (and the one `then` names, in the same transaction), as the JSON API
    does it (same services, same audit entries)."""
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
                handoffs.perform(db, who, handoff_id, action, at, lambda: change(db, who))
                if then is not None:
                    handoffs.perform(db, who, handoff_id, then[0], at, lambda: then[1](db, who))
            except HandoffError as error:
                problem = in_french(error)
                code = {"not_found": 404, "conflict": 409}.get(error.kind, 422)
                take_over = error.code == "claimed_by_another"

                def again(db: Session) -> Response:
                    handoff = handoffs.get(db, who, handoff_id)
                    return handoff_page(
                        request, db, who, handoff, code, problem, draft=draft, take_over=take_over
                    )

                raise Refused(again) from None
    except Refused as refusal:
        return refused(request, refusal)
    if action in ("reply", "transfer", "resolve"):
        state.wake_sender()  # after the commit: the sender finds the message in the outbox
    if action == "transfer":  # the question belongs to another partner now: back to the list
        return redirect(request, f"/?transmise={handoff_id}")
    done = f"{action}_{then[0]}" if then else action
    return redirect(request, f"/handoffs/{handoff_id}?done={done}")


@router.post("/handoffs/{handoff_id}/claim")
def claim(request: Request, handoff_id: int, csrf: Text = None, take_over: Text = None) -> Response:
    at = now(request)
    return act(
        request,
        handoff_id,
        csrf,
        "claim",
        lambda db, who: handoffs.claim(db, who, handoff_id, at, take_over == "1"),
    )


@router.post("/handoffs/{handoff_id}/reply")
def reply(
    request: Request,
    handoff_id: int,
    csrf: Text = None,
    text: Text = None,
    take_over: Text = None,
    close: Text = None,
) -> Response:
    """The answer; with "Envoyer et clore" (`close`), the question is resolved with it."""
    state, at, typed = staff_context(request), now(request), text or ""

    def change(db: Session, who: Principal) -> object:
        if len(typed.strip()) > 2000:
            raise HandoffError("reply_too_long", "the reply is too long")
        return handoffs.reply(
            db, who, handoff_id, typed, at, state.texts, state.renderers, take_over == "1", close == "1"
        )

    def resolve(db: Session, who: Principal) -> object:
        return handoffs.resolve(db, who, handoff_id, at, state.staff_texts, state.renderers)

    then = ("resolve", resolve) if close == "1" else None
    return act(request, handoff_id, csrf, "reply", change, draft=typed, then=then)


@router.post("/handoffs/{handoff_id}/note")
def note(request: Request, handoff_id: int, csrf: Text = None, text: Text = None) -> Response:
    at = now(request)
    return act(
        request,
        handoff_id,
        csrf,
        "note",
        lambda db, who: handoffs.note(db, who, handoff_id, text or "", at),
        text or "",
    )


@router.post("/handoffs/{handoff_id}/assign")
def assign(request: Request, handoff_id: int, csrf: Text = None, staff_id: Text = None) -> Response:
    at, chosen = now(request), int(staff_id) if staff_id and staff_id.isdigit() and len(staff_id) < 10 else 0
    return act(
        request, handoff_id, csrf, "assign", lambda db, who: handoffs.assign(db, who, handoff_id, chosen, at)
    )


@router.post("/handoffs/{handoff_id}/transfer")
def transfer(
    request: Request, handoff_id: int, csrf: Text = None, partner_id: Text = None, text: Text = None
) -> Response:
    state, at = staff_context(request), now(request)

    def change(db: Session, who: Principal) -> object:
        return handoffs.transfer(
            db,
            who,
            handoff_id,
            partner_id or "",
            at,
            state.public_url,
            text,
            state.staff_texts,
            state.renderers,
        )

    return act(request, handoff_id, csrf, "transfer", change, text or "")


@router.post("/handoffs/{handoff_id}/resolve")
def resolve(request: Request, handoff_id: int, csrf: Text = None) -> Response:
    state, at = staff_context(request), now(request)

    def change(db: Session, who: Principal) -> object:
        return handoffs.resolve(db, who, handoff_id, at, state.staff_texts, state.renderers)

    return act(request, handoff_id, csrf, "resolve", change)


@router.post("/handoffs/{handoff_id}/reopen")
def reopen(request: Request, handoff_id: int, csrf: Text = None) -> Response:
    at = now(request)
    return act(request, handoff_id, csrf, "reopen", lambda db, who: handoffs.reopen(db, who, handoff_id, at))
