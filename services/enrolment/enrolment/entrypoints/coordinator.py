"""`taalhuis-enrolment`: the coordinator's read-only view of waiting lists, capacity, groups, history.

    taalhuis-enrolment wachtlijsten                          (or: waiting)
    taalhuis-enrolment ruimte                                (or: capacity)
    taalhuis-enrolment groepen                               (or: groups)
    taalhuis-enrolment geschiedenis PARTNER AANMELDING       (or: history)

Each takes `--english` and `--details` (contact persons' e-mail addresses and employee references,
which are left out otherwise). Reads `DATABASE_URL` and `ENROLMENT_FILE` as the service does;
changes nothing. Also `python -m enrolment.entrypoints.coordinator`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy.exc import ProgrammingError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from taalhuis_shared.db import database_url_problem, unreadable
from taalhuis_shared.events.erasure import SERVICES

from ..adapters import views
from ..adapters.config import load_policy
from ..domain import model
from ..settings import Settings

LIBRARY_TIME = ZoneInfo("Europe/Amsterdam")
Say = Callable[[str, str], str]  # say(dutch, english): the one the reader asked for

# The codes enrolment writes, in a few plain words (Dutch, English). Rejections are the codes of
# domain/model.py, withdrawals those of domain/status.WithdrawalOutcome; a new code shows as itself.
WHAT = {
    "accepted": ("aangenomen", "accepted"),
    "rejected": ("afgewezen", "rejected"),
    "placed": ("in een groep geplaatst", "placed in a group"),
    "withdrawn": ("afgemeld", "withdrawn"),
    "completed": ("cursus afgerond", "course completed"),
}
STATUS = {
    "waiting": ("wacht op een groep", "waiting for a group"),
    "placed": ("zit in een groep", "in a group"),
    "completed": ("cursus afgerond", "course completed"),
    "withdrawn": ("afgemeld", "withdrawn"),
    "left": ("gestopt tijdens de cursus", "left during the course"),
}
GROUP_STATUS = {
    "formed": ("gevormd, nog niet ingepland", "formed, not yet scheduled"),
    "scheduled": ("ingepland", "scheduled"),
    "completed": ("afgerond", "completed"),
}
REJECTIONS = {
    model.UNKNOWN_PARTNER.code: ("geen partner van de bibliotheek", "not a partner of the library"),
    model.PARTNER_MISMATCH.code: ("verstuurd door een andere organisatie", "sent by another organisation"),
    model.UNKNOWN_COURSE.code: ("cursus of niveau bestaat niet", "no such course or level"),
    model.COURSE_NOT_FOR_PARTNER.code: (
        "partner doet niet mee aan deze cursus",
        "course not for this partner",
    ),
    model.MUNICIPALITY_NOT_SERVED.code: (
        "woont en werkt buiten het werkgebied",
        "lives and works outside the area",
    ),
    model.CANNOT_READ_OR_WRITE.code: (
        "kan nog niet een beetje lezen en schrijven",
        "cannot read and write a little",
    ),
    model.NO_CONSENT.code: ("geen toestemming om gegevens te delen", "no consent to share data"),
    model.DUPLICATE_REFERRAL.code: ("al eerder ontvangen", "received before"),
    model.ALREADY_ENROLLED.code: ("wacht al of doet al mee", "already waiting or taking part"),
    "retake-too-soon": (
        "cursus pas gevolgd, nog te vroeg voor opnieuw",
        "completed recently, too soon to retake",
    ),
}
WITHDRAWALS = {
    "removed-from-waiting-list": ("van de wachtlijst gehaald", "removed from the waiting list"),
    "removed-from-group": (
        "uit de groep gehaald, plek naar de wachtlijst",
        "left the group, seat to the next waiting",
    ),
    "left-during-course": ("gestopt tijdens de cursus", "left during the course"),
    "not-found": ("aanmelding niet gevonden", "referral not found"),
    "partner-mismatch": (
        "afmelding van een andere organisatie, niet uitgevoerd",
        "withdrawal by another partner, ignored",
    ),
    "already-ended": ("was al gestopt of klaar", "had already ended"),
}


def table(header: Sequence[str], rows: Sequence[Sequence[object]], indent: str = "  ") -> list[str]:
    """Plain text columns, each as wide as its widest cell."""
    cells = [[str(cell) for cell in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return [
        indent + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]


def day(value: date | None, say: Say) -> str:
    if value is None:
        return say("nog niet bekend", "not known yet")
    return say(value.strftime("%d-%m-%Y"), value.isoformat())


def local_day(value: datetime, say: Say) -> str:
    return day(value.astimezone(LIBRARY_TIME).date(), say)


def moment(value: datetime, say: Say) -> str:
    return f"{local_day(value, say)} {value.astimezone(LIBRARY_TIME):%H:%M}"


def word(codes: dict[str, tuple[str, str]], code: str, say: Say) -> str:
    """The code in plain words; the code itself when it is new to this view."""
    return say(*codes[code]) if code in codes else code


def yes_no(value: bool, say: Say) -> str:
    return say("ja", "yes") if value else say("nee", "no")


def language_group(code: str, say: Say) -> str:
    return code or say("geen voorkeur", "no preference")


def explain(line: views.HistoryLine, say: Say) -> str:
    """A history line's detail in plain words, as far as its form is known."""
    detail = line.detail
    if line.what == "rejected" and detail in REJECTIONS:
        return word(REJECTIONS, detail, say)
    if line.what == "withdrawn" and detail in WITHDRAWALS:
        return word(WITHDRAWALS, detail, say)
    if position := re.fullmatch(r"wachtlijst (\d+)", detail):
        return say(f"plek {position[1]} op de wachtlijst", f"position {position[1]} on the waiting list")
    if group := re.fullmatch(r"groep (\S+)", detail):
        return say(f"groep {group[1]}", f"group {group[1]}")
    if re.fullmatch(r"\d{4}-\d\d-\d\d", detail):
        return day(date.fromisoformat(detail), say)
    return detail


def person_columns(person: views.Person, details: bool) -> list[str]:
    columns = [person.partner_id, person.partner_referral_id, person.display_name]
    if details:
        columns += [person.employee_reference, f"{person.contact_name} <{person.contact_email}>"]
    return columns


def person_header(say: Say, details: bool) -> list[str]:
    header = ["partner", say("aanmelding", "referral"), say("naam", "name")]
    if details:
        header += [say("medewerker", "employee"), say("contactpersoon", "contact person")]
    return header


# --- the four views -------------------------------------------------------------------------------


async def show_waiting(connection: AsyncConnection, args: argparse.Namespace, say: Say) -> int:
    lists = await views.waiting_lists(connection)
    if not lists:
        print(say("Er wacht niemand.", "Nobody is waiting."))
    for waiting_list in lists:
        print(
            say("Wachtlijst", "Waiting list")
            + f" {waiting_list.course_type}, {say('niveau', 'level')} {waiting_list.level}, "
            + f"{say('taalgroep', 'language group')}: {language_group(waiting_list.language_group, say)} "
            + say(f"({len(waiting_list.waiting)} wachtend)", f"({len(waiting_list.waiting)} waiting)")
        )
        rows = [
            [w.position, *person_columns(w.person, args.details), local_day(w.since, say)]
            for w in waiting_list.waiting
        ]
        header = [
            say("plek", "position"),
            *person_header(say, args.details),
            say("wacht sinds", "waiting since"),
        ]
        print("\n".join(table(header, rows)), end="\n\n")
    return 0


async def show_capacity(connection: AsyncConnection, args: argparse.Namespace, say: Say) -> int:
    policy = load_policy(args.settings.enrolment_path)
    intakes = await views.intake_list(connection)
    waiting = await views.waiting_per_course(connection)
    print(say("Instromen (ruimte voor nieuwe groepen)", "Intakes (room for new groups)"))
    print("\n".join(intake_table(intakes, say)), end="\n\n")
    print(say("Open ruimte per cursus", "Open capacity per course"))
    print("\n".join(open_capacity_table(intakes, waiting, policy, say)))
    return 0


def intake_table(intakes: list[views.Intake], say: Say) -> list[str]:
    if not intakes:
        return [say("  Er is nog geen instroom geopend.", "  No intake has been opened yet.")]
    header = [
        "id",
        say("cursus", "course"),
        say("vanaf", "from"),
        say("locaties", "locations"),
        say("groepen gebruikt", "groups used"),
    ]
    rows = [
        [
            i.id,
            i.course_type,
            day(i.from_date, say),
            "; ".join(i.locations) or "-",
            f"{i.groups_used} / {i.groups_total}",
        ]
        for i in intakes
    ]
    return table(header, rows)


def open_capacity_table(
    intakes: list[views.Intake], waiting: dict[str, int], policy: model.Policy, say: Say
) -> list[str]:
    """Per course type offered (and any other an intake names): groups and places still open."""
    course_types = list(policy.courses) + sorted({i.course_type for i in intakes} - set(policy.courses))
    rows: list[list[object]] = []
    for course_type in course_types:
        open_groups = sum(i.groups_total - i.groups_used for i in intakes if i.course_type == course_type)
        offer = policy.courses.get(course_type)
        places = open_groups * offer.group_capacity if offer else "?"
        rows.append([course_type, open_groups, places, waiting.get(course_type, 0)])
    header = [
        say("cursus", "course"),
        say("open groepen", "open groups"),
        say("open plekken", "open places"),
        say("wachtend", "waiting"),
    ]
    return table(header, rows)


async def show_groups(connection: AsyncConnection, args: argparse.Namespace, say: Say) -> int:
    groups = await views.group_list(connection)
    if not groups:
        print(say("Er zijn nog geen groepen.", "There are no groups yet."))
    for group in groups:
        print(f"{say('Groep', 'Group')} {group.id}: {word(GROUP_STATUS, group.status, say)}")
        print(
            f"  {say('cursus', 'course')}: {group.course_type}, {say('niveau', 'level')} {group.level}, "
            f"{say('taalgroep', 'language group')}: {language_group(group.language_group, say)}"
        )
        print(
            f"  {say('plaatsen', 'seats')}: {group.capacity}, "
            f"{say('vroeg gesloten', 'closed early')}: {yes_no(group.closed_early, say)}, "
            f"{say('instroom', 'intake')}: {group.intake_id}"
        )
        print(
            f"  {say('eerste les', 'first session')}: {day(group.first_session, say)}, "
            f"{say('laatste les', 'last session')}: {day(group.last_session, say)}"
        )
        header = [say("plaats", "seat"), *person_header(say, args.details), "status"]
        rows: list[list[object]] = []
        for seat in range(1, group.capacity + 1):
            person = group.seats.get(seat)
            if person is None:
                rows.append([seat, say("(vrij)", "(free)"), *[""] * (len(header) - 2)])
            else:
                status = "" if person.status == "placed" else word(STATUS, person.status, say)
                rows.append([seat, *person_columns(person, args.details), status])
        print("\n".join(table(header, rows)), end="\n\n")
    return 0


async def show_history(connection: AsyncConnection, args: argparse.Namespace, say: Say) -> int:
    found = await views.referral_history(connection, args.partner, args.referral)
    if found is None:
        print(
            say(
                f"Aanmelding {args.referral} van partner {args.partner} is niet bekend. "
                "Kijk of het nummer en de partner kloppen.",
                f"Referral {args.referral} of partner {args.partner} is not known. "
                "Check the number and the partner.",
            ),
            file=sys.stderr,
        )
        return 1
    print(
        say(
            f"Aanmelding {args.referral} van partner {args.partner}",
            f"Referral {args.referral} of partner {args.partner}",
        )
    )
    person = found.person
    status = word(STATUS, person.status, say) if person else word(WHAT, "rejected", say)
    print(f"  {say('nu', 'now')}: {status}")
    if person is not None:
        print(f"  {say('naam', 'name')}: {person.display_name}")
        if args.details:
            print(f"  {say('medewerker', 'employee')}: {person.employee_reference}")
            print(
                f"  {say('contactpersoon', 'contact person')}: {person.contact_name} <{person.contact_email}>"
            )
    header = [say("wanneer", "when"), say("wat", "what"), say("toelichting", "detail")]
    rows = [[moment(line.at, say), word(WHAT, line.what, say), explain(line, say)] for line in found.lines]
    print("\n".join(table(header, rows)))
    return 0


SERVICE_NAMES = {
    "enrolment": ("aanmelding", "enrolment"),
    "scheduling": ("planning", "scheduling"),
    "notifications": ("e-mail", "notifications"),
    "console": ("console", "console"),  # answers when it runs; a request does not wait for it
}


async def show_erasures(connection: AsyncConnection, args: argparse.Namespace, say: Say) -> int:
    """Erasure requests: open ones until all three services have answered (`--alle`: all)."""
    requests = await views.erasure_requests(connection, include_done=args.all)
    if not requests:
        print(say("Geen wisverzoeken die nog lopen.", "No erasure requests in progress."))
        return 0
    header = [
        say("verzoek", "request"),
        say("partner", "partner"),
        say("gevraagd", "asked"),
        say("door", "by"),
        say("stand", "state"),
    ]
    rows = []
    for request in requests:
        if request.outcome != "erasing":
            state = say(
                "geweigerd: een partner mag alleen eigen medewerkers laten wissen",
                "refused: a partner may only erase its own employees",
            )
        else:
            done = [say(*SERVICE_NAMES[s]) for s in SERVICE_NAMES if s in request.answers]
            waiting = [say(*SERVICE_NAMES[s]) for s in SERVICES if s not in request.answers]
            state = (
                say("klaar", "done")
                if not waiting
                else say(
                    f"gewist bij: {', '.join(done) or 'nog niets'}; wacht op: {', '.join(waiting)}",
                    f"erased by: {', '.join(done) or 'none yet'}; waiting for: {', '.join(waiting)}",
                )
            )
        rows.append([request.request_id, request.partner_id, moment(request.requested_at, say),
                     request.requested_by or request.asked_by, state])  # fmt: skip
    print("\n".join(table(header, rows)))
    return 0


# --- command line ---------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--english", action="store_true", help="in English")
    common.add_argument(
        "--details",
        action="store_true",
        help="ook e-mailadressen van contactpersonen en medewerkernummers tonen",
    )
    main_parser = argparse.ArgumentParser(
        prog="taalhuis-enrolment", description="Wachtlijsten, ruimte, groepen en geschiedenis (alleen lezen)"
    )
    commands = main_parser.add_subparsers(dest="command", required=True)
    for name, alias, show, text in [
        ("wachtlijsten", "waiting", show_waiting, "wie wacht op welke cursus, op volgorde van aanmelding"),
        ("ruimte", "capacity", show_capacity, "instromen en open ruimte per cursus"),
        ("groepen", "groups", show_groups, "groepen en wie op welke plaats zit"),
        ("geschiedenis", "history", show_history, "wat er met één aanmelding is gebeurd"),
        ("wissen", "erasures", show_erasures, "wisverzoeken (AVG) die nog niet overal zijn uitgevoerd"),
    ]:
        command = commands.add_parser(name, aliases=[alias], parents=[common], help=text)
        command.set_defaults(show=show)
        if name == "geschiedenis":
            command.add_argument("partner", help="partner, bijvoorbeeld promen")
            command.add_argument("referral", help="het nummer van de aanmelding bij de partner")
        if name == "wissen":
            command.add_argument("--alle", dest="all", action="store_true", help="ook afgeronde verzoeken")
    return main_parser


async def run(args: argparse.Namespace, say: Say) -> int:
    engine = create_async_engine(args.settings.database_url)
    try:
        async with engine.connect() as connection:
            # One consistent snapshot, and the database refuses any write.
            await connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            result: int = await args.show(connection, args, say)
            return result
    finally:
        await engine.dispose()


def speaker(english: bool) -> Say:
    """`say(dutch, english)`: the text in the language the reader asked for."""

    def say(dutch: str, english_text: str) -> str:
        return english_text if english else dutch

    return say


def read_only(args: argparse.Namespace, say: Say) -> int:
    """Run `args.show` on a read-only snapshot of enrolment's database; problems said in plain words."""
    problem = database_url_problem(os.environ.get("DATABASE_URL"))
    if problem:
        print(problem, file=sys.stderr)
        return 2
    try:
        args.settings = Settings()
    except ValidationError as error:
        names = ", ".join(str(e["loc"][0]).upper() for e in error.errors() if e["loc"])
        print(say("Een instelling klopt niet:", "A setting is wrong:"), f"{names}.", file=sys.stderr)
        return 2
    try:
        return asyncio.run(run(args, say))
    except ProgrammingError as error:
        print(
            say(
                "De tabellen van de inschrijving ontbreken of kloppen niet; is de service gestart?",
                "Enrolment's tables are missing or differ; has the service started?",
            ),
            file=sys.stderr,
        )
        print(str(error.orig), file=sys.stderr)
        return 2
    except (OSError, SQLAlchemyError) as error:
        print(unreadable(error), file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return read_only(args, speaker(args.english))


if __name__ == "__main__":
    sys.exit(main())
