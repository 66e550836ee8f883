"""Read-only views of enrolment's tables for the coordinator: waiting lists, groups, history, erasures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from . import tables
from .tables import groups, history, intakes, referrals


@dataclass(frozen=True)
class Person:
    """A referral as the coordinator sees it; contact and employee reference only on request."""

    partner_id: str
    partner_referral_id: str
    display_name: str
    status: str
    employee_reference: str
    contact_name: str
    contact_email: str


@dataclass(frozen=True)
class Waiting:
    position: int
    since: datetime
    person: Person


@dataclass(frozen=True)
class WaitingList:
    course_type: str
    level: int
    language_group: str  # "" when the partner named none
    waiting: list[Waiting]


@dataclass(frozen=True)
class Intake:
    id: str
    course_type: str
    from_date: date
    locations: list[str]
    groups_used: int
    groups_total: int


@dataclass(frozen=True)
class Group:
    id: str
    status: str
    course_type: str
    level: int
    language_group: str
    capacity: int
    closed_early: bool
    intake_id: str
    first_session: date | None
    last_session: date | None
    seats: dict[int, Person]  # seat number -> who holds it; free seats are missing


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    what: str
    detail: str


@dataclass(frozen=True)
class History:
    person: Person | None  # None when only the history knows the referral (it was rejected)
    lines: list[HistoryLine]


def _person(row: Any) -> Person:
    return Person(
        row.partner_id,
        row.partner_referral_id or "",  # removed by retention from a completion kept for the retake rule
        row.display_name,
        row.status,
        row.employee_reference,
        row.contact_name,
        row.contact_email,
    )


async def waiting_lists(connection: AsyncConnection) -> list[WaitingList]:
    """Every non-empty waiting list, each in arrival order (the order groups are formed in)."""
    rows = await connection.execute(
        select(referrals)
        .where(referrals.c.status == "waiting")
        .order_by(referrals.c.course_type, referrals.c.level, referrals.c.language_group, referrals.c.arrival)
    )
    lists: dict[tuple[str, int, str], list[Waiting]] = {}
    for row in rows:
        people = lists.setdefault((row.course_type, row.level, row.language_group), [])
        people.append(Waiting(len(people) + 1, row.accepted_at, _person(row)))
    return [WaitingList(*key, people) for key, people in lists.items()]


async def intake_list(connection: AsyncConnection) -> list[Intake]:
    rows = await connection.execute(select(intakes).order_by(intakes.c.opened_at, intakes.c.id))
    return [
        Intake(r.id, r.course_type, r.from_date, list(r.locations), r.groups_used, r.groups_total)
        for r in rows
    ]


async def waiting_per_course(connection: AsyncConnection) -> dict[str, int]:
    rows = await connection.execute(
        select(referrals.c.course_type, func.count())
        .where(referrals.c.status == "waiting")
        .group_by(referrals.c.course_type)
    )
    return {course_type: count for course_type, count in rows}


async def group_list(connection: AsyncConnection) -> list[Group]:
    """All groups, oldest first, with whoever holds a seat (placed, completed, or left)."""
    seats: dict[str, dict[int, Person]] = {}
    members = await connection.execute(
        select(referrals).where(referrals.c.group_id.is_not(None)).order_by(referrals.c.seat)
    )
    for row in members:
        seats.setdefault(row.group_id, {})[row.seat] = _person(row)
    rows = await connection.execute(select(groups).order_by(groups.c.formed_at, groups.c.id))
    return [
        Group(
            r.id,
            r.status,
            r.course_type,
            r.level,
            r.language_group,
            r.capacity,
            r.closed_early,
            r.intake_id,
            r.first_session,
            r.last_session,
            seats.get(r.id, {}),
        )
        for r in rows
    ]


async def referral_history(
    connection: AsyncConnection, partner_id: str, partner_referral_id: str
) -> History | None:
    """What happened to one referral, oldest first; None when enrolment never heard of it."""
    row = (
        await connection.execute(
            select(referrals)
            .where(referrals.c.partner_id == partner_id)
            .where(referrals.c.partner_referral_id == partner_referral_id)
        )
    ).first()
    rows = await connection.execute(
        select(history.c.at, history.c.what, history.c.detail)
        .where(history.c.partner_id == partner_id)
        .where(history.c.partner_referral_id == partner_referral_id)
        .order_by(history.c.at, history.c.id)
    )
    lines = [HistoryLine(r.at, r.what, r.detail) for r in rows]
    if row is None and not lines:
        return None
    return History(_person(row) if row else None, lines)


@dataclass(frozen=True)
class ErasureRequest:
    request_id: str
    partner_id: str
    asked_by: str
    requested_by: str | None
    requested_at: datetime
    outcome: str
    answers: dict[str, dict[str, int]]


async def erasure_requests(connection: AsyncConnection, *, include_done: bool) -> list[ErasureRequest]:
    """Requests, oldest first; without `include_done` only those not yet answered by all services."""
    table = tables.erasure_requests
    query = select(table).order_by(table.c.requested_at)
    if not include_done:
        query = query.where(table.c.done_at.is_(None))
    rows = await connection.execute(query)
    return [
        ErasureRequest(
            r.request_id, r.partner_id, r.asked_by, r.requested_by, r.requested_at, r.outcome, r.answers
        )
        for r in rows
    ]
