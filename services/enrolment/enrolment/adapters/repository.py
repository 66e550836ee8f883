"""Reading and writing enrolment's database: course type aggregates, referrals, intakes, groups.

A unit of work's repository keeps every course type it loaded (one lock, one load per course type
and transaction, however many referrals a batch brings) and keeps back their changes and the
history lines, which `write_changes` writes with a few statements before the commit: one INSERT
each for new groups, new referrals and history lines, one UPDATE for each kind of change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func, insert, or_, select, text, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from taalhuis_shared import erasure
from taalhuis_shared.clock import Clock
from taalhuis_shared.events.erasure import SERVICES

from ..domain.commands import SubmitReferral
from ..domain.course_type import CourseType, Group, History, Intake, Referral, WaitingList
from ..domain.model import Contact, CourseOffer, person_key
from ..domain.status import GroupStatus, ReferralStatus
from .tables import erasure_requests, groups, history, intakes, referrals

DEFAULT_CAPACITY = 5  # for a course type the library no longer gives: one group's worth


def _same(column: ColumnElement[str], value: str) -> ColumnElement[bool]:
    """A partner's id of something, compared without regard to case, as the indexes are built."""
    return func.lower(column) == func.lower(value)


# The facts the duplicate, already-enrolled and retake rules need, for many referrals at once;
# each sub-query uses its own index (lower(partner_referral_id), the active enrolments, person_key).
HISTORIES = text("""
SELECT w.n,
  EXISTS (SELECT 1 FROM referrals r
          WHERE r.partner_id = w.partner_id AND lower(r.partner_referral_id) = lower(w.ref))
  OR EXISTS (SELECT 1 FROM referral_history h
             WHERE h.partner_id = w.partner_id AND lower(h.partner_referral_id) = lower(w.ref)) AS known,
  EXISTS (SELECT 1 FROM referrals r
          WHERE r.partner_id = w.partner_id AND lower(r.employee_reference) = lower(w.employee)
            AND r.course_type = w.course_type AND r.level = w.level
            AND r.status IN ('waiting', 'placed')) AS enrolled,
  (SELECT max(r.completed_on) FROM referrals r
   WHERE r.partner_id = w.partner_id AND r.person_key = w.person_key
     AND r.course_type = w.course_type AND r.level = w.level AND r.status = 'completed') AS last_completed
FROM unnest(CAST(:n AS int[]), CAST(:partner AS text[]), CAST(:ref AS text[]), CAST(:employee AS text[]),
            CAST(:course AS text[]), CAST(:level AS int[]), CAST(:key AS text[]))
  AS w(n, partner_id, ref, employee, course_type, level, person_key)
""")

# Arrival numbers from the column's own sequence, several in one round trip, taken under the
# course type's lock so that the order of arrival on a list is the order of acceptance.
ARRIVALS = text("SELECT nextval(pg_get_serial_sequence('referrals', 'arrival')) FROM generate_series(1, :n)")

USE_INTAKES = text("""
UPDATE intakes SET groups_used = u.used
FROM unnest(CAST(:id AS text[]), CAST(:used AS int[])) AS u(id, used) WHERE intakes.id = u.id
""")


def _referral_changes(*, ended: bool) -> Any:
    """One UPDATE for many referrals' status and seat (`ended`: also when they ended)."""
    return text(f"""
UPDATE referrals SET status = u.status, group_id = u.group_id, group_capacity = u.capacity, seat = u.seat
  {", ended_at = :now" if ended else ""}
FROM unnest(CAST(:id AS text[]), CAST(:status AS text[]), CAST(:group_id AS text[]),
            CAST(:capacity AS int[]), CAST(:seat AS int[])) AS u(id, status, group_id, capacity, seat)
WHERE referrals.id = u.id
""")


END_REFERRALS = _referral_changes(ended=True)
PLACE_REFERRALS = _referral_changes(ended=False)


class EnrolmentRepository:
    def __init__(self, connection: AsyncConnection, *, person_key_secret: str, clock: Clock) -> None:
        self._connection = connection
        self._person_key_secret = person_key_secret
        # The service's clock: when a referral ended and when each history line happened, which
        # the retention periods count from.
        self._clock = clock
        self._course_types: dict[str, CourseType] = {}
        self._referrals: dict[str, Referral] = {}  # each referral read once: one object per row
        self._histories: dict[str, History] = {}  # by event id, from `look_up`
        self._arrivals: list[int] = []  # reserved arrival numbers, smallest first
        self._notes: list[dict[str, Any]] = []

    def person_key(self, partner_id: str, employee: str) -> str:
        return person_key(self._person_key_secret, partner_id, employee)

    async def lock_course(self, course_type: str) -> None:
        """Serialise everything that touches one course type's waiting lists, intakes and groups.

        Held until commit. Cheap (one course type at a time, milliseconds each), and it makes
        positions, group forming and replacements exact with several enrolment processes.
        """
        await self._connection.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"enrolment:{course_type}"}
        )

    # --- the course type aggregate -------------------------------------------------------------

    async def get(self, course_type: str, offer: CourseOffer | None) -> CourseType:
        """The course type under its lock, loaded once per unit of work.

        Loaded: its intakes with room, and per waiting list the number waiting and the first
        people waiting, a group's worth more than the groups there is room for can take.
        """
        if course_type in self._course_types:
            return self._course_types[course_type]
        await self.lock_course(course_type)
        open_intakes = [
            Intake(
                row.id,
                row.course_type,
                row.groups_total,
                row.groups_used,
                row.from_date,
                tuple(row.locations),
            )
            for row in await self._connection.execute(
                select(intakes)
                .where(intakes.c.course_type == course_type)
                .where(intakes.c.groups_used < intakes.c.groups_total)
                .order_by(intakes.c.opened_at, intakes.c.id)
            )
        ]
        capacity = offer.group_capacity if offer else DEFAULT_CAPACITY
        head = capacity * (sum(intake.room for intake in open_intakes) + 1)
        waiting = (referrals.c.status == ReferralStatus.WAITING) & (referrals.c.course_type == course_type)
        lists = (
            select(referrals.c.level, referrals.c.language_group, func.count().label("waiting"))
            .where(waiting)
            .group_by(referrals.c.level, referrals.c.language_group)
            .subquery("lists")
        )
        first = (
            select(referrals)
            .where(waiting)
            .where(referrals.c.level == lists.c.level)
            .where(referrals.c.language_group == lists.c.language_group)
            .order_by(referrals.c.arrival)
            .limit(head)
            .lateral("first")
        )
        waiting_lists: dict[tuple[int, str], WaitingList] = {}
        for row in await self._connection.execute(
            select(lists.c.waiting, first).select_from(lists.join(first, true())).order_by(first.c.arrival)
        ):
            key = (row.level, row.language_group)
            if key not in waiting_lists:
                waiting_lists[key] = WaitingList(row.level, row.language_group, row.waiting)
            waiting_lists[key].head.append(self._referral(row))
        loaded = CourseType(course_type, offer, waiting_lists.values(), open_intakes)
        self._course_types[course_type] = loaded
        return loaded

    async def load_group(self, course_type: CourseType, group_id: str) -> Group:
        """Add a group and its members to the course type (a withdrawal from it needs them)."""
        if group_id in course_type.groups:
            return course_type.groups[group_id]
        row = (await self._connection.execute(select(groups).where(groups.c.id == group_id))).one()
        members = await self._connection.execute(
            select(referrals)
            .where(referrals.c.group_id == group_id)
            .where(referrals.c.status == ReferralStatus.PLACED)
            .order_by(referrals.c.seat)
        )
        group = _group(row, [self._referral(member) for member in members])
        course_type.groups[group_id] = group
        return group

    def _referral(self, row: Any) -> Referral:
        """The one object for this referral; a row read again refreshes it unless it has changes
        kept back (then the object is newer than the row)."""
        referral = self._referrals.get(row.id)
        if referral is not None and any(
            row.id in course_type.changed_referrals for course_type in self._course_types.values()
        ):
            return referral
        fresh = Referral(
            id=row.id,
            event_id=row.event_id,
            partner_id=row.partner_id,
            partner_referral_id=row.partner_referral_id or "",  # blanked only once ended
            employee_reference=row.employee_reference,
            display_name=row.display_name,
            course_type=row.course_type,
            level=row.level,
            language_group=row.language_group,
            preferred_locations=tuple(row.preferred_locations),
            contact=Contact(row.contact_name, row.contact_email),
            arrival=row.arrival,
            status=ReferralStatus(row.status),
            group_id=row.group_id,
            group_capacity=row.group_capacity,
            seat=row.seat,
            municipality_of_residence=row.municipality_of_residence,
        )
        if referral is None:
            self._referrals[row.id] = referral = fresh
        else:
            vars(referral).update(vars(fresh))
        return referral

    # --- facts for the rules ---------------------------------------------------------------------

    async def look_up(self, submitted: Sequence[SubmitReferral]) -> None:
        """Look up the history of many referrals in one statement, for `history_of`."""
        wanted = [r for r in submitted if r.event_id not in self._histories]
        if not wanted:
            return
        rows = await self._connection.execute(
            HISTORIES,
            {
                "n": list(range(len(wanted))),
                "partner": [r.partner_id for r in wanted],
                "ref": [r.partner_referral_id for r in wanted],
                "employee": [r.employee_reference for r in wanted],
                "course": [r.course_type for r in wanted],
                "level": [r.level for r in wanted],
                "key": [self.person_key(r.partner_id, r.employee_reference) for r in wanted],
            },
        )
        for row in rows:
            self._histories[wanted[row.n].event_id] = History(row.known, row.enrolled, row.last_completed)

    async def history_of(self, referral: SubmitReferral) -> History:
        """What was known before this referral: looked up with its batch, or now on its own."""
        if referral.event_id not in self._histories:
            await self.look_up([referral])
        return self._histories[referral.event_id]

    async def reserve_arrivals(self, count: int) -> None:
        """Take `count` arrival numbers at once (under the course type's lock)."""
        rows = await self._connection.execute(ARRIVALS, {"n": count})
        self._arrivals = sorted([*self._arrivals, *(int(row[0]) for row in rows)])

    async def next_arrival(self) -> int:
        if not self._arrivals:
            await self.reserve_arrivals(1)
        return self._arrivals.pop(0)

    async def find(self, partner_id: str, partner_referral_id: str) -> Referral | None:
        row = (
            await self._connection.execute(
                select(referrals)
                .where(referrals.c.partner_id == partner_id)
                .where(_same(referrals.c.partner_referral_id, partner_referral_id))
            )
        ).first()
        return self._referral(row) if row is not None else None

    # --- what is kept back until the commit -----------------------------------------------------

    def note(self, partner_id: str, partner_referral_id: str, what: str, detail: str = "") -> None:
        """Add a line to a referral's history, for the coordinator and operations."""
        self._notes.append(
            {
                "partner_id": partner_id,
                "partner_referral_id": partner_referral_id,
                "what": what,
                "detail": detail,
                "at": self._clock.now(),
            }
        )

    async def write_changes(self) -> None:
        """Write what the course types and the history kept back, a statement per kind of change.

        Rows go as one executemany of a statement compiled once (SQLAlchemy caches it), not as
        one INSERT with every row's values, which would be compiled anew for each batch.

        Groups first (seats refer to them); seats are freed before they are taken again, since
        the database checks each seat's uniqueness row by row.
        """
        for course_type in self._course_types.values():
            await self._write(course_type)
        if self._notes:
            await self._connection.execute(insert(history), self._notes)
            self._notes = []

    async def _write(self, course_type: CourseType) -> None:
        if course_type.new_groups:
            await self._connection.execute(insert(groups), [_group_row(g) for g in course_type.new_groups])
        if course_type.used_intakes:
            used = list(course_type.used_intakes.values())
            await self._connection.execute(
                USE_INTAKES, {"id": [i.id for i in used], "used": [i.groups_used for i in used]}
            )
        changed = list(course_type.changed_referrals.values())
        ended = [r for r in changed if r.status.ended]
        if ended:
            await self._connection.execute(END_REFERRALS, {**_seats(ended), "now": self._clock.now()})
        if course_type.new_referrals:
            await self._connection.execute(
                insert(referrals), [self._referral_row(r) for r in course_type.new_referrals]
            )
        placed = [r for r in changed if not r.status.ended]
        if placed:
            await self._connection.execute(PLACE_REFERRALS, _seats(placed))
        course_type.new_groups, course_type.new_referrals = [], []
        course_type.changed_referrals, course_type.used_intakes = {}, {}

    def _referral_row(self, referral: Referral) -> dict[str, Any]:
        return {
            "id": referral.id,
            "event_id": referral.event_id,
            "partner_id": referral.partner_id,
            "partner_referral_id": referral.partner_referral_id,
            "employee_reference": referral.employee_reference,
            "display_name": referral.display_name,
            "course_type": referral.course_type,
            "level": referral.level,
            "language_group": referral.language_group,
            "preferred_locations": list(referral.preferred_locations),
            "contact_name": referral.contact.name,
            "contact_email": referral.contact.email,
            "status": referral.status.value,
            "arrival": referral.arrival,
            "group_id": referral.group_id,
            "group_capacity": referral.group_capacity,
            "seat": referral.seat,
            "ended_at": self._clock.now() if referral.status.ended else None,
            "person_key": self.person_key(referral.partner_id, referral.employee_reference),
            "municipality_of_residence": referral.municipality_of_residence,
        }

    # --- intakes and groups as scheduling tells them ---------------------------------------------

    async def add_intake(self, intake: Intake) -> bool:
        """Open capacity; False when this intake was opened before (changes nothing)."""
        added = await self._connection.execute(
            pg_insert(intakes)
            .values(
                id=intake.id,
                course_type=intake.course_type,
                groups_total=intake.groups_total,
                from_date=intake.from_date,
                locations=list(intake.locations),
            )
            .on_conflict_do_nothing()
            .returning(intakes.c.id)
        )
        return added.first() is not None

    async def group(self, group_id: str) -> Group | None:
        """A group without its members (its course dates)."""
        row = (await self._connection.execute(select(groups).where(groups.c.id == group_id))).first()
        return _group(row, []) if row is not None else None

    async def set_group(self, group_id: str, **values: Any) -> None:
        await self._connection.execute(update(groups).where(groups.c.id == group_id).values(**values))

    async def complete_members(self, group_id: str, completed_on: date) -> list[tuple[str, str]]:
        """The group's participants completed the course; their (partner, referral id)s."""
        rows = await self._connection.execute(
            update(referrals)
            .where(referrals.c.group_id == group_id)
            .where(referrals.c.status == ReferralStatus.PLACED)
            .values(status=ReferralStatus.COMPLETED, completed_on=completed_on)
            .returning(referrals.c.partner_id, referrals.c.partner_referral_id)
        )
        await self.set_group(group_id, status=GroupStatus.COMPLETED)
        return [(row.partner_id, row.partner_referral_id) for row in rows]

    # --- erasure on request ----------------------------------------------------------------

    async def referrals_of_person(
        self, partner_id: str, employee: str, partner_referral_ids: Iterable[str]
    ) -> list[Referral]:
        """Every referral of one person: by reference, by keyed hash (after retention), by id."""
        wanted = [
            _same(referrals.c.employee_reference, employee),
            referrals.c.person_key == self.person_key(partner_id, employee),
            *(_same(referrals.c.partner_referral_id, ref) for ref in partner_referral_ids),
        ]
        rows = await self._connection.execute(
            select(referrals)
            .where(referrals.c.partner_id == partner_id, or_(*wanted))
            .order_by(referrals.c.arrival)
        )
        return [self._referral(row) for row in rows]

    async def order_erasure(self, request_id: str, person: erasure.Person) -> None:
        """Record that the person is to be erased once the messages before the order are out."""
        await erasure.order(self._connection, request_id, person)

    async def record_erasure_request(
        self, request_id: str, partner_id: str, asked_by: str, requested_by: str | None, outcome: str
    ) -> bool:
        """Keep the request for the coordinator's view; False when this request id was seen before."""
        added = await self._connection.execute(
            pg_insert(erasure_requests)
            .values(
                request_id=request_id,
                partner_id=partner_id,
                asked_by=asked_by,
                requested_by=requested_by,
                outcome=outcome,
            )
            .on_conflict_do_nothing()
            .returning(erasure_requests.c.request_id)
        )
        return added.first() is not None

    async def record_erasure_answer(self, request_id: str, service: str, counts: dict[str, int]) -> None:
        row = (
            await self._connection.execute(
                select(erasure_requests.c.answers)
                .where(erasure_requests.c.request_id == request_id)
                .with_for_update()
            )
        ).first()
        if row is None:
            return  # a request this enrolment did not take (another deployment's): nothing to show
        answers = {**row.answers, service: counts}
        done = func.now() if set(answers) >= set(SERVICES) else None
        await self._connection.execute(
            update(erasure_requests)
            .where(erasure_requests.c.request_id == request_id)
            .values(answers=answers, done_at=done)
        )


def _group(row: Any, members: list[Referral]) -> Group:
    return Group(
        id=row.id,
        course_type=row.course_type,
        level=row.level,
        language_group=row.language_group,
        capacity=row.capacity,
        intake_id=row.intake_id,
        closed_early=row.closed_early,
        status=GroupStatus(row.status),
        first_session=row.first_session,
        last_session=row.last_session,
        members=members,
    )


def _group_row(group: Group) -> dict[str, Any]:
    return {
        "id": group.id,
        "course_type": group.course_type,
        "level": group.level,
        "language_group": group.language_group,
        "capacity": group.capacity,
        "status": group.status.value,
        "intake_id": group.intake_id,
        "closed_early": group.closed_early,
        "first_session": group.first_session,
        "last_session": group.last_session,
    }


def _seats(changed: Sequence[Referral]) -> dict[str, list[Any]]:
    return {
        "id": [r.id for r in changed],
        "status": [r.status.value for r in changed],
        "group_id": [r.group_id for r in changed],
        "capacity": [r.group_capacity for r in changed],
        "seat": [r.seat for r in changed],
    }
