"""Who may enrol, how people wait, and how groups form: the enrolment rules, without I/O."""

from __future__ import annotations

import calendar
import hashlib
import hmac
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Protocol, TypeVar

from .commands import SubmitReferral

NO_LANGUAGE_GROUP = ""  # waiting list of those referred without NT1/NT2


@dataclass(frozen=True)
class Rejection:
    """Why a referral is not accepted: a stable code, and the same in plain Dutch and English."""

    code: str
    reason: str
    reason_en: str
    retake_possible_from: date | None = None


UNKNOWN_PARTNER = Rejection(
    "unknown-partner",
    "Deze organisatie is geen samenwerkingspartner van de bibliotheek.",
    "This organisation is not a partner of the library.",
)
PARTNER_MISMATCH = Rejection(
    "partner-mismatch",
    "Deze aanmelding is verstuurd door een andere organisatie dan de partner die erin staat.",
    "This referral was sent by another organisation than the partner it names.",
)
UNKNOWN_COURSE = Rejection(
    "unknown-course",
    "Deze cursus of dit niveau bestaat niet.",
    "This course or level does not exist.",
)
COURSE_NOT_FOR_PARTNER = Rejection(
    "course-not-for-partner",
    "Uw organisatie doet niet mee aan deze cursus.",
    "Your organisation does not take part in this course.",
)
MUNICIPALITY_NOT_SERVED = Rejection(
    "municipality-not-served",
    "De deelnemer woont of werkt niet in een gemeente waar de bibliotheek deze cursus geeft.",
    "The participant neither lives nor works in a municipality the library serves.",
)
CANNOT_READ_OR_WRITE = Rejection(
    "cannot-read-or-write",
    "Voor deze cursus moet de deelnemer een beetje kunnen lezen en schrijven.",
    "The participant must be able to read and write a little for this course.",
)
NO_CONSENT = Rejection(
    "no-consent",
    "De deelnemer heeft geen toestemming gegeven om gegevens met de bibliotheek te delen.",
    "The participant has not consented to sharing their data with the library.",
)
DUPLICATE_REFERRAL = Rejection(
    "duplicate-referral",
    "Deze aanmelding is al eerder ontvangen.",
    "This referral was received before.",
)
ALREADY_ENROLLED = Rejection(
    "already-enrolled",
    "Deze deelnemer wacht al op deze cursus of doet er al aan mee.",
    "This participant is already waiting for or following this course.",
)


def invalid_referral(problems: str, problems_en: str) -> Rejection:
    return Rejection(
        "invalid-referral",
        f"De aanmelding is niet volledig of niet goed ingevuld. {problems}",
        f"The referral is incomplete or not filled in correctly. {problems_en}",
    )


def retake_too_soon(possible_from: date) -> Rejection:
    return Rejection(
        "retake-too-soon",
        f"Deze deelnemer heeft de cursus onlangs gevolgd. Opnieuw meedoen kan vanaf "
        f"{dutch_date(possible_from)}.",
        f"This participant completed the course recently; a retake is possible from "
        f"{possible_from.isoformat()}.",
        possible_from,
    )


@dataclass(frozen=True)
class CourseOffer:
    """A course type the library gives: its levels and the size of its groups."""

    type: str
    levels: int
    group_capacity: int = 5
    minimum_group_size: int = 3


@dataclass(frozen=True)
class Contact:
    """A partner's contact person: the one the library mails about the partner's employees."""

    name: str
    email: str


@dataclass(frozen=True)
class Partner:
    """A partner organisation that may refer its employees, and where mail about them may go."""

    id: str
    name: str
    amqp_user: str
    municipalities: frozenset[str]
    courses: frozenset[str]
    contacts: tuple[Contact, ...]  # the first is used when a referral names another address
    contact_domains: frozenset[str] = frozenset()  # casefolded; any address there is the partner's

    def __post_init__(self) -> None:
        if not self.contacts:
            raise ValueError(f"partner {self.id}: at least one contact person is needed")


@dataclass(frozen=True)
class ContactChoice:
    """The contact person a referral's mail goes to; `replaced` when it is not the one named."""

    contact: Contact
    replaced: bool


def choose_contact(partner: Partner, named: Contact) -> ContactChoice:
    """Mail goes only where the partner said: to the named contact person when their address is
    one the partner configured or lies in one of its domains, otherwise to its first contact.

    A configured address is used as configured (name included); a domain matches exactly, so
    `promen.nl` does not admit `mail.promen.nl` or `promen.nl.example`.
    """
    address = named.email.strip().casefold()
    for contact in partner.contacts:
        if contact.email.casefold() == address:
            return ContactChoice(contact, replaced=False)
    if address.rpartition("@")[2] in partner.contact_domains:
        return ContactChoice(named, replaced=False)
    return ContactChoice(partner.contacts[0], replaced=True)


@dataclass(frozen=True)
class Policy:
    courses: dict[str, CourseOffer]
    partners: dict[str, Partner]
    retake_after_months: int = 12
    # RabbitMQ users of the web console: it acts for any partner, and itself lets a partner's
    # contact person act only for their own partner (its tests show it).
    console_users: frozenset[str] = frozenset()

    def may_act_for(self, publisher: str, partner: Partner) -> bool:
        return publisher == partner.amqp_user or publisher in self.console_users

    def sender(self, publisher: str, named_partner_id: str) -> str:
        """The partner to answer: the one whose RabbitMQ user sent the message.

        Usually the partner the message names; when another partner's user sent it, the answer
        goes to that partner, so that the sender hears why and the named partner hears nothing.
        A user that is no partner's (the console's) gets the answer for the partner it names.
        """
        named = self.partners.get(named_partner_id)
        if named is not None and named.amqp_user == publisher:
            return named.id
        return next((p.id for p in self.partners.values() if p.amqp_user == publisher), named_partner_id)


def check_referral(referral: SubmitReferral, policy: Policy) -> Rejection | None:
    """The first rule the referral itself breaks, or None.

    `referral.publisher` is the AMQP user_id: RabbitMQ has already checked it against the
    connection's user, so it says who really sent the message.
    """
    partner = policy.partners.get(referral.partner_id)
    if partner is None:
        return UNKNOWN_PARTNER
    if not policy.may_act_for(referral.publisher, partner):
        return PARTNER_MISMATCH
    offer = policy.courses.get(referral.course_type)
    if offer is None or not 1 <= referral.level <= offer.levels:
        return UNKNOWN_COURSE
    if offer.type not in partner.courses:
        return COURSE_NOT_FOR_PARTNER
    places = {referral.municipality_of_residence, referral.municipality_of_work}
    if not any(p and p.strip().casefold() in partner.municipalities for p in places):
        return MUNICIPALITY_NOT_SERVED
    if not referral.can_read_and_write_a_little:
        return CANNOT_READ_OR_WRITE
    if not referral.consent_to_share_data:
        return NO_CONSENT
    return None


def check_retake(last_completed: date | None, today: date, months: int) -> Rejection | None:
    """A completed course may be taken again once `months` have passed since it ended."""
    if last_completed is None:
        return None
    possible_from = add_months(last_completed, months)
    return retake_too_soon(possible_from) if today < possible_from else None


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it is shorter (31 Jan + 1 = 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


MONTHS = [
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
]  # fmt: skip


def dutch_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def display_name(given_name: str, family_name: str) -> str:
    """What a teacher sees: the given name and the family name's first letter ("Ahmed B.").

    Dutch family names often start with a prefix ("de", "van der"); the initial is of the
    main part, as people say it.
    """

    def first_letter(part: str) -> str:
        return next((c for c in part if c.isalpha()), "")

    # Prefixes ("van der", "'t") start with a small letter; the initial is of the main part.
    main = [part for part in family_name.split() if not first_letter(part).islower()] or family_name.split()
    initial = next((first_letter(part) for part in main if first_letter(part)), "")
    return f"{given_name.strip()} {initial.upper()}." if initial else given_name.strip()


class ListSummary(Protocol):
    """What group forming needs to know of a waiting list."""

    @property
    def waiting(self) -> int: ...
    @property
    def first_arrival(self) -> int: ...


Listed = TypeVar("Listed", bound=ListSummary)


def next_full_group(lists: Iterable[Listed], capacity: int) -> Listed | None:
    """Which list forms the next group: of those with enough people, the one waiting longest."""
    full = [w for w in lists if w.waiting >= capacity]
    return min(full, key=lambda w: w.first_arrival) if full else None


def moved_course_dates(
    first: date | None, last: date | None, moved: Iterable[tuple[int, date]]
) -> tuple[date | None, date | None]:
    """A course's first and last day after sessions (number, new day) moved.

    A course whose first session moved later has not started yet, so a withdrawal still frees
    the seat for someone waiting.
    """
    for number, day in moved:
        if number == 1:
            first = day
        last = max(last, day) if last else day
    return first, last


def preferred_locations(preferences: Iterable[Iterable[str]]) -> list[str]:
    """The participants' preferred locations, most wanted first (ties: first mentioned first)."""
    counts: dict[str, int] = {}
    for own in preferences:
        for location in own:
            counts[location] = counts.get(location, 0) + 1
    return sorted(counts, key=lambda location: -counts[location])


def person_key(secret: str, partner_id: str, employee_reference: str) -> str:
    """A keyed hash of partner and employee reference: the person, without the reference itself.

    The retake rule needs to recognise a person after their reference is blanked. The reference
    is compared as the indexes compare it (case does not matter) and NFKC-normalised, so that
    full-width or composed spellings of the same reference give the same key. Without the
    secret, nobody can compute the key of a known reference and so find that person's row.
    """
    reference = unicodedata.normalize("NFKC", employee_reference).casefold()
    message = f"{partner_id}\n{reference}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
