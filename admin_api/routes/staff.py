"""Staff accounts (admins; a partner's lead reads its partner's), API keys (an admin any, a lead their
partner's staff's, others their own), and the audit log (coordinators, admins)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from admin_api.context import staff_context
from admin_api.deps import DB, Admin, Caller, Now, Reader, RowId
from bot import directory
from bot.audit import audit, entries
from bot.enums import Role
from bot.models import Staff, StaffToken
from bot.staff import StaffError, add_staff, api_keys, change_staff, issue_token, revoke_key

router = APIRouter(tags=["staff"])


class StaffIn(BaseModel):
    email: str = Field(min_length=3, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")
    name: str = Field(min_length=1, max_length=200)
    role: Role
    partner_id: str | None = Field(default=None, max_length=80)
    password: str | None = Field(default=None, min_length=10, max_length=200)


class StaffPatch(BaseModel):
    role: Role | None = None
    partner_id: str | None = Field(default=None, max_length=80)
    active: bool | None = None


class StaffOut(BaseModel):
    id: int
    email: str
    name: str
    role: str
    partner_id: str | None
    active: bool


class ApiKeyIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[Literal["places", "offers"]] = Field(
        default_factory=list,
        description="limit the key: 'places' (places only), 'offers' (offers only); empty: everything the "
        "staff may do",
    )


class ApiKeyOut(BaseModel):
    id: int
    staff_id: int
    name: str | None
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class NewApiKey(BaseModel):
    api_key: str = Field(description="shown once: keep it safe")
    id: int
    expires_at: datetime | None = Field(description="then refused: make a new key before")


def fail(error: StaffError) -> HTTPException:
    return HTTPException(404 if error.code == "not_found" else 422, str(error))


def out(staff: Staff) -> StaffOut:
    return StaffOut(
        id=staff.id,
        email=staff.email,
        name=staff.name,
        role=staff.role,
        partner_id=staff.partner_id,
        active=staff.active,
    )


@router.get("/staff")
def list_staff(caller: Caller, db: DB) -> list[StaffOut]:
    """Every account for an admin; a lead's own partner's (to give a colleague an API key)."""
    if caller.role == Role.ADMIN:
        return [out(s) for s in directory.all_staff(db)]
    if caller.role == Role.LEAD:
        return [out(s) for s in directory.all_staff(db) if s.partner_id == caller.partner_id]
    raise HTTPException(403, "this needs the role lead or admin")


@router.post("/staff", status_code=201)
def create_staff(body: StaffIn, request: Request, caller: Admin, db: DB, at: Now) -> StaffOut:
    try:
        min_score = staff_context(request).staff_settings.min_password_score
        staff = add_staff(db, body.email, body.name, body.role, body.password, body.partner_id, min_score)
    except StaffError as error:
        raise fail(error) from None
    audit(db, caller.staff_id, "create", "staff", staff.id, None, out(staff).model_dump(), at)
    return out(staff)


@router.patch("/staff/{staff_id}")
def update_staff(staff_id: RowId, body: StaffPatch, caller: Admin, db: DB, at: Now) -> StaffOut:
    staff = db.get(Staff, staff_id)
    before = out(staff).model_dump() if staff is not None else None
    try:
        staff = change_staff(db, staff_id, body.role, body.partner_id, body.active, at)
    except StaffError as error:
        raise fail(error) from None
    audit(db, caller.staff_id, "update", "staff", staff_id, before, out(staff).model_dump(), at)
    return out(staff)


@router.post("/staff/{staff_id}/api-keys", status_code=201)
def create_api_key(
    staff_id: RowId, body: ApiKeyIn, request: Request, caller: Caller, db: DB, at: Now
) -> NewApiKey:
    """A key for an integration, acting as this staff member (an admin for anyone, a lead for their
    partner's staff, others for themself), limited to `scopes` if given, valid `staff.api_key_days` days.
    Shown once: keep it safe."""
    staff = db.get(Staff, staff_id)
    if staff is None or not caller.manages_staff(staff):
        raise HTTPException(404, f"no staff {staff_id}")
    if not staff.active:
        raise HTTPException(409, "this account is deactivated")
    lifetime = timedelta(days=staff_context(request).staff_settings.api_key_days)
    scopes = frozenset(body.scopes)
    key = issue_token(db, staff, at, kind="api_key", name=body.name, scopes=scopes, key_lifetime=lifetime)
    created = api_keys(db, caller, staff_id)[0]
    audit(
        db,
        caller.staff_id,
        "api_key",
        "staff",
        staff_id,
        None,
        {"name": body.name, "scopes": body.scopes},
        at,
    )
    return NewApiKey(api_key=key, id=created.id, expires_at=created.expires_at)


def key_out(key: StaffToken) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        staff_id=key.staff_id,
        name=key.name,
        scopes=(key.scopes or "").split(),
        created_at=key.created_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
    )


@router.get("/api-keys")
def list_api_keys(caller: Caller, db: DB) -> list[ApiKeyOut]:
    """Every key for an admin; a lead's partner's staff's; one's own for others. Never the key itself."""
    return [key_out(k) for k in api_keys(db, caller)]


@router.delete("/api-keys/{key_id}")
def revoke_api_key(key_id: RowId, caller: Caller, db: DB, at: Now) -> ApiKeyOut:
    """Revoke a key at once (an admin any key, a lead their partner's staff's, others their own)."""
    try:
        key = revoke_key(db, caller, key_id, at)
    except StaffError as error:
        raise fail(error) from None
    audit(db, caller.staff_id, "revoke_key", "api_key", key_id, None, {"revoked": True}, at)
    return key_out(key)


class AuditOut(BaseModel):
    id: int
    staff_id: int | None
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    at: datetime


@router.get("/audit")
def audit_log(caller: Reader, db: DB, entity: str | None = None, limit: int = 100) -> list[AuditOut]:
    return [AuditOut.model_validate(e, from_attributes=True) for e in entries(db, entity, limit)]
