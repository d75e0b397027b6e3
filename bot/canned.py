"""Canned replies: answers an adviser picks in the inbox, then adapts before sending
(data/canned_replies.yml: for urgent questions, shared ones and per partner)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nlu.datafile import read_yaml

MAX_TEXT = 2000


@dataclass(frozen=True)
class CannedReply:
    title: str
    text: str
    kinds: tuple[str, ...] = ()  # an urgent reply for these kinds of danger only (none: for every kind)


@dataclass(frozen=True)
class CannedReplies:
    common: tuple[CannedReply, ...] = ()
    partners: dict[str, tuple[CannedReply, ...]] = field(default_factory=dict)
    urgent: tuple[CannedReply, ...] = ()

    def for_partner(
        self, partner_id: str, urgent: bool = False, crisis_kind: str | None = None
    ) -> tuple[CannedReply, ...]:
        """The partner's own replies first, then the shared ones; on an urgent question, the urgent
        replies before them (those for its kind of danger first)."""
        first: tuple[CannedReply, ...] = ()
        if urgent:
            fitting = [r for r in self.urgent if crisis_kind and crisis_kind in r.kinds]
            first = (*fitting, *(r for r in self.urgent if not r.kinds))
        return (*first, *self.partners.get(partner_id, ()), *self.common)


def _replies(items: object, where: str) -> tuple[CannedReply, ...]:
    if not isinstance(items, list):
        raise ValueError(f"{where}: a list of replies is expected")
    replies = []
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict) or not item.get("title") or not item.get("text"):
            raise ValueError(f"{where}[{number}]: a reply needs a title and a text")
        if len(str(item["text"])) > MAX_TEXT:
            raise ValueError(f"{where}[{number}]: more than {MAX_TEXT} characters")
        kinds = item.get("kinds") or []
        if not isinstance(kinds, list):
            raise ValueError(f"{where}[{number}]: kinds is a list of kinds of danger")
        replies.append(CannedReply(str(item["title"]), str(item["text"]), tuple(str(k) for k in kinds)))
    return tuple(replies)


def load_canned(path: Path) -> CannedReplies:
    """The replies of the file; none when it does not exist."""
    if not path.exists():
        return CannedReplies()
    data = read_yaml(path) or {}
    partners = data.get("partners") or {}
    return CannedReplies(
        _replies(data.get("common") or [], "common"),
        {str(pid): _replies(items, f"partners.{pid}") for pid, items in partners.items()},
        _replies(data.get("urgent") or [], "urgent"),
    )
