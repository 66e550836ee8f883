"""One course type's waiting lists, intakes and groups: the aggregate that keeps enrolment's rules.

The course type is the consistency boundary (and the database lock): who is accepted, the
positions on its waiting lists, which list forms the next group and who takes a freed seat are
decided here, for one course type at a time, without I/O. Each method records the events it
causes in `events`; the repository writes what changed (`new_referrals`, `new_groups`,
`changed_referrals`, `used_intakes`).

It never holds a whole waiting list (one may hold thousands): per list the number waiting and the
first people waiting (`head`), as many as the groups there is room for need, plus one group's
worth for a freed seat or an early closure.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from . import events, model, reporting
from .commands import SubmitReferral
from .model import Contact, CourseOffer, Policy, Rejection
from .status import GroupStatus, ReferralStatus, WithdrawalOutcome


@dataclass(eq=False)
class Referral:
    """An accepted referral: a person waiting for, following or done with a course."""

    id: str
    event_id: str
    partner_id: str
    partner_referral_id: str
    employee_reference: str
    display_name: str
    course_type: str
    level: int
    language_group: str
    preferred_locations: tuple[str, ...]
    contact: Contact
    arrival: int
    status: ReferralStatus = ReferralStatus.WAITING
    group_id: str | None = None
    group_capacity: int | None = None
    seat: int | None = None
    # Where the person lives, as the municipality's numbers count it ("" when not given).
    municipality_of_residence: str = ""

    def as_member(self) -> events.Member:
        return events.Member(
            referral_id=self.id,
            partner_id=self.partner_id,
            partner_referral_id=self.partner_referral_id,
            display_name=self.display_name,
            contact=self.contact,
            preferred_locations=self.preferred_locations,
        )

    def is_person(self, partner_id: str, employee_reference: str, level: int) -> bool:
        """The same person and course level, compared as the database compares references."""
        return (self.partner_id, self.employee_reference.lower(), self.level) == (
            partner_id,
            employee_reference.lower(),
            level,
        )


@dataclass(eq=False)
class Intake:
    """Room the coordinator opened for a number of new groups of a course type."""

    id: str
    course_type: str
    groups_total: int
    groups_used: int
    from_date: date
    locations: tuple[str, ...]

    @property
    def room(self) -> int:
        return self.groups_total - self.groups_used


@dataclass(eq=False)
class Group:
    """A group of at most `capacity` participants, each in a numbered seat; `members` are those placed."""

    id: str
    course_type: str
    level: int
    language_group: str
    capacity: int
    intake_id: str
    closed_early: bool = False
    status: GroupStatus = GroupStatus.FORMED
    first_session: date | None = None
    last_session: date | None = None
    members: list[Referral] = field(default_factory=list)

    def has_started(self, today: date) -> bool:
        return self.first_session is not None and self.first_session <= today


class HeadTooShortError(Exception):
    """More people were needed from a waiting list than were loaded: the loading rule is wrong."""


@dataclass(eq=False)
class WaitingList:
    """One waiting list (level, language group): how many wait, and the first of them in arrival order."""

    level: int
    language_group: str
    waiting: int = 0
    head: list[Referral] = field(default_factory=list)

    @property
    def first_arrival(self) -> int:
        if not self.head:
            raise HeadTooShortError(f"level {self.level} {self.language_group!r}: nobody loaded")
        return self.head[0].arrival

    def join(self, referral: Referral) -> int:
        """Add a new arrival at the end; its position on the list."""
        if len(self.head) == self.waiting:  # the whole list is loaded: keep it so
            self.head.append(referral)
        self.waiting += 1
        return self.waiting

    def take(self, wanted: int) -> list[Referral]:
        """The (up to) `wanted` people waiting longest, who leave the list."""
        taken = self.head[:wanted]
        if len(taken) < min(wanted, self.waiting):
            raise HeadTooShortError(f"level {self.level} {self.language_group!r}: {wanted} wanted")
        del self.head[:wanted]
        self.waiting -= len(taken)
        return taken

    def leave(self, referral: Referral) -> None:
        self.waiting -= 1
        if referral in self.head:
            self.head.remove(referral)


@dataclass(frozen=True)
class History:
    """What enrolment knew before a referral: the facts the duplicate, enrolled and retake rules need."""

    known: bool = False  # this partner referral id was received before
    enrolled: bool = False  # the person waits for or follows this course and level
    last_completed: date | None = None  # when the person last completed this course and level


class CourseType:
    """A course type (Klik & Tik, Digisterker) as enrolment decides about it."""

    def __init__(
        self,
        name: str,
        offer: CourseOffer | None,
        waiting_lists: Iterable[WaitingList] = (),
        intakes: Iterable[Intake] = (),
        groups: Iterable[Group] = (),
    ) -> None:
        self.name = name
        self.offer = offer  # None: the library does not give this course (type unknown)
        self.waiting_lists = {(w.level, w.language_group): w for w in waiting_lists}
        self.intakes = list(intakes)  # those with room, oldest first
        self.groups = {group.id: group for group in groups}
        self.events: list[events.Event] = []
        self.new_referrals: list[Referral] = []
        self.new_groups: list[Group] = []
        self.changed_referrals: dict[str, Referral] = {}  # loaded ones whose status or seat changed
        self.used_intakes: dict[str, Intake] = {}
        self._received: set[tuple[str, str]] = set()  # (partner, referral id) noted in this batch

    # --- referrals ---------------------------------------------------------------------------

    def submit(
        self, referral: SubmitReferral, policy: Policy, history: History, arrival: int, today: date
    ) -> Referral | None:
        """Accept the referral onto its waiting list (and form groups), or record why not."""
        received = (referral.partner_id, referral.partner_referral_id.lower())
        rejection: Rejection | None
        if history.known or received in self._received:
            # A referral seen before is a duplicate, whatever else it now says.
            rejection = model.DUPLICATE_REFERRAL
        else:
            rejection = model.check_referral(referral, policy) or self._check_history(
                referral, policy, history, today
            )
        if rejection is not None:
            self._reject(referral, policy, rejection)
            return None
        return self._accept(referral, policy, arrival)

    def _check_history(
        self, referral: SubmitReferral, policy: Policy, history: History, today: date
    ) -> Rejection | None:
        person = (referral.partner_id, referral.employee_reference, referral.level)
        enrolled_now = any(r.is_person(*person) and r.status.active for r in self.new_referrals)
        if history.enrolled or enrolled_now:
            return model.ALREADY_ENROLLED
        return model.check_retake(history.last_completed, today, policy.retake_after_months)

    def _reject(self, referral: SubmitReferral, policy: Policy, rejection: Rejection) -> None:
        answer_to = policy.sender(referral.publisher, referral.partner_id)
        contact, replaced = _contact(policy, answer_to, referral)
        if rejection is not model.DUPLICATE_REFERRAL:  # the history is the first referral's
            self._received.add((answer_to, referral.partner_referral_id.lower()))
        self.events.append(
            events.ReferralRejected(
                referral.event_id, answer_to, referral.partner_referral_id, rejection, contact, replaced
            )
        )

    def _accept(self, submitted: SubmitReferral, policy: Policy, arrival: int) -> Referral:
        contact, replaced = _contact(policy, submitted.partner_id, submitted)
        assert contact is not None  # an accepted referral's partner is known
        referral = Referral(
            id=str(uuid.uuid4()),
            event_id=submitted.event_id,
            partner_id=submitted.partner_id,
            partner_referral_id=submitted.partner_referral_id,
            employee_reference=submitted.employee_reference,
            display_name=model.display_name(submitted.given_name, submitted.family_name),
            course_type=submitted.course_type,
            level=submitted.level,
            language_group=submitted.language_group,
            preferred_locations=submitted.preferred_locations,
            contact=contact,
            arrival=arrival,
            municipality_of_residence=reporting.municipality(submitted.municipality_of_residence),
        )
        self.new_referrals.append(referral)
        self._received.add((referral.partner_id, referral.partner_referral_id.lower()))
        position = self._list(referral.level, referral.language_group).join(referral)
        self.events.append(
            events.ReferralAccepted(
                referral.event_id,
                referral.id,
                referral.partner_id,
                referral.partner_referral_id,
                referral.course_type,
                referral.level,
                referral.language_group,
                position,
                contact,
                replaced,
            )
        )
        self.form_groups()
        return referral

    def withdraw(self, referral: Referral, today: date) -> WithdrawalOutcome:
        """Take the person off the waiting list or out of their group; the next person waiting
        takes a seat freed before the course starts. A placed referral's group must be loaded."""
        if referral.status is ReferralStatus.WAITING:
            self._list(referral.level, referral.language_group).leave(referral)
            self._end(referral, ReferralStatus.WITHDRAWN)
            outcome = WithdrawalOutcome.REMOVED_FROM_WAITING_LIST
        elif referral.status is not ReferralStatus.PLACED:
            outcome = WithdrawalOutcome.ALREADY_ENDED
        else:
            assert referral.group_id is not None
            group = self.groups[referral.group_id]
            group.members.remove(referral)
            if group.has_started(today):
                self._end(referral, ReferralStatus.LEFT, keeps_seat=True)  # the teacher saw them there
                self._group_changed(group, removed=[referral], added=[])
                outcome = WithdrawalOutcome.LEFT_DURING_COURSE
            else:
                seat = referral.seat
                assert seat is not None
                self._end(referral, ReferralStatus.WITHDRAWN)
                added = self._list(group.level, group.language_group).take(1)
                for replacement in added:
                    self._place(replacement, group, seat)
                self._group_changed(group, removed=[referral], added=added)
                outcome = WithdrawalOutcome.REMOVED_FROM_GROUP
        self.events.append(
            events.WithdrawalProcessed(
                referral.partner_id, referral.partner_referral_id, outcome, referral.id
            )
        )
        return outcome

    # --- room and groups ----------------------------------------------------------------------

    def open_intake(self, intake: Intake) -> None:
        """New room: groups form at once from the lists that are long enough.

        An intake stored before the course type was loaded is among its intakes already.
        """
        if all(known.id != intake.id for known in self.intakes):
            self.intakes.append(intake)
        self.form_groups()

    def form_groups(self) -> None:
        """Form full groups while there is room and a waiting list long enough, longest waiting first."""
        if self.offer is None:
            return
        while (intake := self._intake_with_room()) is not None:
            waiting_list = model.next_full_group(self.waiting_lists.values(), self.offer.group_capacity)
            if waiting_list is None:
                return
            members = waiting_list.take(self.offer.group_capacity)
            self._form_group(self.offer, intake, waiting_list, members, closed_early=False)

    def close_early(self, level: int, language_group: str) -> bool:
        """The coordinator forms a group now from at least the minimum number waiting."""
        waiting_list = self._list(level, language_group)
        members = waiting_list.head[: self.offer.group_capacity] if self.offer else []
        if self.offer is None or len(members) < self.offer.minimum_group_size:
            minimum = self.offer.minimum_group_size if self.offer else 0
            self._refuse_closure(
                level, language_group, "too-few-waiting",
                f"Er wachten te weinig deelnemers: {len(members)}, minstens {minimum} nodig.",
                f"Too few participants waiting: {len(members)}, at least {minimum} needed.",
            )  # fmt: skip
            return False
        intake = self._intake_with_room()
        if intake is None:
            self._refuse_closure(
                level, language_group, "no-capacity",
                "Er is geen ruimte voor een nieuwe groep. Open eerst een nieuwe instroom.",
                "There is no room for a new group. Open an intake first.",
            )  # fmt: skip
            return False
        self._form_group(self.offer, intake, waiting_list, waiting_list.take(len(members)), closed_early=True)
        return True

    def _refuse_closure(
        self, level: int, language_group: str, code: str, reason: str, reason_en: str
    ) -> None:
        self.events.append(
            events.EarlyClosureRefused(self.name, level, language_group, code, reason, reason_en)
        )

    def _intake_with_room(self) -> Intake | None:
        return next((intake for intake in self.intakes if intake.room > 0), None)

    def _form_group(
        self,
        offer: CourseOffer,
        intake: Intake,
        waiting_list: WaitingList,
        members: list[Referral],
        *,
        closed_early: bool,
    ) -> None:
        group = Group(
            id=str(uuid.uuid4()),
            course_type=self.name,
            level=waiting_list.level,
            language_group=waiting_list.language_group,
            capacity=offer.group_capacity,
            intake_id=intake.id,
            closed_early=closed_early,
        )
        self.groups[group.id] = group
        self.new_groups.append(group)
        intake.groups_used += 1
        self.used_intakes[intake.id] = intake
        for seat, member in enumerate(members, start=1):
            self._place(member, group, seat)
        self.events.append(
            events.GroupFilled(
                group_id=group.id,
                course_type=group.course_type,
                level=group.level,
                language_group=group.language_group,
                capacity=group.capacity,
                members=tuple(m.as_member() for m in members),
                closed_early=closed_early,
                earliest_start=intake.from_date,
                locations=intake.locations,
                preferred_locations=tuple(model.preferred_locations(m.preferred_locations for m in members)),
            )
        )

    def _place(self, referral: Referral, group: Group, seat: int) -> None:
        referral.status = ReferralStatus.PLACED
        referral.group_id, referral.group_capacity, referral.seat = group.id, group.capacity, seat
        self._changed(referral)
        group.members.append(referral)
        group.members.sort(key=lambda member: member.seat or 0)
        self.events.append(
            events.ParticipantPlaced(referral.as_member(), group.course_type, group.level, group.id)
        )

    def _end(self, referral: Referral, status: ReferralStatus, *, keeps_seat: bool = False) -> None:
        """The referral is withdrawn or the participant left; one who left keeps their seat's number."""
        referral.status = status
        if not keeps_seat:
            referral.group_id = referral.group_capacity = referral.seat = None
        self._changed(referral)

    def _changed(self, referral: Referral) -> None:
        if referral not in self.new_referrals:  # a new one is written as it is in the end
            self.changed_referrals[referral.id] = referral

    def _group_changed(self, group: Group, removed: list[Referral], added: list[Referral]) -> None:
        self.events.append(
            events.GroupChanged(
                group_id=group.id,
                course_type=group.course_type,
                level=group.level,
                removed=tuple(r.as_member() for r in removed),
                added=tuple(r.as_member() for r in added),
                members=tuple(m.as_member() for m in group.members),
            )
        )

    def _list(self, level: int, language_group: str) -> WaitingList:
        key = (level, language_group)
        if key not in self.waiting_lists:
            self.waiting_lists[key] = WaitingList(level, language_group)
        return self.waiting_lists[key]


def _contact(policy: Policy, partner_id: str, referral: SubmitReferral) -> tuple[Contact | None, bool]:
    """Who hears about the referral: a contact person partner `partner_id` configured (none for an
    unknown partner), and whether that replaced the one the referral named."""
    partner = policy.partners.get(partner_id)
    if partner is None:
        return None, False
    choice = model.choose_contact(partner, Contact(referral.contact_name, referral.contact_email))
    return choice.contact, choice.replaced
