"""Which event answers a coordinator's command, and what that answer means, in plain Dutch.

Small pure rules, one per command, for `taalhuis` (cli.py): `matches` says whether an event on
the bus is the answer to the command sent; `verdict` reads the answers matched so far. No I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from .events import (
    CourseRef,
    EarlyClosureRefused,
    EarlyClosureRequested,
    ErasureRequested,
    EventData,
    GroupFilled,
    GroupUnschedulable,
    MeasuresAnnounced,
    MeasuresApplied,
    MeasuresLifted,
    PersonErased,
    SessionCancellationRefused,
    SessionCancellationRequested,
    SessionCancelled,
    SessionRescheduled,
)
from .events.erasure import SERVICES

ZONE = ZoneInfo("Europe/Amsterdam")  # where the library is: times are said as its clocks show them


class State(StrEnum):
    PENDING = "pending"  # no answer yet, or not all of it: keep waiting; at the deadline, no answer
    ENOUGH = "enough"  # done; a detail may still follow (a catch-up date): wait for it until the deadline
    DONE = "done"  # done, and the whole answer is in
    REFUSED = "refused"  # the service refused it, or does not know its target


@dataclass(frozen=True)
class Verdict:
    state: State
    lines: tuple[str, ...] = ()

    @property
    def finished(self) -> bool:
        return self.state in (State.DONE, State.REFUSED)


WAITING = Verdict(State.PENDING)


@dataclass(frozen=True)
class Rule:
    """How one kind of command is answered."""

    answer_types: frozenset[str]
    matches: Callable[[EventData, EventData], bool]  # (command, event) -> is it the answer?
    verdict: Callable[[EventData, Sequence[EventData]], Verdict]  # (command, answers so far)
    still_waiting_for: str  # said when no (whole) answer came in time


def course_name(course: CourseRef, language_group: str | None = None) -> str:
    """`klik-en-tik niveau 1 (NT1)`"""
    return f"{course.type} niveau {course.level}" + (f" ({language_group})" if language_group else "")


def local_time(moment: datetime) -> str:
    return moment.astimezone(ZONE).strftime("%d-%m-%Y om %H:%M")


# --- close-early: EarlyClosureRequested -> GroupFilled (closed early) or EarlyClosureRefused ---------


def _early_closure_matches(command: EventData, event: EventData) -> bool:
    assert isinstance(command, EarlyClosureRequested)
    if isinstance(event, GroupFilled) and not event.closed_early:
        return False  # a full group formed meanwhile is not the answer
    if isinstance(event, GroupFilled | EarlyClosureRefused):
        return event.course == command.course and event.language_group == command.language_group
    return False


def _early_closure_verdict(command: EventData, answers: Sequence[EventData]) -> Verdict:
    for answer in answers:
        if isinstance(answer, EarlyClosureRefused):
            return Verdict(State.REFUSED, (f"Geweigerd: {answer.reason}",))
        if isinstance(answer, GroupFilled):
            name = course_name(answer.course, answer.language_group)
            return Verdict(
                State.DONE,
                (
                    f"Gelukt: er is een groep gevormd voor {name}, "
                    f"met {len(answer.participants)} deelnemers.",
                    "De planning zoekt nu de data, de plek en de docent; daarna krijgen de docent en de "
                    "contactpersonen een e-mail.",
                ),
            )
    return WAITING


EARLY_CLOSURE = Rule(
    frozenset({"GroupFilled", "EarlyClosureRefused"}),
    _early_closure_matches,
    _early_closure_verdict,
    "enrolment heeft nog niet gezegd of de groep is gevormd",
)


# --- session cancel: SessionCancellationRequested -> SessionCancelled or SessionCancellationRefused --


def _cancellation_matches(command: EventData, event: EventData) -> bool:
    assert isinstance(command, SessionCancellationRequested)
    if isinstance(event, SessionCancellationRefused):
        return event.session_id == command.session_id
    if isinstance(event, SessionCancelled):
        # The same session cancelled by a measure is not this command's answer.
        return event.session.session_id == command.session_id and event.reason_code == command.reason_code
    if isinstance(event, SessionRescheduled):
        return event.session.session_id == command.session_id and event.reason_code == "catch-up"
    if isinstance(event, GroupUnschedulable):
        return event.session_id == command.session_id
    return False


def _cancellation_verdict(command: EventData, answers: Sequence[EventData]) -> Verdict:
    if refused := [a for a in answers if isinstance(a, SessionCancellationRefused)]:
        return Verdict(State.REFUSED, (f"Geweigerd: {refused[0].reason}",))
    cancelled = [a for a in answers if isinstance(a, SessionCancelled)]
    if not cancelled:
        return WAITING
    session = cancelled[0].session
    lines = [
        f"Gelukt: bijeenkomst {session.number} van {course_name(cancelled[0].course)} op "
        f"{local_time(session.start)} is afgezegd. De docent en de contactpersonen krijgen een e-mail."
    ]
    for answer in answers:
        if isinstance(answer, SessionRescheduled):
            place = answer.session.location or answer.location
            lines.append(f"Inhaalbijeenkomst: {local_time(answer.session.start)}, {place.name}.")
            return Verdict(State.DONE, tuple(lines))
        if isinstance(answer, GroupUnschedulable):
            lines.append(f"Er is geen inhaalbijeenkomst gevonden: {answer.reason}")
            return Verdict(State.DONE, tuple(lines))
    return Verdict(State.ENOUGH, tuple(lines))


SESSION_CANCELLATION = Rule(
    frozenset({"SessionCancelled", "SessionCancellationRefused", "SessionRescheduled", "GroupUnschedulable"}),
    _cancellation_matches,
    _cancellation_verdict,
    "de planning heeft nog niet gezegd of de bijeenkomst is afgezegd",
)


# --- measures announce / lift: MeasuresAnnounced, MeasuresLifted -> MeasuresApplied ----------------


def _measures_matches(command: EventData, event: EventData) -> bool:
    assert isinstance(command, MeasuresAnnounced | MeasuresLifted)
    action = "announced" if isinstance(command, MeasuresAnnounced) else "lifted"
    return isinstance(event, MeasuresApplied) and (event.measure_id, event.action) == (
        command.measure_id,
        action,
    )


def _measures_verdict(command: EventData, answers: Sequence[EventData]) -> Verdict:
    applied = [a for a in answers if isinstance(a, MeasuresApplied)]
    if not applied:
        return WAITING
    answer = applied[0]
    name = answer.measure_id
    if answer.outcome == "known-already":
        return Verdict(
            State.REFUSED,
            (
                f"Geweigerd: maatregel {name} was al aangekondigd. Er is niets veranderd. "
                "Geef een nieuwe maatregel een nieuwe naam (--id).",
            ),
        )
    if answer.outcome == "unknown-measure":
        return Verdict(
            State.REFUSED,
            (f"Geweigerd: maatregel {name} is niet bekend. Er is niets veranderd. Kijk of de naam klopt.",),
        )
    if answer.action == "announced":
        lines = [
            f"Gelukt: maatregel {name} is aangekondigd. {answer.sessions_cancelled} bijeenkomst(en) "
            f"afgezegd, {answer.courses_paused} cursus(sen) gepauzeerd."
        ]
    else:
        lines = [f"Gelukt: maatregel {name} is opgeheven. {answer.courses_resumed} cursus(sen) gaan verder."]
        if answer.courses_still_paused:
            lines.append(
                f"{answer.courses_still_paused} cursus(sen) blijven gepauzeerd: door een andere maatregel, "
                "of omdat er geen plek in het rooster is (daarover krijgt u een e-mail)."
            )
    return Verdict(State.DONE, tuple(lines))


MEASURES = Rule(
    frozenset({"MeasuresApplied"}),
    _measures_matches,
    _measures_verdict,
    "de planning heeft nog niet gezegd wat de maatregel verandert",
)


# --- erase: ErasureRequested -> PersonErased from each of the three services -----------------------


def _erasure_matches(command: EventData, event: EventData) -> bool:
    assert isinstance(command, ErasureRequested)
    return isinstance(event, PersonErased) and event.request_id == command.request_id


def _erasure_verdict(command: EventData, answers: Sequence[EventData]) -> Verdict:
    erased = {a.service: a for a in answers if isinstance(a, PersonErased)}
    lines = []
    for service in SERVICES:
        if service in erased:
            counts = ", ".join(f"{kind} {number}" for kind, number in sorted(erased[service].counts.items()))
            lines.append(f"{service}: gewist ({counts or 'niets gevonden'})")
        else:
            lines.append(f"{service}: nog geen antwoord")
    if len(erased) < len(SERVICES):
        return Verdict(State.PENDING, tuple(lines)) if erased else WAITING
    return Verdict(State.DONE, ("Gelukt: alle drie de onderdelen hebben de persoon gewist.", *lines))


ERASURE = Rule(
    frozenset({"PersonErased"}),
    _erasure_matches,
    _erasure_verdict,
    "nog niet alle drie de onderdelen hebben het wissen gemeld",
)


# IntakeOpened has no rule: enrolment does not answer an intake (README, "Decisions").
RULES: dict[str, Rule] = {
    "EarlyClosureRequested": EARLY_CLOSURE,
    "SessionCancellationRequested": SESSION_CANCELLATION,
    "MeasuresAnnounced": MEASURES,
    "MeasuresLifted": MEASURES,
    "ErasureRequested": ERASURE,
}


def answer_types() -> frozenset[str]:
    """Every event type that answers a command: what the coordinator's RabbitMQ user may read."""
    return frozenset().union(*(rule.answer_types for rule in RULES.values()))
