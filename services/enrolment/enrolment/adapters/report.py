"""The municipality's numbers in enrolment's database: adding to them in a handler's transaction,
and reading them back for a period (`taalhuis-report`).

The reporting tables hold counts, dates, municipalities, partners, course types and sketches: no
name, reference, referral id or key. Facts about people are read from the referral rows while a
handler runs and reduced to those dimensions at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.reporting import (
    ALL,
    COURSE_MEASURES,
    Count,
    Course,
    Measure,
    Person,
    added_up,
    distinct_people,
    with_person,
)
from .tables import referrals, report_counts, report_people, report_sessions

KeyOf = Callable[[str, str], str]  # (partner id, employee reference) -> the person's keyed hash


def _person(row: Any) -> Person:
    return Person(row.municipality_of_residence, row.partner_id, row.course_type, row.level)


class ReportStore:
    """What the numbers need while a handler runs, on the handler's own connection."""

    def __init__(self, connection: AsyncConnection, key_of: KeyOf) -> None:
        self._connection = connection
        self._key_of = key_of
        self._counts: list[Count] = []
        self._completed_before: dict[str, bool] = {}
        # What `look_up` read for a batch (the counting step changes no referral).
        self._people: dict[str, Person] = {}
        self._seated: dict[str, tuple[Person, ...]] = {}

    # --- facts about referrals and courses ------------------------------------------------------

    async def look_up(self, referral_ids: Sequence[str], group_ids: Sequence[str]) -> None:
        """Read the referrals and the groups' seats a batch's counting asks about, in one statement."""
        if not referral_ids and not group_ids:
            return
        rows = await self._connection.execute(
            select(referrals)
            .where(or_(referrals.c.id.in_(referral_ids), referrals.c.group_id.in_(group_ids)))
            .order_by(referrals.c.seat)
        )
        seated: dict[str, list[Person]] = {group_id: [] for group_id in group_ids}
        for row in rows:
            self._people[row.id] = _person(row)
            if row.group_id in seated:
                seated[row.group_id].append(_person(row))
        self._seated.update({group_id: tuple(people) for group_id, people in seated.items()})

    async def person(self, referral_id: str) -> Person | None:
        if referral_id in self._people:
            return self._people[referral_id]
        row = (await self._connection.execute(select(referrals).where(referrals.c.id == referral_id))).first()
        return _person(row) if row is not None else None

    async def referral(self, partner_id: str, partner_referral_id: str) -> str | None:
        found: str | None = await self._connection.scalar(
            select(referrals.c.id)
            .where(referrals.c.partner_id == partner_id)
            .where(func.lower(referrals.c.partner_referral_id) == func.lower(partner_referral_id))
        )
        return found

    async def completed_before(self, referral_id: str) -> bool:
        """Whether this person completed the same course and level before: the retake rule's lookup."""
        if referral_id not in self._completed_before:
            await self.look_up_completions([referral_id])
        return self._completed_before[referral_id]

    async def look_up_completions(self, referral_ids: Sequence[str]) -> None:
        """`completed_before` for many referrals (a batch's accepted ones) in one statement."""
        if not referral_ids:
            return
        earlier = referrals.alias("earlier")
        found = set(
            await self._connection.scalars(
                select(referrals.c.id)
                .distinct()
                .select_from(referrals.join(earlier, earlier.c.person_key == referrals.c.person_key))
                .where(referrals.c.id.in_(referral_ids))
                .where(earlier.c.id != referrals.c.id)
                .where(earlier.c.course_type == referrals.c.course_type)
                .where(earlier.c.level == referrals.c.level)
                .where(earlier.c.status == "completed")
            )
        )
        self._completed_before.update({referral_id: referral_id in found for referral_id in referral_ids})

    async def course(self, group_id: str, course_type: str, level: int) -> Course:
        """The course of a group with everyone who has (had) a seat in it."""
        if group_id in self._seated:
            return Course(course_type, level, self._seated[group_id])
        rows = await self._connection.execute(
            select(referrals).where(referrals.c.group_id == group_id).order_by(referrals.c.seat)
        )
        return Course(course_type, level, tuple(_person(row) for row in rows))

    async def completed_in(self, group_id: str) -> list[str]:
        found = await self._connection.scalars(
            select(referrals.c.id)
            .where(referrals.c.group_id == group_id)
            .where(referrals.c.status == "completed")
        )
        return list(found)

    # --- a course's sessions --------------------------------------------------------------------

    async def sessions(self, group_id: str) -> dict[int, tuple[date, bool]]:
        """Session number -> (day it is planned for, cancelled)."""
        rows = await self._connection.execute(
            select(report_sessions).where(report_sessions.c.group_id == group_id)
        )
        return {row.number: (row.day, row.cancelled) for row in rows}

    async def plan_sessions(self, group_id: str, days: dict[int, date]) -> None:
        for number, day in days.items():
            await self._set_session(group_id, number, day, cancelled=False)

    async def cancel_session(self, group_id: str, number: int, day: date) -> None:
        await self._set_session(group_id, number, day, cancelled=True)

    async def _set_session(self, group_id: str, number: int, day: date, *, cancelled: bool) -> None:
        statement = pg_insert(report_sessions).values(
            group_id=group_id, number=number, day=day, cancelled=cancelled
        )
        await self._connection.execute(
            statement.on_conflict_do_update(
                index_elements=[report_sessions.c.group_id, report_sessions.c.number],
                set_={"day": day, "cancelled": cancelled},
            )
        )

    async def forget_sessions(self, group_id: str) -> None:
        await self._connection.execute(delete(report_sessions).where(report_sessions.c.group_id == group_id))

    # --- adding up --------------------------------------------------------------------------------

    async def add(self, counts: Sequence[Count]) -> None:
        """Keep counts until `write_counts`: a batch's events add to the same rows."""
        self._counts.extend(counts)

    async def write_counts(self) -> None:
        """Add the kept counts to their rows in one upsert that adds, rows in a fixed order (against
        deadlocks between transactions); counts of one row are summed first, as one statement may
        touch a row only once."""
        counts = sorted(added_up(self._counts), key=lambda c: c.key)
        self._counts = []
        if not counts:
            return
        statement = pg_insert(report_counts).values(
            [
                {
                    "day": count.day,
                    "measure": count.measure.value,
                    "reason": count.reason,
                    "municipality": count.municipality,
                    "partner_id": count.partner_id,
                    "course_type": count.course_type,
                    "level": count.level,
                    "count": count.amount,
                }
                for count in counts
            ]
        )
        await self._connection.execute(
            statement.on_conflict_do_update(
                constraint="report_counts_pkey",
                set_={"count": report_counts.c.count + statement.excluded.count},
            )
        )

    async def took_part(self, day: date, referral_ids: Sequence[str]) -> None:
        """Add the people of these referrals to the day's sketches of their municipality, partner
        and course. Rows are taken in a fixed order, so that handlers running side by side wait for
        each other instead of deadlocking."""
        rows = await self._connection.execute(select(referrals).where(referrals.c.id.in_(referral_ids)))
        found = sorted(
            rows, key=lambda r: (r.municipality_of_residence, r.partner_id, r.course_type, r.level)
        )
        for row in found:
            key = row.person_key or self._key_of(row.partner_id, row.employee_reference)
            where = {
                "day": day,
                "municipality": row.municipality_of_residence,
                "partner_id": row.partner_id,
                "course_type": row.course_type,
                "level": row.level,
            }
            # Create the row first, so that two handlers adding to it wait for each other (FOR UPDATE).
            await self._connection.execute(
                pg_insert(report_people)
                .values(**where, sketch=with_person(None, key))
                .on_conflict_do_nothing()
            )
            matches = and_(*(report_people.c[name] == value for name, value in where.items()))
            sketch = await self._connection.scalar(
                select(report_people.c.sketch).where(matches).with_for_update()
            )
            await self._connection.execute(
                update(report_people).where(matches).values(sketch=with_person(sketch, key))
            )


# --- reading: the report for a period ------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A period (both days included) and optional filters; municipalities match in any case."""

    start: date
    end: date
    municipality: str | None = None
    partner_id: str | None = None
    course_type: str | None = None


@dataclass
class Line:
    """One row of the report: sums per (measure, reason), waiting at the end, different people."""

    municipality: str
    course_type: str
    level: int
    sums: dict[tuple[str, str], int] = field(default_factory=dict)
    waiting_at_end: int = 0
    people: int = 0

    def get(self, measure: Measure, reason: str | None = None) -> int:
        """One measure's sum; with reason None, over all its reasons."""
        return sum(n for (m, r), n in self.sums.items() if m == measure.value and reason in (None, r))


@dataclass(frozen=True)
class Report:
    query: Query
    lines: list[Line]  # per municipality of residence, course type and level
    total: Line  # course-level measures count each course once here, not the sum of the lines


PARTICIPANT_MEASURES = [m.value for m in Measure if m not in COURSE_MEASURES]
COURSE_MEASURE_NAMES = [m.value for m in COURSE_MEASURES]


def _same_place(column: Any, name: str) -> ColumnElement[bool]:
    return func.lower(column) == func.lower(name)


async def read_report(connection: AsyncConnection, query: Query) -> Report:
    c = report_counts.c
    common: list[ColumnElement[bool]] = []
    if query.course_type:
        common.append(c.course_type == query.course_type)
    in_period = [c.day >= query.start, c.day <= query.end]
    participants: list[ColumnElement[bool]] = [c.measure.in_(PARTICIPANT_MEASURES), *common]
    if query.municipality:
        participants.append(_same_place(c.municipality, query.municipality))
    if query.partner_id:
        participants.append(c.partner_id == query.partner_id)
    # Course-level rows: the slice the filters ask for (see domain/reporting.for_course).
    courses = [c.measure.in_(COURSE_MEASURE_NAMES), c.partner_id == (query.partner_id or ALL), *common]
    per_place = [*courses, c.municipality != ALL]
    if query.municipality:
        per_place.append(_same_place(c.municipality, query.municipality))
        in_total = [*courses, _same_place(c.municipality, query.municipality)]
    else:
        in_total = [*courses, c.municipality == ALL]

    lines: dict[str, Line] = {}

    def line(place: str, course_type: str, level: int) -> Line:
        key = f"{place.casefold()}\n{course_type}\n{level}"
        if key not in lines:
            lines[key] = Line(place, course_type, level)
        return lines[key]

    for row in await _sums(connection, [*participants, *in_period]):
        line(row.municipality, row.course_type, row.level).sums[(row.measure, row.reason)] = row.total
    for row in await _sums(connection, [*per_place, *in_period]):
        line(row.municipality, row.course_type, row.level).sums[(row.measure, row.reason)] = row.total
    waiting = [c.measure.in_([Measure.WAITING_ENTERED.value, Measure.WAITING_LEFT.value]), c.day <= query.end]
    for row in await _sums(connection, [*participants, *waiting]):
        sign = 1 if row.measure == Measure.WAITING_ENTERED.value else -1
        line(row.municipality, row.course_type, row.level).waiting_at_end += sign * row.total

    sketches: dict[int, list[bytes]] = defaultdict(list)  # by id() of the line
    every_sketch: list[bytes] = []
    for row in await _sketches(connection, query):
        found = line(row.municipality, row.course_type, row.level)
        sketches[id(found)].append(row.sketch)
        every_sketch.append(row.sketch)
    for each in lines.values():
        each.people = distinct_people(sketches[id(each)])

    total = Line("", query.course_type or "", 0)
    for each in lines.values():
        total.waiting_at_end += each.waiting_at_end
        for (measure, reason), n in each.sums.items():
            if measure in PARTICIPANT_MEASURES:
                total.sums[(measure, reason)] = total.sums.get((measure, reason), 0) + n
    for row in await _sums(connection, [*in_total, *in_period], per_line=False):
        total.sums[(row.measure, row.reason)] = row.total
    total.people = distinct_people(every_sketch)
    ordered = sorted(lines.values(), key=lambda x: (x.municipality.casefold(), x.course_type, x.level))
    return Report(query, ordered, total)


async def _sums(connection: AsyncConnection, where: list[ColumnElement[bool]], per_line: bool = True) -> Any:
    c = report_counts.c
    columns: list[Any] = [c.measure, c.reason]
    grouping: list[Any] = [c.measure, c.reason]
    if per_line:
        # Municipalities in any case are one line, shown in the spelling that sorts first.
        columns += [func.min(c.municipality).label("municipality"), c.course_type, c.level]
        grouping += [func.lower(c.municipality), c.course_type, c.level]
    return await connection.execute(
        select(*columns, func.sum(c.count).label("total")).where(*where).group_by(*grouping)
    )


async def _sketches(connection: AsyncConnection, query: Query) -> Any:
    p = report_people.c
    where: list[ColumnElement[bool]] = [p.day >= query.start, p.day <= query.end]
    if query.municipality:
        where.append(_same_place(p.municipality, query.municipality))
    if query.partner_id:
        where.append(p.partner_id == query.partner_id)
    if query.course_type:
        where.append(p.course_type == query.course_type)
    return await connection.execute(
        select(p.municipality, p.course_type, p.level, p.sketch).where(*where).order_by(p.municipality)
    )
