"""Each staff member's choice of e-mails about questions (new, urgent, answered again, overdue): read
and changed by the staff member themself; bot/handoffs.py reads them when it announces an event."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.models import Staff

SETTINGS = ("notify_new", "notify_urgent", "notify_again", "notify_overdue")


def settings_of(session: Session, staff_id: int) -> dict[str, bool]:
    staff = session.get(Staff, staff_id)
    return {name: bool(getattr(staff, name)) for name in SETTINGS} if staff else {}


def change(session: Session, staff_id: int, wanted: dict[str, bool]) -> dict[str, bool]:
    """Set the settings given (others stay); the settings as they are now."""
    staff = session.get(Staff, staff_id)
    if staff is None:
        return {}
    for name, on in wanted.items():
        if name in SETTINGS:
            setattr(staff, name, bool(on))
    session.flush()
    return settings_of(session, staff_id)
