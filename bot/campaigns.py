"""Campaigns and their deep links: a source code (`insta-lina`, `affiche-mail-rodin`) carried by a link
to each channel, recorded at a youth's first contact and counted in the statistics.

- Telegram: `https://t.me/<bot>?start=<source>` (the bot receives `/start <source>`);
- WhatsApp: `https://wa.me/<number>?text=<a greeting ending with (code <source>)>`, the code read back by
  `source_in_text` from the first message;
- the website: `<portal>/?src=<source>` (the widget sends it with its messages)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import quote, urlencode

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import tallies
from bot.config import Settings
from bot.errors import CodedError
from bot.models import Campaign, DailyTally
from bot.stats import shown

SOURCE = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what Telegram's start parameter allows
CODE_IN_TEXT = re.compile(r"\s*\(code ([A-Za-z0-9_-]{1,64})\)\s*$")
KINDS = ("influencer", "poster", "event", "other")
ChannelName = Literal["telegram", "whatsapp", "web"]
CHANNELS: tuple[ChannelName, ...] = ("telegram", "whatsapp", "web")


class CampaignError(CodedError):
    """`code`: `invalid_source`, `taken` (the source exists), `not_found`, `channel_off` (the channel's
    link cannot be made: no bot name or number in config.yml)."""


@dataclass(frozen=True)
class Links:
    """What the deep links need from config.yml."""

    portal_url: str
    telegram_bot: str = ""  # the bot's username, without @
    whatsapp_number: str = ""  # international, digits only: 33612345678

    @classmethod
    def from_settings(cls, settings: Settings) -> Links:
        return cls(
            settings.server.public_url, settings.telegram.bot_username, settings.whatsapp.display_number
        )


def clean_source(value: str | None) -> str | None:
    """The source if it is a valid code, else None (a link edited by hand must not pollute statistics)."""
    value = (value or "").strip()
    return value if SOURCE.fullmatch(value) else None


def whatsapp_text(source: str) -> str:
    return f"Salut 6Tcap ! (code {source})"


def source_in_text(text: str) -> tuple[str | None, str]:
    """The code of a prefilled WhatsApp message, and the message without it."""
    found = CODE_IN_TEXT.search(text)
    if found is None:
        return None, text
    return found.group(1), text[: found.start()]


def deep_link(channel: str, source: str, links: Links) -> str:
    if clean_source(source) is None:
        raise CampaignError("invalid_source", "a source is 1 to 64 letters, digits, '-' or '_'")
    if channel == "telegram":
        if not links.telegram_bot:
            raise CampaignError("channel_off", "set telegram.bot_username in config.yml")
        return f"https://t.me/{links.telegram_bot.lstrip('@')}?start={source}"
    if channel == "whatsapp":
        number = re.sub(r"\D", "", links.whatsapp_number)
        if not number:
            raise CampaignError("channel_off", "set whatsapp.display_number in config.yml")
        return f"https://wa.me/{number}?text={quote(whatsapp_text(source))}"
    if channel == "web":
        return f"{links.portal_url.rstrip('/')}/?{urlencode({'src': source})}"
    raise CampaignError("invalid_channel", "the channel is telegram, whatsapp or web")


def create(
    session: Session,
    source: str,
    name: str,
    kind: str,
    channel: str,
    poster_line: str,
    staff_id: int | None,
    now: datetime,
) -> Campaign:
    if clean_source(source) is None:
        raise CampaignError("invalid_source", "a source is 1 to 64 letters, digits, '-' or '_'")
    if kind not in KINDS:
        raise CampaignError("invalid_kind", f"the kind is one of {', '.join(KINDS)}")
    if channel not in CHANNELS:
        raise CampaignError("invalid_channel", "the channel is telegram, whatsapp or web")
    if session.scalar(select(Campaign.id).where(func.lower(Campaign.source) == source.lower())):
        raise CampaignError("taken", f"a campaign already uses the source {source!r}")
    campaign = Campaign(
        source=source,
        name=name.strip(),
        kind=kind,
        channel=channel,
        poster_line=poster_line.strip(),
        created_at=now,
        created_by=staff_id,
    )
    try:
        with session.begin_nested():
            session.add(campaign)
            session.flush()
    except IntegrityError:  # created at the same moment by someone else
        raise CampaignError("taken", f"a campaign already uses the source {source!r}") from None
    return campaign


def get(session: Session, source: str) -> Campaign:
    campaign = session.scalar(select(Campaign).where(Campaign.source == source))
    if campaign is None:
        raise CampaignError("not_found", f"no campaign with the source {source!r}")
    return campaign


def labels(session: Session) -> dict[str, str]:
    """How the statistics name each campaign's source: its name ('Lina (Instagram)')."""
    return {c.source: c.name for c in session.scalars(select(Campaign))}


def listed(session: Session) -> list[tuple[Campaign, int | None]]:
    """Every campaign, newest first, with the youths who came through it (None: fewer than 5, as in the
    statistics)."""
    counts = dict(
        session.execute(
            select(DailyTally.source, func.sum(DailyTally.count))
            .where(DailyTally.metric == tallies.NEW)
            .group_by(DailyTally.source)
        ).all()
    )
    campaigns = session.scalars(select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc()))
    return [(campaign, shown(int(counts.get(campaign.source) or 0))) for campaign in campaigns]
