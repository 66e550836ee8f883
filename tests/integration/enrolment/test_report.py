"""The municipality's numbers for a scripted term, through the real enrolment on RabbitMQ and PostgreSQL.

Fourteen referrals from two partners and four municipalities (four rejected, for four reasons; a
retake allowed and one refused), two groups (one closed early, of two partners), a course that
completed long ago and one that completes today after a cancelled session with a catch-up, a
measure that paused and resumed it, a session cancelled for good and a participant who stopped.
Scheduling's events are published by the test, as scheduling would. Then `taalhuis-report` runs as
a process, writes CSV and XLSX, and both are read back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aio_pika.abc import AbstractRobustConnection
from openpyxl import load_workbook

from enrolment.bootstrap import LIBRARY_TIME
from taalhuis_shared.clock import Clock
from taalhuis_shared.events import ReferralWithdrawn, new_event
from tests.support.broker import Namespace, Tap, open_tap, publish
from tests.support.referrals import (
    completion_event,
    course_paused_event,
    course_resumed_event,
    course_scheduled_event,
    early_closure_event,
    intake_event,
    referral_event,
    session_cancelled_event,
    session_moved_event,
    withdrawal_event,
)
from tests.support.report import Lines, csv_lines, report
from tests.support.waiting import eventually

from .conftest import RunningEnrolment
from .test_referrals import ANSWERS, scalar

ZONE = ZoneInfo("Europe/Amsterdam")
GOUWE_CONTACT = {"name": "Gert Gouw", "email": "personeel@gouwewerkt.example"}


def promen(number: int, place: str = "Gouda", **changes: Any) -> dict[str, Any]:
    return referral_event(number, municipality_of_residence=place, **changes)


def gouwe(number: int, **changes: Any) -> dict[str, Any]:
    return referral_event(
        number, partner_id="gouwe", partner_referral_id=f"GW-{number:04d}", contact=GOUWE_CONTACT, **changes
    )


def gouwe_withdrawal(number: int) -> dict[str, Any]:
    withdrawal = ReferralWithdrawn(partner_id="gouwe", partner_referral_id=f"GW-{number:04d}")
    return new_event(withdrawal, source="urn:partner:gouwe")


def at(day: date) -> datetime:
    return datetime.combine(day, time(13, 30), ZONE)


class Script:
    """Publishes one event at a time and waits until enrolment has handled it (its inbox row)."""

    def __init__(self, rabbit: AbstractRobustConnection, namespace: Namespace, database_url: str) -> None:
        self.rabbit, self.namespace, self.database_url = rabbit, namespace, database_url

    async def send(self, event: dict[str, Any]) -> None:
        await publish(self.rabbit, self.namespace, event)
        query = f"SELECT count(*) FROM inbox WHERE event_id = '{event['id']}'"  # our own uuid
        await eventually(lambda: self._handled(query), timeout=30, what=f"{event['type']} handled")

    async def _handled(self, query: str) -> bool:
        return bool(await scalar(self.database_url, query))


AS_WRITTEN: list[tuple[str, Callable[[int], object]]] = [("csv", str), ("xlsx", int)]  # how numbers read back


def xlsx_lines(path: Path) -> Lines:
    sheet = load_workbook(path)["Cijfers"]
    header, *rows = list(sheet.iter_rows(values_only=True))
    found = {}
    for values in rows:
        row = dict(zip(map(str, header), values, strict=True))
        found[(str(row["Gemeente"]), str(row["Cursus"] or ""), str(row["Niveau"] or ""))] = row
    return found


TOTAL = ("Totaal", "", "")
GOUDA = ("Gouda", "klik-en-tik", "1")
WADDINXVEEN = ("Waddinxveen", "klik-en-tik", "1")

# The whole term, as the report's total line must show it.
EXPECTED_TOTAL = {
    "Verwijzingen ontvangen": 14,
    "Aangenomen": 10,
    "Afgewezen": 4,
    "Afgewezen: woont en werkt buiten het werkgebied": 1,
    "Afgewezen: kan nog niet een beetje lezen en schrijven": 1,
    "Afgewezen: partner doet niet mee aan deze cursus": 1,
    "Afgewezen: cursus pas gevolgd, nog te vroeg voor opnieuw": 1,
    "Herhalers aangenomen": 1,
    "Op de wachtlijst gezet": 10,
    "Van de wachtlijst naar een groep": 8,
    "Van de wachtlijst afgemeld": 1,
    "Gestopt tijdens de cursus": 1,
    "Deelnemers cursus afgerond": 7,
    "Verschillende deelnemers": 7,  # P1 completed twice; five + two others
    "Groepen gevormd": 2,
    "Waarvan vroeg gesloten": 1,
    "Cursussen gestart": 2,
    "Cursussen afgerond": 2,
    "Cursussen gepauzeerd": 1,
    "Cursussen hervat": 1,
    "Bijeenkomsten gehouden": 9,
    "Bijeenkomsten afgezegd": 3,
    "Afgezegd: docent ziek": 2,
    "Afgezegd: maatregelen": 1,
}


async def test_a_scripted_term_gives_the_expected_numbers_in_csv_and_xlsx(
    running_enrolment: RunningEnrolment,
    rabbit: AbstractRobustConnection,
    namespace: Namespace,
    tmp_path: Path,
) -> None:
    tap: Tap = await open_tap(rabbit, namespace, ANSWERS)
    today = Clock().today(LIBRARY_TIME)  # the library's date, as enrolment sees it without an offset
    async with running_enrolment() as settings:
        script = Script(rabbit, namespace, settings.database_url)
        # Group A: five from Promen (three in Gouda, two in Waddinxveen), long ago.
        for number, place in [
            (1, "Gouda"),
            (2, "Gouda"),
            (3, "Gouda"),
            (4, "Waddinxveen"),
            (5, "Waddinxveen"),
        ]:
            await script.send(promen(number, place))
        await script.send(gouwe(6))
        await script.send(gouwe(7))
        await script.send(promen(8, "Utrecht"))  # municipality-not-served
        await script.send(promen(9, can_read_and_write_a_little=False))  # cannot-read-or-write
        await script.send(gouwe(10, course={"type": "digisterker", "level": 1}))  # course-not-for-partner
        await script.send(intake_event(groups=2))
        [group_a] = [g["data"] for g in await tap.wait_for("GroupFilled", 1)]
        assert {p["partner_referral_id"] for p in group_a["participants"]} == {
            f"PRM-{n:04d}" for n in range(1, 6)
        }
        await script.send(course_scheduled_event(group_a, today - timedelta(days=435)))
        await script.send(completion_event(group_a, today - timedelta(days=400)))

        # P1 again, more than a year later: a retake, allowed. With G6 and G7 it is closed early.
        await script.send(promen(11, participant={"employee_reference": "EMP-0001", "given_name": "Een",
                                                  "family_name": "Opnieuw"}))  # fmt: skip
        await script.send(early_closure_event())
        group_b = next(g["data"] for g in await tap.wait_for("GroupFilled", 2) if g["data"]["closed_early"])
        first = today - timedelta(days=40)
        await script.send(course_scheduled_event(group_b, first))  # sessions -40, -33, -26, -19, -12
        await script.send(session_cancelled_event(group_b, 3, at(first + timedelta(weeks=2)), "teacher-ill"))
        await script.send(session_moved_event(group_b, 3, at(today - timedelta(days=5))))  # the catch-up
        await script.send(
            session_cancelled_event(group_b, 4, at(first + timedelta(weeks=3)), "measures", "m1")
        )
        await script.send(course_paused_event(group_b, "m1", sessions_remaining=2))
        await script.send(course_resumed_event(group_b, "m1", {4: at(today - timedelta(days=8))}))
        await script.send(
            session_moved_event(group_b, 4, at(today - timedelta(days=8)))
        )  # both, as scheduling
        await script.send(session_cancelled_event(group_b, 5, at(first + timedelta(weeks=4)), "teacher-ill"))
        await script.send(gouwe_withdrawal(7))
        await script.send(completion_event(group_b, today))

        # G6 again, too soon: refused. W13 waits for Digisterker; W14 withdraws from the waiting list.
        await script.send(gouwe(12, participant={"employee_reference": "EMP-0006", "given_name": "Zes",
                                                 "family_name": "Weer"}))  # fmt: skip
        await script.send(promen(13, course={"type": "digisterker", "level": 2}))
        await script.send(promen(14, "Zuidplas"))
        await script.send(withdrawal_event(14))
        rejected = {
            e["data"]["partner_referral_id"]: e["data"]["reason_code"]
            for e in tap.of_type("ReferralRejected")
        }
        assert rejected == {
            "PRM-0008": "municipality-not-served",
            "PRM-0009": "cannot-read-or-write",
            "GW-0010": "course-not-for-partner",
            "GW-0012": "retake-too-soon",
        }
        outcomes = [e["data"]["outcome"] for e in await tap.wait_for("WithdrawalProcessed", 2)]
        assert sorted(outcomes) == ["left-during-course", "removed-from-waiting-list"]

    period = ["--van", (today - timedelta(days=500)).isoformat(), "--tot", today.isoformat()]
    screen, csv_path, xlsx_path = await report(settings.database_url, tmp_path, "term", *period)
    assert "Verwijzingen ontvangen" in screen and "Totaal" in screen
    in_csv, in_xlsx = csv_lines(csv_path), xlsx_lines(xlsx_path)
    expected_lines = {
        GOUDA,
        WADDINXVEEN,
        ("Utrecht", "klik-en-tik", "1"),
        ("Gouda", "digisterker", "1"),
        ("Gouda", "digisterker", "2"),
        ("Zuidplas", "klik-en-tik", "1"),
        TOTAL,
    }
    assert set(in_csv) == expected_lines
    assert set(in_xlsx) == expected_lines
    waiting = f"Wachtend op {today:%d-%m-%Y}"
    for kind, read in AS_WRITTEN:
        lines = in_csv if kind == "csv" else in_xlsx
        total = lines[TOTAL]
        for column, value in EXPECTED_TOTAL.items():
            assert total[column] == read(value), column
        assert total[waiting] == read(1)  # W13, for Digisterker
        assert lines[("Gouda", "digisterker", "2")][waiting] == read(1)
        gouda = lines[GOUDA]
        assert gouda["Verwijzingen ontvangen"] == read(8)
        assert gouda["Aangenomen"] == read(6)
        assert gouda["Herhalers aangenomen"] == read(1)
        assert gouda["Deelnemers cursus afgerond"] == read(5)
        assert gouda["Verschillende deelnemers"] == read(5)  # P1, P2, P3, G6, G7
        assert gouda["Gestopt tijdens de cursus"] == read(1)
        assert gouda["Groepen gevormd"] == read(2)  # both groups had someone from Gouda
        assert gouda["Bijeenkomsten gehouden"] == read(9)
        assert gouda[waiting] == read(0)
        waddinxveen = lines[WADDINXVEEN]
        assert waddinxveen["Groepen gevormd"] == read(1)
        assert waddinxveen["Waarvan vroeg gesloten"] == read(0)
        assert waddinxveen["Bijeenkomsten gehouden"] == read(5)
        assert waddinxveen["Verschillende deelnemers"] == read(2)
        assert lines[("Utrecht", "klik-en-tik", "1")][
            "Afgewezen: woont en werkt buiten het werkgebied"
        ] == read(1)
        assert lines[("Zuidplas", "klik-en-tik", "1")]["Van de wachtlijst afgemeld"] == read(1)

    # One partner: Gouwe's people, and only the group they were in.
    _, csv_path, xlsx_path = await report(
        settings.database_url, tmp_path, "gouwe", *period, "--partner", "gouwe"
    )
    for kind, read in AS_WRITTEN:
        lines = csv_lines(csv_path) if kind == "csv" else xlsx_lines(xlsx_path)
        assert set(lines) == {GOUDA, ("Gouda", "digisterker", "1"), TOTAL}
        total = lines[TOTAL]
        assert total["Verwijzingen ontvangen"] == read(4)
        assert total["Verschillende deelnemers"] == read(2)
        assert total["Groepen gevormd"] == read(1)
        assert total["Waarvan vroeg gesloten"] == read(1)
        assert total["Bijeenkomsten gehouden"] == read(4)
        assert total["Cursussen gepauzeerd"] == read(1)

    # The last hundred days, one municipality written in another case: group A is outside.
    recent = ["--van", (today - timedelta(days=100)).isoformat(), "--tot", today.isoformat()]
    _, csv_path, _ = await report(settings.database_url, tmp_path, "recent", *recent, "--gemeente", "gouda")
    lines = csv_lines(csv_path)
    assert set(lines) == {GOUDA, ("Gouda", "digisterker", "1"), ("Gouda", "digisterker", "2"), TOTAL}
    total = lines[TOTAL]
    assert total["Cursussen gestart"] == "1"
    assert total["Cursussen afgerond"] == "1"
    assert total["Bijeenkomsten gehouden"] == "4"
    assert total["Deelnemers cursus afgerond"] == "2"  # G6 and P1's retake
    assert total["Verschillende deelnemers"] == "3"  # G6, P1, G7 who stopped
    assert total[waiting] == "1"

    # Nothing in the tables names a person: no reference, referral id or name.
    for table in ("report_counts", "report_people", "report_sessions"):
        dump = str(await scalar(settings.database_url, f"SELECT string_agg(t::text, ' ') FROM {table} t"))
        for needle in ("EMP-", "PRM-", "GW-", "Deelnemer", "Opnieuw", "Weer"):
            assert needle.lower() not in dump.lower(), (table, needle)
