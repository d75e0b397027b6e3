"""Staff accounts and their credentials: passwords hashed with Argon2, bearer tokens that expire, API keys
for integrations. Only the SHA-256 of a token or key is stored; the clear value is shown once."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import Session

from bot.db import transaction
from bot.enums import PARTNER_STAFF, READERS, WRITERS, Role
from bot.errors import CodedError
from bot.models import Partner, Staff, StaffToken
from bot.models.staff import ROLES

SESSION_LIFETIME = timedelta(hours=12)
API_KEY_LIFETIME = timedelta(days=365)  # staff.api_key_days in config.yml
hasher = PasswordHasher()


class StaffError(CodedError, ValueError):
    """A request about staff that cannot be done. `code`: "bad_role", "missing_partner",
    "unknown_partner", "weak_password", "email_taken", "not_found"; the message says why."""


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
        """May act on handoffs and places (advisers and leads for their partner, admins)."""
        return self.role in WRITERS

    @property
    def of_one_partner(self) -> bool:
        """Sees only their partner's questions, places and colleagues (advisers, leads)."""
        return self.role in PARTNER_STAFF

    def manages_partner(self, partner_id: str | None) -> bool:
        """May manage this partner's integrations: API keys of its staff, its webhook (its lead, admins)."""
        return self.role == Role.ADMIN or (
            self.role == Role.LEAD and partner_id is not None and self.partner_id == partner_id
        )

    def manages_staff(self, staff: Staff) -> bool:
        """May create, list and revoke this staff member's API keys: themself, their partner's lead, an
        admin."""
        return staff.id == self.staff_id or self.manages_partner(staff.partner_id)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_staff(
    session: Session,
    email: str,
    name: str,
    role: str,
    password: str | None,
    partner_id: str | None,
    min_score: int = 3,
) -> Staff:
    email = email.strip().lower()
    if role not in ROLES:
        raise StaffError("bad_role", f"role must be one of {', '.join(ROLES)}")
    partner = partner_of(session, Role(role), partner_id)
    if partner_id and partner is None and session.get(Partner, partner_id) is None:
        raise StaffError("unknown_partner", f"no partner {partner_id!r}")
    weakness = password is not None and weak_password(password, email, name, min_score=min_score)
    if weakness:
        raise StaffError("weak_password", weakness)
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
    """The partner a staff member of `role` belongs to: an adviser or a lead to one that exists, others
    to none."""
    if role not in PARTNER_STAFF:
        return None
    if not partner_id:
        raise StaffError(
            "missing_partner", f"a staff member with the role {role} belongs to a partner: give partner_id"
        )
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


def verified(password_hash: str, password: str) -> bool:
    try:
        return bool(hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class LoginPolicy:
    """Wrong passwords in a row make the account wait, longer each time (staff.* in config.yml)."""

    free_attempts: int = 5
    first_wait_seconds: float = 30.0
    max_wait_seconds: float = 3600.0

    def wait_after(self, failures: int) -> timedelta | None:
        if failures < self.free_attempts:
            return None
        seconds = self.first_wait_seconds * 2 ** min(failures - self.free_attempts, 20)
        return timedelta(seconds=min(seconds, self.max_wait_seconds))


@dataclass(frozen=True)
class Login:
    """The outcome of a log-in: the staff member and their new token, or how long the account waits."""

    staff: Staff | None = None
    token: str | None = None
    wait_seconds: int = 0  # > 0: the account is locked for that long; the password was not even checked


def log_in(engine: Engine, email: str, password: str, now: datetime, policy: LoginPolicy) -> Login:
    """Check a password and issue a session token. Argon2 runs outside any transaction (on SQLite a
    transaction holds the database's only write lock, which the youths' messages need); each wrong
    password counts, and past `policy.free_attempts` the account waits before any new try."""
    with transaction(engine) as session:
        staff = session.scalar(select(Staff).where(Staff.email == email.strip().lower(), Staff.active))
        found = (staff.id, staff.password_hash, staff.locked_until) if staff else None
    if found is None or found[1] is None:
        hasher.hash(password)  # same time whether the account exists or not
        return Login()
    staff_id, password_hash, locked_until = found[0], found[1], found[2]
    if locked_until is not None and locked_until > now:
        return Login(wait_seconds=max(1, int((locked_until - now).total_seconds() + 0.999)))
    good = verified(password_hash, password)
    with transaction(engine) as session:
        if good:
            clean = update(Staff).where(Staff.id == staff_id).values(failed_logins=0, locked_until=None)
            session.execute(clean)
            staff = session.get(Staff, staff_id)
            assert staff is not None
            return Login(staff, issue_token(session, staff, now))
        failures = session.scalar(
            update(Staff)
            .where(Staff.id == staff_id)
            .values(failed_logins=Staff.failed_logins + 1)
            .returning(Staff.failed_logins)
        )
        wait = policy.wait_after(failures or 0)
        if wait is not None:
            session.execute(update(Staff).where(Staff.id == staff_id).values(locked_until=now + wait))
    return Login()


def weak_password(password: str, *known: str, min_score: int = 3) -> str | None:
    """Why a password is too easy to guess (a common one, a word and digits, the name or e-mail), or None.
    zxcvbn's estimate, 0 (guessed at once) to 4 (very unlikely)."""
    from zxcvbn import zxcvbn

    if len(password) < 10:
        return "the password needs at least 10 characters"
    result = zxcvbn(password[:100], user_inputs=[k for k in known if k])
    if result["score"] >= min_score:
        return None
    warning = result["feedback"].get("warning") or "it is too easy to guess"
    return f"this password is too weak: {warning.rstrip('.')}"


SCOPES = {
    "places": "places of the partner's services only (GET /services/mine, PATCH .../capacity)",
    "offers": "the partner's job and training offers only (POST /offers)",
}


def issue_token(
    session: Session,
    staff: Staff,
    now: datetime,
    kind: str = "session",
    name: str | None = None,
    scopes: frozenset[str] = frozenset(),
    key_lifetime: timedelta = API_KEY_LIFETIME,
) -> str:
    """A new bearer token (kind "session", 12 hours) or API key (kind "api_key", `key_lifetime`); the
    clear value, once."""
    token = ("sk_" if kind == "api_key" else "st_") + secrets.token_urlsafe(32)
    expires = now + (SESSION_LIFETIME if kind == "session" else key_lifetime)
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


def api_keys(session: Session, principal: Principal, staff_id: int | None = None) -> list[StaffToken]:
    """The API keys `principal` may see (an admin all, a lead their partner's staff's, others their
    own), of one staff member if given, newest first; never their value."""
    query = (
        select(StaffToken)
        .join(Staff, Staff.id == StaffToken.staff_id)
        .where(StaffToken.kind == "api_key")
        .order_by(StaffToken.id.desc())
    )
    if principal.role == Role.LEAD:
        query = query.where(or_(Staff.partner_id == principal.partner_id, Staff.id == principal.staff_id))
    elif principal.role != Role.ADMIN:
        query = query.where(Staff.id == principal.staff_id)
    if staff_id is not None:
        query = query.where(StaffToken.staff_id == staff_id)
    return list(session.scalars(query))


def revoke_key(session: Session, principal: Principal, key_id: int, now: datetime) -> StaffToken:
    """Revoke an API key that `principal` may see (see `api_keys`); another's is "not_found"."""
    key = next((k for k in api_keys(session, principal) if k.id == key_id), None)
    if key is None:
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
