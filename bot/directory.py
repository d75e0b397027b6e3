"""Names and small facts the staff pages and the admin API show beside a handoff or a service: partners'
and staff members' names, the youth's channel, the partners and services of the catalogue. One place for
these reads, so that routes and pages run no SQL of their own."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Partner, Service, Staff, Youth


def partner_names(session: Session, active_only: bool = False) -> dict[str, str]:
    """Partner id -> name of the network's partners, in the order of the names."""
    query = select(Partner.id, Partner.nom).where(Partner.outside_network.is_(False)).order_by(Partner.nom)
    if active_only:
        query = query.where(Partner.active)
    return dict(session.execute(query).tuples().all())


def staff_names(session: Session, staff_ids: Iterable[int]) -> dict[int, str]:
    """Staff id -> name, for the ids given."""
    wanted = set(staff_ids)
    if not wanted:
        return {}
    return dict(session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(wanted))).tuples().all())


def youth_channel(session: Session, youth_id: int) -> str:
    """The channel a youth talks on ("" if the youth was erased meanwhile)."""
    youth = session.get(Youth, youth_id)
    return youth.channel if youth else ""


def partners(session: Session) -> Sequence[Partner]:
    """The network's partners (not the services outside it, imported from data·inclusion)."""
    return session.scalars(
        select(Partner).where(Partner.outside_network.is_(False)).order_by(Partner.id)
    ).all()


def services_of(session: Session, partner_id: str) -> Sequence[Service]:
    return session.scalars(select(Service).where(Service.partner_id == partner_id)).all()


def all_staff(session: Session) -> Sequence[Staff]:
    return session.scalars(select(Staff).order_by(Staff.id)).all()
