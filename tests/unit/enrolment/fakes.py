"""An in-memory repository and unit of work for enrolment's handlers: the rules without PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

from enrolment.domain.commands import SubmitReferral
from enrolment.domain.course_type import CourseType, Group, History, Intake, Referral, WaitingList
from enrolment.domain.model import CourseOffer
from enrolment.domain.status import GroupStatus, ReferralStatus
from enrolment.entrypoints.translate import referral_command
from taalhuis_shared import erasure
from taalhuis_shared.events import ReferralSubmitted
from tests.support.referrals import referral_data


class FakeRepository:
    """What the database would hold, as objects; a course type is built from it once per unit of work."""

    def __init__(self) -> None:
        self.referrals: dict[str, Referral] = {}
        self.intakes: dict[str, Intake] = {}
        self.groups: dict[str, Group] = {}
        self.history: list[tuple[str, str, str, str]] = []  # partner, referral id, what, detail
        self.completions: dict[tuple[str, str, str, int], date] = {}  # person and course -> last day
        self.erasures: dict[str, str] = {}
        self.ordered: list[erasure.Person] = []
        self.locked: list[str] = []
        self.loaded: list[str] = []  # course types built, in order
        self.look_ups = 0
        self._course_types: dict[str, CourseType] = {}
        self._histories: dict[str, History] = {}
        self._arrival = 0

    # --- the course type ---------------------------------------------------------------------------

    async def get(self, course_type: str, offer: CourseOffer | None) -> CourseType:
        if course_type not in self._course_types:
            await self.lock_course(course_type)
            self.loaded.append(course_type)
            lists: dict[tuple[int, str], WaitingList] = {}
            for referral in sorted(self.referrals.values(), key=lambda r: r.arrival):
                if referral.course_type == course_type and referral.status is ReferralStatus.WAITING:
                    key = (referral.level, referral.language_group)
                    waiting_list = lists.setdefault(key, WaitingList(*key))
                    waiting_list.head.append(referral)
                    waiting_list.waiting += 1
            room = [i for i in self.intakes.values() if i.course_type == course_type and i.room > 0]
            self._course_types[course_type] = CourseType(course_type, offer, lists.values(), room)
        return self._course_types[course_type]

    async def load_group(self, course_type: CourseType, group_id: str) -> Group:
        group = self.groups[group_id]
        group.members = sorted(
            (
                r
                for r in self.referrals.values()
                if r.group_id == group_id and r.status is ReferralStatus.PLACED
            ),
            key=lambda r: r.seat or 0,
        )
        course_type.groups[group_id] = group
        return group

    # --- facts -------------------------------------------------------------------------------------

    async def look_up(self, submitted: Sequence[SubmitReferral]) -> None:
        self.look_ups += 1
        for referral in submitted:
            person = (referral.partner_id, referral.employee_reference.lower())
            ref = referral.partner_referral_id.lower()
            known = any(
                (r.partner_id, r.partner_referral_id.lower()) == (referral.partner_id, ref)
                for r in self.referrals.values()
            ) or any((p, i.lower()) == (referral.partner_id, ref) for p, i, _, _ in self.history)
            enrolled = any(
                r.is_person(*person, referral.level)
                and r.course_type == referral.course_type
                and r.status.active
                for r in self.referrals.values()
            )
            last = self.completions.get((*person, referral.course_type, referral.level))
            self._histories[referral.event_id] = History(known, enrolled, last)

    async def history_of(self, referral: SubmitReferral) -> History:
        if referral.event_id not in self._histories:
            await self.look_up([referral])
        return self._histories[referral.event_id]

    async def reserve_arrivals(self, count: int) -> None:
        pass  # numbers come from a counter

    async def next_arrival(self) -> int:
        self._arrival += 1
        return self._arrival

    async def find(self, partner_id: str, partner_referral_id: str) -> Referral | None:
        return next(
            (
                r
                for r in self.referrals.values()
                if (r.partner_id, r.partner_referral_id.lower()) == (partner_id, partner_referral_id.lower())
            ),
            None,
        )

    def note(self, partner_id: str, partner_referral_id: str, what: str, detail: str = "") -> None:
        self.history.append((partner_id, partner_referral_id, what, str(detail)))

    # --- intakes and groups ----------------------------------------------------------------------

    async def add_intake(self, intake: Intake) -> bool:
        if intake.id in self.intakes:
            return False
        self.intakes[intake.id] = intake
        return True

    async def lock_course(self, course_type: str) -> None:
        self.locked.append(course_type)

    async def group(self, group_id: str) -> Group | None:
        return self.groups.get(group_id)

    async def set_group(self, group_id: str, **values: Any) -> None:
        for name, value in values.items():
            setattr(self.groups[group_id], name, value)

    async def complete_members(self, group_id: str, completed_on: date) -> list[tuple[str, str]]:
        completed = []
        for r in self.referrals.values():
            if r.group_id == group_id and r.status is ReferralStatus.PLACED:
                r.status = ReferralStatus.COMPLETED
                self.completions[(r.partner_id, r.employee_reference.lower(), r.course_type, r.level)] = (
                    completed_on
                )
                completed.append((r.partner_id, r.partner_referral_id))
        self.groups[group_id].status = GroupStatus.COMPLETED
        return completed

    # --- erasure -----------------------------------------------------------------------------------

    async def referrals_of_person(
        self, partner_id: str, employee: str, partner_referral_ids: Iterable[str]
    ) -> list[Referral]:
        ids = {i.lower() for i in partner_referral_ids}
        return [
            r
            for r in sorted(self.referrals.values(), key=lambda r: r.arrival)
            if r.partner_id == partner_id
            and (r.employee_reference.lower() == employee.lower() or r.partner_referral_id.lower() in ids)
        ]

    async def order_erasure(self, request_id: str, person: erasure.Person) -> None:
        self.ordered.append(person)

    async def record_erasure_request(
        self, request_id: str, partner_id: str, asked_by: str, requested_by: str | None, outcome: str
    ) -> bool:
        if request_id in self.erasures:
            return False
        self.erasures[request_id] = outcome
        return True

    async def record_erasure_answer(self, request_id: str, service: str, counts: dict[str, int]) -> None:
        pass

    # --- the end of a unit of work -------------------------------------------------------------------

    def commit(self) -> None:
        """Keep what the course types changed, and start afresh as a new unit of work would."""
        for course_type in self._course_types.values():
            for referral in course_type.new_referrals:
                self.referrals[referral.id] = referral
            for group in course_type.new_groups:
                self.groups[group.id] = group
        self._course_types, self._histories = {}, {}


class FakeUnitOfWork:
    def __init__(self, repository: FakeRepository | None = None) -> None:
        self.repository = repository or FakeRepository()
        self.published: list[dict[str, Any]] = []
        self.committed = 0
        self._after_commit: list[Callable[[], None]] = []

    async def publish(self, event: dict[str, Any]) -> None:
        self.published.append(event)

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

    def commit(self) -> None:
        self.repository.commit()
        self.committed += 1
        for callback in self._after_commit:
            callback()
        self._after_commit = []

    def types(self) -> list[str]:
        return [event["type"] for event in self.published]

    def of_type(self, name: str) -> list[dict[str, Any]]:
        return [event["data"] for event in self.published if event["type"] == name]


def submitted(number: int, publisher: str = "guest", **changes: Any) -> SubmitReferral:
    """Referral `number` (tests/support/referrals.py) as enrolment's command, from event `ev-<number>`."""
    data = ReferralSubmitted.model_validate(referral_data(number, **changes))
    return referral_command(data, publisher, event_id=f"ev-{number}")
