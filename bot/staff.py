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

from bot.enums import READERS, WRITERS, Role
from bot.errors import CodedError
from bot.models import Partner, Staff, StaffToken
from bot.models.staff import ROLES

SESSION_LIFETIME = timedelta(hours=12)
hasher = PasswordHasher()


class StaffError(CodedError, ValueError):
    """A request about staff that cannot be done. `code`: "bad_role", "missing_partner",
    "unknown_partner", "short_password", "email_taken", "not_found"; the message says why."""


@dataclass(frozen=True)
class Principal:
    """Who is calling the admin API."""

    staff_id: int
    role: Role
    partner_id: str | None
    name: str
    scopes: frozenset[str] = frozenset()  # an API key limited to these (e.g. "places"); empty: no limit

    def sees_partner(self, partner_id: str) -> bool:
        return self.role in READERS or self.partner_id == partner_id

    @property
    def writes(self) -> bool:
        """May act on handoffs and places (advisers for their partner, admins)."""
        return self.role in WRITERS


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_staff(
    session: Session, email: str, name: str, role: str, password: str | None, partner_id: str | None
) -> Staff:
    email = email.strip().lower()
    if role not in ROLES:
        raise StaffError("bad_role", f"role must be one of {', '.join(ROLES)}")
    partner = partner_of(session, Role(role), partner_id)
    if partner_id and partner is None and session.get(Partner, partner_id) is None:
        raise StaffError("unknown_partner", f"no partner {partner_id!r}")
    if password is not None and len(password) < 10:
        raise StaffError("short_password", "the password needs at least 10 characters")
    if session.scalar(select(Staff.id).where(Staff.email == email)) is not None:
        raise StaffError("email_taken", f"{email} already has an account")
    staff = Staff(
        email=email,
        name=name.strip(),
        role=role,
        partner_id=partner,
        password_hash=hasher.hash(password) if password else None,
        active=True,
    )
    session.add(staff)
    session.flush()
    return staff


def partner_of(session: Session, role: Role, partner_id: str | None) -> str | None:
    """The partner a staff member of `role` belongs to: an adviser to one that exists, others to none."""
    if role != Role.ADVISER:
        return None
    if not partner_id:
        raise StaffError("missing_partner", "an adviser belongs to a partner: give partner_id")
    found = session.get(Partner, partner_id)
    if found is None or found.outside_network:  # a service outside the network has no staff here
        raise StaffError("unknown_partner", f"no partner {partner_id!r}")
    return partner_id


def change_staff(
    session: Session,
    staff_id: int,
    role: Role | None = None,
    partner_id: str | None = None,
    active: bool | None = None,
    now: datetime | None = None,
) -> Staff:
    """Change a staff member's role, partner or activity; what is None stays as it is."""
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise StaffError("not_found", f"no staff {staff_id}")
    new_role = role or Role(staff.role)
    staff.partner_id = partner_of(
        session, new_role, partner_id if partner_id is not None else staff.partner_id
    )
    staff.role = new_role
    if active is not None:
        if staff.active and not active and now is not None:
            revoke_all(session, staff.id, now)  # a returning account gets new credentials, not the old ones
        staff.active = active
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


SCOPES = {"places": "places of the partner's services only (GET /services/mine, PATCH .../capacity)"}


def issue_token(
    session: Session,
    staff: Staff,
    now: datetime,
    kind: str = "session",
    name: str | None = None,
    scopes: frozenset[str] = frozenset(),
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
            scopes=" ".join(sorted(scopes)) or None,
        )
    )
    return token


def api_keys(session: Session, staff_id: int | None = None) -> list[StaffToken]:
    """The API keys (of one staff member if given), newest first; never their value."""
    query = select(StaffToken).where(StaffToken.kind == "api_key").order_by(StaffToken.id.desc())
    if staff_id is not None:
        query = query.where(StaffToken.staff_id == staff_id)
    return list(session.scalars(query))


def revoke_key(session: Session, key_id: int, now: datetime, owner: int | None = None) -> StaffToken:
    """Revoke an API key (only the owner's own when `owner` is given)."""
    key = session.get(StaffToken, key_id)
    if key is None or key.kind != "api_key" or (owner is not None and key.staff_id != owner):
        raise StaffError("not_found", f"no API key {key_id}")
    key.revoked_at = key.revoked_at or now
    return key


def revoke_all(session: Session, staff_id: int, now: datetime) -> None:
    """Every token and key of a staff member, e.g. when the account is deactivated: they never come back."""
    for credential in session.scalars(
        select(StaffToken).where(StaffToken.staff_id == staff_id, StaffToken.revoked_at.is_(None))
    ):
        credential.revoked_at = now


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
    scopes = frozenset((credential.scopes or "").split())
    return Principal(staff.id, Role(staff.role), staff.partner_id, staff.name, scopes)


def revoke(session: Session, token: str, now: datetime) -> None:
    credential = session.scalar(select(StaffToken).where(StaffToken.token_hash == digest(token)))
    if credential is not None:
        credential.revoked_at = now
