"""Changing the catalogue one entry at a time (the admin API), with exactly the checks of the loader:
the partner's file is rebuilt from the database, changed, checked as a whole, then written back."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.catalogue.datainclusion import partner_dicts, service_record, structure_record
from bot.catalogue.files import CatalogueInvalid, Source, check_sources
from bot.catalogue.loader import LoadReport, upsert_partner
from bot.models import Partner, Service
from bot.territory import Territory
from bot.yamlfile import Problem


def partner_raw(session: Session, partner_id: str) -> dict[str, Any] | None:
    """The partner and its active services, in the catalogue files' shape."""
    partner = session.scalar(
        select(Partner).where(Partner.id == partner_id).options(selectinload(Partner.locations))
    )
    if partner is None:
        return None
    services = session.scalars(
        select(Service).where(Service.partner_id == partner_id, Service.active).order_by(Service.position)
    ).all()
    (_, raw), *_ = partner_dicts(
        {"structures": [structure_record(partner)], "services": [service_record(s) for s in services]}
    )[0]
    return dict(raw)


def save_partner(session: Session, raw: dict[str, Any], territory: Territory, now: datetime) -> None:
    """Check `raw` like a catalogue file, then write it; raise CatalogueInvalid with every problem."""
    (entry,) = check_sources([Source("request", raw)], territory)
    taken = session.scalars(
        select(Service.id).where(
            Service.id.in_([s.id for s in entry.services]), Service.partner_id != entry.partner.id
        )
    ).all()
    if taken:
        raise CatalogueInvalid(
            [Problem("request", None, "services.id", f"{taken[0]!r} belongs to another partner")]
        )
    upsert_partner(session, entry, territory, LoadReport())
    for service_id in [s.id for s in entry.services]:
        row = session.get(Service, service_id)
        if row is not None and not row.active:
            row.active, row.updated_at = True, now


WEBHOOK_MAX = 100  # the outbox's recipient column (bot/models/youth.py OutboxMessage)


class WebhookRefused(ValueError):
    """A notification webhook URL that cannot be used; the message says why."""


def set_webhook(session: Session, partner_id: str, url: str | None, now: datetime) -> Partner | None:
    """Where a partner's notifications are posted (None: nowhere). HTTPS only, but on this machine
    (http://127.0.0.1, http://localhost: a receiver beside sixtcap). None when there is no such partner."""
    if url is not None:
        try:
            parsed = urlsplit(url.strip())
        except ValueError:
            raise WebhookRefused("this is not a URL") from None
        local = parsed.scheme == "http" and parsed.hostname in ("127.0.0.1", "localhost", "::1")
        if not (parsed.scheme == "https" or local) or not parsed.hostname:
            raise WebhookRefused("the webhook must be an https:// URL (http:// only on 127.0.0.1)")
        if len(url.strip()) > WEBHOOK_MAX or any(c.isspace() for c in url.strip()):
            raise WebhookRefused(f"the webhook URL has spaces or is longer than {WEBHOOK_MAX} characters")
    partner = session.get(Partner, partner_id)
    if partner is None:
        return None
    partner.notify_webhook_url, partner.updated_at = (url.strip() if url else None), now
    return partner
