"""Who may enrol, and how participants fill a group."""

from __future__ import annotations

from dataclasses import dataclass, field

from taalhuis_shared.events import ReferralSubmitted


@dataclass(frozen=True)
class Rejection:
    """Why a referral is not accepted: a stable code, and the same in plain Dutch and English."""

    code: str
    reason: str
    reason_en: str


UNKNOWN_COURSE = Rejection(
    "unknown-course",
    "Deze cursus of dit niveau bestaat niet.",
    "This course or level does not exist.",
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
    "Deze deelnemer staat al ingeschreven voor deze cursus.",
    "This participant is already enrolled in this course.",
)


@dataclass(frozen=True)
class Policy:
    """What the library offers: course types with their number of levels, where, group size."""

    courses: dict[str, int]
    served_municipalities: frozenset[str]
    group_capacity: int = 5

    @classmethod
    def from_settings(cls, courses: str, municipalities: str, group_capacity: int) -> Policy:
        offered = {}
        for item in courses.split(","):
            name, _, levels = item.strip().partition(":")
            offered[name] = int(levels)
        served = frozenset(m.strip().casefold() for m in municipalities.split(",") if m.strip())
        return cls(offered, served, group_capacity)


def check_eligibility(referral: ReferralSubmitted, policy: Policy) -> Rejection | None:
    """The first eligibility rule the referral breaks, or None when it may enrol."""
    levels = policy.courses.get(referral.course.type)
    if levels is None or not 1 <= referral.course.level <= levels:
        return UNKNOWN_COURSE
    places = {referral.municipality_of_residence, referral.municipality_of_work}
    if not any(p and p.strip().casefold() in policy.served_municipalities for p in places):
        return MUNICIPALITY_NOT_SERVED
    if not referral.can_read_and_write_a_little:
        return CANNOT_READ_OR_WRITE
    if not referral.consent_to_share_data:
        return NO_CONSENT
    return None


def display_name(given_name: str, family_name: str) -> str:
    """What a teacher sees: the given name and the family name's first letter ("Ahmed B.").

    Dutch family names often start with a prefix ("de", "van der"); the initial is of the
    main part, as people say it.
    """
    main = [part for part in family_name.split() if not part[:1].islower()] or family_name.split()
    return f"{given_name.strip()} {main[0][0].upper()}."


@dataclass
class Group:
    """A group being formed for one course and level; full at its capacity."""

    id: str
    course_type: str
    level: int
    capacity: int
    members: list[str] = field(default_factory=list)

    @property
    def is_full(self) -> bool:
        return len(self.members) >= self.capacity

    def place(self, referral_id: str) -> None:
        if self.is_full:
            raise ValueError(f"group {self.id} is full")
        self.members.append(referral_id)
