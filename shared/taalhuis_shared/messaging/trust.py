"""Who may publish which event type: the trust boundary's table, and the deployment's users.

RabbitMQ validates the AMQP `user_id` of every message against the connection's user, so a
`user_id` is a proof of who sent it. The table below names, per event type, the *role* that may
publish it; the deployment says which RabbitMQ users hold each role (`PUBLISHERS` setting, and
the partners' users from enrolment's partner file). A message is acted on only when its user
holds the role of its type.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    PARTNER = "partner"
    COORDINATOR = "coordinator"
    ENROLMENT = "enrolment"
    SCHEDULING = "scheduling"
    NOTIFICATIONS = "notifications"
    # The web console: acts for the coordinator, and for a partner's contact person (only for
    # the partner they log in for: the console checks that; enrolment answers the named partner).
    CONSOLE = "console"


# The documented table (README "Event catalogue", AsyncAPI): every event type and who sends it.
# Most types have one publisher; an erasure may be asked by the coordinator or the person's
# partner (enrolment checks that a partner names itself), and every service answers it. The
# console publishes what the coordinator and the partners' contact persons do on its pages.
PUBLISHED_BY: Mapping[str, Role | frozenset[Role]] = {
    "ReferralSubmitted": frozenset({Role.PARTNER, Role.CONSOLE}),
    "ReferralWithdrawn": frozenset({Role.PARTNER, Role.CONSOLE}),
    "IntakeOpened": frozenset({Role.COORDINATOR, Role.CONSOLE}),
    "EarlyClosureRequested": frozenset({Role.COORDINATOR, Role.CONSOLE}),
    "MeasuresAnnounced": frozenset({Role.COORDINATOR, Role.CONSOLE}),
    "MeasuresLifted": frozenset({Role.COORDINATOR, Role.CONSOLE}),
    "SessionCancellationRequested": frozenset({Role.COORDINATOR, Role.CONSOLE}),
    "ReferralAccepted": Role.ENROLMENT,
    "ReferralRejected": Role.ENROLMENT,
    "ParticipantPlaced": Role.ENROLMENT,
    "WithdrawalProcessed": Role.ENROLMENT,
    "GroupFilled": Role.ENROLMENT,
    "GroupChanged": Role.ENROLMENT,
    "EarlyClosureRefused": Role.ENROLMENT,
    "CourseScheduled": Role.SCHEDULING,
    "GroupUnschedulable": Role.SCHEDULING,
    "SessionCancelled": Role.SCHEDULING,
    "CoursePaused": Role.SCHEDULING,
    "CourseResumed": Role.SCHEDULING,
    "SessionRescheduled": Role.SCHEDULING,
    "CourseCompleted": Role.SCHEDULING,
    "SessionCancellationRefused": Role.SCHEDULING,
    "MeasuresApplied": Role.SCHEDULING,
    "ErasureRequested": frozenset({Role.COORDINATOR, Role.PARTNER, Role.CONSOLE}),
    "ErasureOrdered": Role.ENROLMENT,
    "PersonErased": frozenset({Role.ENROLMENT, Role.SCHEDULING, Role.NOTIFICATIONS, Role.CONSOLE}),
}


def roles_publishing(event_type: str) -> frozenset[Role]:
    role = PUBLISHED_BY.get(event_type, frozenset())
    return role if isinstance(role, frozenset) else frozenset({role})


def described_publishers(event_type: str) -> str:
    """`coordinator` or `coordinator, partner`: for the AsyncAPI document and the README."""
    return ", ".join(sorted(roles_publishing(event_type)))

# The RabbitMQ users of `deploy/rabbitmq/definitions.json`, as compose runs the system.
DEFAULT_USERS: Mapping[str, list[str]] = {
    Role.COORDINATOR: ["coordinator"],
    Role.ENROLMENT: ["enrolment"],
    Role.SCHEDULING: ["scheduling"],
    Role.NOTIFICATIONS: ["notifications"],
    Role.CONSOLE: ["console"],
}


@dataclass(frozen=True)
class Publishers:
    """The RabbitMQ users of each role in this deployment."""

    users: Mapping[Role, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, configured: Mapping[str, Iterable[str]], partner_users: Iterable[str] = ()) -> Publishers:
        """From the `PUBLISHERS` setting (role -> users) and the partners' own users."""
        unknown = set(configured) - {role.value for role in Role}
        if unknown:
            raise ValueError(f"PUBLISHERS names unknown roles {sorted(unknown)}; known: {list(Role)}")
        users = {Role(role): frozenset(names) for role, names in configured.items()}
        users[Role.PARTNER] = users.get(Role.PARTNER, frozenset()) | frozenset(partner_users)
        return cls(users)

    def may_publish(self, user: str, event_type: str) -> bool:
        return any(user in self.users.get(role, frozenset()) for role in roles_publishing(event_type))

    def roles_of(self, user: str) -> frozenset[Role]:
        return frozenset(role for role, users in self.users.items() if user in users)
