"""`taalhuis-report`: the municipality's numbers for a period, on screen, as CSV and as XLSX.

    taalhuis-report --van 2027-01-01 --tot 2027-06-30 [--gemeente Gouda] [--partner promen]
                    [--cursus klik-en-tik] [--csv cijfers.csv] [--xlsx cijfers.xlsx] [--english]

One line per municipality of residence, course type and level, and a total line. The numbers come
from enrolment's reporting tables (counts per day, no names or references; README, "Numbers for
the municipality"). Reads `DATABASE_URL` as the service does; changes nothing. Also
`python -m enrolment.entrypoints.report`.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.report import Line, Query, Report, read_report
from ..domain.reporting import PLACED as LEFT_FOR_A_GROUP
from ..domain.reporting import WITHDRAWN as LEFT_WITHDRAWN
from ..domain.reporting import Measure
from .coordinator import REJECTIONS, Say, day, read_only, speaker, table, word

MORE_REJECTIONS = {
    "invalid-referral": ("aanmelding niet goed ingevuld", "referral not filled in correctly"),
}
CANCELLATIONS = {
    "measures": ("maatregelen", "measures"),
    "teacher-ill": ("docent ziek", "teacher ill"),
    "room-unavailable": ("ruimte niet beschikbaar", "room unavailable"),
}


@dataclass(frozen=True)
class Column:
    title: str
    value: Callable[[Line], object]


def _reasons(report: Report, measure: Measure, known: dict[str, tuple[str, str]]) -> list[str]:
    """The reasons of a measure that occur in the report: known ones in their order, then others."""
    found = {
        r for line in [*report.lines, report.total] for (m, r), n in line.sums.items() if m == measure and n
    }
    return [code for code in known if code in found] + sorted(found - set(known))


def columns(report: Report, say: Say) -> list[Column]:
    """The report's columns, in the reader's language; a reason column only where it occurs."""
    rejections = REJECTIONS | MORE_REJECTIONS

    def measure(title: str, english: str, which: Measure, reason: str | None = None) -> Column:
        return Column(say(title, english), lambda line: line.get(which, reason))

    def place(line: Line) -> str:
        if line is report.total:
            return say("Totaal", "Total")
        return line.municipality or say("(onbekend)", "(unknown)")

    end = day(report.query.end, say)
    return [
        Column(say("Gemeente", "Municipality"), place),
        Column(say("Cursus", "Course"), lambda line: line.course_type),
        Column(say("Niveau", "Level"), lambda line: line.level or ""),
        measure("Verwijzingen ontvangen", "Referrals received", Measure.RECEIVED),
        measure("Aangenomen", "Accepted", Measure.ACCEPTED),
        measure("Afgewezen", "Rejected", Measure.REJECTED),
        *[
            measure(
                f"Afgewezen: {word(rejections, code, say)}",
                f"Rejected: {word(rejections, code, say)}",
                Measure.REJECTED,
                code,
            )
            for code in _reasons(report, Measure.REJECTED, rejections)
        ],
        measure("Herhalers aangenomen", "Retakes accepted", Measure.RETAKE),
        measure("Op de wachtlijst gezet", "Put on the waiting list", Measure.WAITING_ENTERED),
        measure(
            "Van de wachtlijst naar een groep",
            "From the waiting list to a group",
            Measure.WAITING_LEFT,
            LEFT_FOR_A_GROUP,
        ),
        measure(
            "Van de wachtlijst afgemeld",
            "Withdrawn from the waiting list",
            Measure.WAITING_LEFT,
            LEFT_WITHDRAWN,
        ),
        Column(say(f"Wachtend op {end}", f"Waiting on {end}"), lambda line: line.waiting_at_end),
        measure(
            "Afgemeld uit een groep voor de start",
            "Withdrawn from a group before the start",
            Measure.WITHDRAWN_FROM_GROUP,
        ),
        measure("Gestopt tijdens de cursus", "Stopped during the course", Measure.STOPPED),
        measure("Deelnemers cursus afgerond", "Participants completed", Measure.PARTICIPANT_COMPLETED),
        Column(say("Verschillende deelnemers", "Different participants"), lambda line: line.people),
        measure("Groepen gevormd", "Groups formed", Measure.GROUP_FORMED),
        measure("Waarvan vroeg gesloten", "Of which closed early", Measure.GROUP_CLOSED_EARLY),
        measure("Cursussen gestart", "Courses started", Measure.COURSE_STARTED),
        measure("Cursussen afgerond", "Courses completed", Measure.COURSE_COMPLETED),
        measure("Cursussen gepauzeerd", "Courses paused", Measure.COURSE_PAUSED),
        measure("Cursussen hervat", "Courses resumed", Measure.COURSE_RESUMED),
        measure("Bijeenkomsten gehouden", "Sessions held", Measure.SESSION_HELD),
        measure("Bijeenkomsten afgezegd", "Sessions cancelled", Measure.SESSION_CANCELLED),
        *[
            measure(
                f"Afgezegd: {word(CANCELLATIONS, code, say)}",
                f"Cancelled: {word(CANCELLATIONS, code, say)}",
                Measure.SESSION_CANCELLED,
                code,
            )
            for code in _reasons(report, Measure.SESSION_CANCELLED, CANCELLATIONS)
        ],
    ]


def rows(report: Report, chosen: Sequence[Column]) -> list[list[object]]:
    return [[column.value(line) for column in chosen] for line in [*report.lines, report.total]]


def about(report: Report, say: Say) -> list[tuple[str, str]]:
    """What the numbers are for: period and filters, as (label, value)."""
    query = report.query
    everyone = say("alle", "all")
    return [
        (say("Periode", "Period"), f"{day(query.start, say)} - {day(query.end, say)}"),
        (say("Gemeente", "Municipality"), query.municipality or everyone),
        ("Partner", query.partner_id or everyone),
        (say("Cursus", "Course"), query.course_type or everyone),
    ]


NOTES = [
    (
        "Deelnemers tellen in de gemeente waar ze wonen. Groepen, cursussen en bijeenkomsten tellen in "
        "elke gemeente (en bij elke partner) waar een deelnemer van de groep vandaan komt: de regel "
        "Totaal telt elke groep één keer en is dus niet de som van de regels.",
        "Participants count in the municipality they live in. Groups, courses and sessions count in "
        "every municipality (and for every partner) a participant of the group comes from: the Total "
        "line counts each group once, so it is not the sum of the lines.",
    ),
    (
        "Verschillende deelnemers: mensen die in de periode een cursus afrondden of tijdens de cursus "
        "stopten, elk één keer geteld. Een schatting (HyperLogLog) zonder namen: tot enkele honderden "
        "mensen precies, daarboven ongeveer 1,6 % afwijking.",
        "Different participants: people who completed a course or stopped during one in the period, "
        "each counted once. An estimate (HyperLogLog) without names: exact up to a few hundred people, "
        "above that about 1.6 % error.",
    ),
]


# --- output ----------------------------------------------------------------------------------------


def show(report: Report, say: Say) -> list[str]:
    """On screen: one line per column, one column per line of the report (it is wide otherwise)."""
    chosen = columns(report, say)
    header_columns, measures = chosen[:3], chosen[3:]
    heads = [
        " ".join(str(column.value(line)) for column in header_columns if column.value(line) != "")
        for line in [*report.lines, report.total]
    ]
    body = [[m.title, *[m.value(line) for line in [*report.lines, report.total]]] for m in measures]
    lines = [f"{label}: {value}" for label, value in about(report, say)]
    if not report.lines:
        return [*lines, say("Er is niets geteld in deze periode.", "Nothing was counted in this period.")]
    return [*lines, "", *table(["", *heads], body)]


def write_csv(path: Path, report: Report, say: Say) -> None:
    """Semicolons and a byte order mark: Dutch Excel opens it as it is."""
    chosen = columns(report, say)
    period = [say("Van", "From"), say("Tot en met", "To")]
    dates = [report.query.start.isoformat(), report.query.end.isoformat()]
    with path.open("w", newline="", encoding="utf-8-sig") as file:
        writer = csv.writer(file, delimiter=";")
        writer.writerow([*period, *(c.title for c in chosen)])
        writer.writerows([*dates, *row] for row in rows(report, chosen))


def write_xlsx(path: Path, report: Report, say: Say) -> None:
    chosen = columns(report, say)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = say("Cijfers", "Numbers")
    sheet.append([c.title for c in chosen])
    for row in rows(report, chosen):
        sheet.append(row)
    for cell in [*sheet[1], *sheet[sheet.max_row]]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "D2"
    for index, column in enumerate(chosen, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, min(len(column.title) + 2, 40))
    notes = book.create_sheet(say("Toelichting", "About"))
    for label, value in about(report, say):
        notes.append([label, value])
    notes.append([])
    for dutch, english in NOTES:
        notes.append([say(dutch, english)])
    notes.column_dimensions["A"].width = 14
    book.save(path)


async def show_report(connection: AsyncConnection, args: argparse.Namespace, say: Say) -> int:
    report = await read_report(connection, args.query)
    print("\n".join(show(report, say)))
    for path, write in [(args.csv, write_csv), (args.xlsx, write_xlsx)]:
        if path is not None:
            write(path, report, say)
            print(say(f"Geschreven: {path}", f"Written: {path}"))
    return 0


# --- command line ---------------------------------------------------------------------------------


class RefusedError(Exception):
    """An invocation that cannot be answered; the message says why, in the reader's language."""


def parse_day(value: str | None, option: str, say: Say) -> date:
    if not value:
        raise RefusedError(
            say(
                f"Geef {option} op, bijvoorbeeld --van 2027-01-01 --tot 2027-06-30.",
                f"Give {option}, for example --from 2027-01-01 --to 2027-06-30.",
            )
        )
    try:
        if found := re.fullmatch(r"(\d{1,2})-(\d{1,2})-(\d{4})", value.strip()):
            return date(int(found[3]), int(found[2]), int(found[1]))
        return date.fromisoformat(value.strip())
    except ValueError:
        raise RefusedError(
            say(
                f"{option} {value} is geen datum. Schrijf bijvoorbeeld 2027-01-31 of 31-01-2027.",
                f"{option} {value} is not a date. Write for example 2027-01-31 or 31-01-2027.",
            )
        ) from None


def query(args: argparse.Namespace, say: Say) -> Query:
    start, end = parse_day(args.start, "--van", say), parse_day(args.end, "--tot", say)
    if start > end:
        raise RefusedError(
            say(
                f"De periode klopt niet: --van ({day(start, say)}) ligt na --tot ({day(end, say)}).",
                f"The period is wrong: --from ({day(start, say)}) is after --to ({day(end, say)}).",
            )
        )
    return Query(start, end, args.municipality or None, args.partner or None, args.course_type or None)


def parser() -> argparse.ArgumentParser:
    command = argparse.ArgumentParser(
        prog="taalhuis-report",
        description="Cijfers voor de gemeente over een periode: verwijzingen, wachtlijst, groepen, "
        "cursussen en bijeenkomsten, zonder namen.",
    )
    command.add_argument(
        "--van", "--from", dest="start", metavar="DATUM", help="eerste dag, zoals 2027-01-01"
    )
    command.add_argument("--tot", "--to", dest="end", metavar="DATUM", help="laatste dag (telt mee)")
    command.add_argument(
        "--gemeente", "--municipality", dest="municipality", metavar="GEMEENTE", help="alleen deze woonplaats"
    )
    command.add_argument("--partner", help="alleen deelnemers van deze partner, zoals promen")
    command.add_argument(
        "--cursus", "--course-type", dest="course_type", metavar="CURSUS", help="alleen dit soort cursus"
    )
    command.add_argument("--csv", type=Path, metavar="BESTAND", help="schrijf de cijfers ook als CSV")
    command.add_argument("--xlsx", type=Path, metavar="BESTAND", help="schrijf de cijfers ook als Excel")
    command.add_argument("--english", action="store_true", help="in English")
    return command


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    say = speaker(args.english)
    try:
        args.query = query(args, say)
    except RefusedError as refused:
        print(refused, file=sys.stderr)
        return 2
    args.show = show_report
    return read_only(args, say)


if __name__ == "__main__":
    sys.exit(main())
