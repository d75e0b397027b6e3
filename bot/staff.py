"""Staff accounts and their credentials: passwords hashed with Argon2, bearer tokens that expire, API keys
for integrations. Only the SHA-256 of a token or key is stored; the clear value is shown once."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Partner, Staff, StaffToken
from bot.models.staff import ROLES

SESSION_LIFETIME = timedelta(hours=12)
hasher = PasswordHasher()


class StaffError(ValueError):
    """A request about staff that cannot be done; the message says why, for a person."""


@dataclass(frozen=True)
class Principal:
    """Who is calling the admin API."""

    staff_id: int
    role: str
    partner_id: str | None
    name: str

    def sees_partner(self, partner_id: str) -> bool:
        return self.role in ("coordinator", "admin") or self.partner_id == partner_id


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_staff(
    session: Session, email: str, name: str, role: str, password: str | None, partner_id: str | None
) -> Staff:
    email = email.strip().lower()
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}")
    if role == "adviser" and not partner_id:
        raise StaffError("an adviser belongs to a partner: give its id")
    if partner_id and session.get(Partner, partner_id) is None:
        raise StaffError(f"no partner {partner_id!r}")
    if password is not None and len(password) < 10:
        raise StaffError("the password needs at least 10 characters")
    if session.scalar(select(Staff.id).where(Staff.email == email)) is not None:
        raise StaffError(f"{email} already has an account")
    staff = Staff(
        email=email,
        name=name.strip(),
        role=role,
        partner_id=partner_id if role == "adviser" else None,
        password_hash=hasher.hash(password) if password else None,
        active=True,
    )
    session.add(staff)
    session.flush()
    return staff


def check_password(session: Session, email: str, password: str) -> Staff | None:
    staff = session.scalar(select(Staff).where(Staff.email == email.strip().lower(), Staff.active))
    if staff is None or staff.password_hash is None:
        hasher.hash(password)  # same time whether the account exists or not
        return None
    try:
        hasher.verify(staff.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return staff


def issue_token(
    session: Session, staff: Staff, now: datetime, kind: str = "session", name: str | None = None
) -> str:
    """A new bearer token (kind "session", expires) or API key (kind "api_key"); the clear value, once."""
    token = ("sk_" if kind == "api_key" else "st_") + secrets.token_urlsafe(32)
    expires = now + SESSION_LIFETIME if kind == "session" else None
    session.add(
        StaffToken(
            staff_id=staff.id,
            token_hash=digest(token),
            kind=kind,
            name=name,
            created_at=now,
            expires_at=expires,
        )
    )
    return token


def principal_for(session: Session, token: str, now: datetime) -> Principal | None:
    """The active staff member a token or key belongs to, if it is valid now."""
    row = session.execute(
        select(StaffToken, Staff)
        .join(Staff, Staff.id == StaffToken.staff_id)
        .where(StaffToken.token_hash == digest(token), StaffToken.revoked_at.is_(None), Staff.active)
    ).first()
    if row is None:
        return None
    credential, staff = row
    if credential.expires_at is not None and credential.expires_at <= now:
        return None
    return Principal(staff.id, staff.role, staff.partner_id, staff.name)


def revoke(session: Session, token: str, now: datetime) -> None:
    credential = session.scalar(select(StaffToken).where(StaffToken.token_hash == digest(token)))
    if credential is not None:
        credential.revoked_at = now
