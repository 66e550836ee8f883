"""The states a referral, a group and a withdrawal can be in; the values are the database's."""

from __future__ import annotations

from enum import StrEnum


class ReferralStatus(StrEnum):
    """waiting -> placed -> completed; or withdrawn (before the course) or left (during it)."""

    WAITING = "waiting"
    PLACED = "placed"
    WITHDRAWN = "withdrawn"
    LEFT = "left"
    COMPLETED = "completed"

    @property
    def active(self) -> bool:
        """Waiting for or following the course: a person is enrolled only once at a time."""
        return self in (ReferralStatus.WAITING, ReferralStatus.PLACED)

    @property
    def ended(self) -> bool:
        """Stopped before completing: retention of the referral counts from then."""
        return self in (ReferralStatus.WITHDRAWN, ReferralStatus.LEFT)


class GroupStatus(StrEnum):
    FORMED = "formed"
    SCHEDULED = "scheduled"
    COMPLETED = "completed"


class WithdrawalOutcome(StrEnum):
    """What a withdrawal changed, as the partner hears it (with `reason` and `reason_en`)."""

    REMOVED_FROM_WAITING_LIST = "removed-from-waiting-list"
    REMOVED_FROM_GROUP = "removed-from-group"
    LEFT_DURING_COURSE = "left-during-course"
    PARTNER_MISMATCH = "partner-mismatch"
    NOT_FOUND = "not-found"
    ALREADY_ENDED = "already-ended"

    @property
    def reason(self) -> str:
        return WITHDRAWAL_REASONS[self][0]

    @property
    def reason_en(self) -> str:
        return WITHDRAWAL_REASONS[self][1]


WITHDRAWAL_REASONS = {
    WithdrawalOutcome.REMOVED_FROM_WAITING_LIST: (
        "De deelnemer staat niet meer op de wachtlijst.",
        "The participant has been removed from the waiting list.",
    ),
    WithdrawalOutcome.REMOVED_FROM_GROUP: (
        "De deelnemer is uit de groep gehaald. Iemand van de wachtlijst krijgt de plek als die er is.",
        "The participant has left the group; the next person waiting takes the place, if any.",
    ),
    WithdrawalOutcome.LEFT_DURING_COURSE: (
        "De cursus is al begonnen. We hebben genoteerd dat de deelnemer stopt.",
        "The course has started; we noted that the participant stops.",
    ),
    WithdrawalOutcome.PARTNER_MISMATCH: (
        "Deze afmelding is verstuurd door een andere organisatie dan de partner die erin staat.",
        "This withdrawal was sent by another organisation than the partner it names.",
    ),
    WithdrawalOutcome.NOT_FOUND: (
        "We kennen deze aanmelding niet, of ze is niet aangenomen.",
        "We do not know this referral, or it was not accepted.",
    ),
    WithdrawalOutcome.ALREADY_ENDED: (
        "Deze aanmelding loopt niet meer: de deelnemer is al gestopt of klaar.",
        "This referral has already ended.",
    ),
}
