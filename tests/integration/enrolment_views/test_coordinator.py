"""The coordinator's view (`taalhuis-enrolment`) on enrolment's real tables, filled by hand."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

import enrolment
from enrolment.adapters.tables import erasure_requests, groups, history, intakes, referrals
from enrolment.domain import model
from enrolment.entrypoints import coordinator
from enrolment.entrypoints.coordinator import main
from enrolment.service_layer.handlers import WITHDRAWAL_OUTCOMES
from taalhuis_shared.db import upgrade_schema
from tests.support.databases import Databases

MIGRATIONS = Path(enrolment.__file__).parent / "migrations"
PYPROJECT = Path(enrolment.__file__).parents[1] / "pyproject.toml"
GROUP = "3c9d2b1e-0000-4000-8000-000000000001"
EMAIL = "sanne.dewit@example.org"


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def referral(number: int, name: str, arrival: int, accepted_at: datetime, **values: Any) -> dict[str, Any]:
    row = {
        "id": f"00000000-0000-4000-8000-{number:012d}",
        "event_id": f"event-{number}",
        "partner_id": "promen",
        "partner_referral_id": f"PRM-{number:04d}",
        "employee_reference": f"PRM-E-{number:04d}",
        "display_name": name,
        "course_type": "klik-en-tik",
        "level": 1,
        "language_group": "",
        "preferred_locations": [],
        "contact_name": "Sanne de Wit",
        "contact_email": EMAIL,
        "status": "waiting",
        "arrival": arrival,
        "accepted_at": accepted_at,
    }
    return row | values


def seat(number: int) -> dict[str, Any]:
    return {"group_id": GROUP, "group_capacity": 5, "seat": number}


# Inserted, and numbered, in an order different from the arrival order, which is the one that counts.
REFERRALS = [
    referral(1, "Kees V.", 30, utc(2026, 3, 9, 9)),
    referral(3, "Fatima E.", 10, utc(2026, 3, 1, 23, 30)),  # 2 March in Gouda
    referral(2, "Dirk S.", 20, utc(2026, 3, 5, 9)),
    referral(4, "Bram G.", 40, utc(2026, 3, 10, 9), language_group="NT2"),
    referral(5, "Ria M.", 15, utc(2026, 3, 4, 9), language_group="NT2"),
    referral(6, "Linda D.", 25, utc(2026, 3, 6, 9), course_type="digisterker", level=2, language_group="NT1"),
    referral(7, "Sandra K.", 5, utc(2026, 2, 1, 9), status="withdrawn"),  # first to arrive, but gone
    referral(11, "Anouk B.", 1, utc(2026, 1, 5, 9), status="placed", **seat(1)),
    referral(13, "Mehmet Y.", 3, utc(2026, 1, 6, 9), status="placed", **seat(3)),
    referral(14, "Petra L.", 4, utc(2026, 1, 7, 9), status="left", **seat(4)),
]
INTAKES = [
    {"id": "2027-Q1-klik-en-tik", "course_type": "klik-en-tik", "groups_total": 2, "groups_used": 1,
     "from_date": date(2027, 1, 4), "opened_at": utc(2026, 11, 1, 9),
     "locations": ["Bibliotheek Gouda, De Chocoladefabriek", "Promen, werklocatie Gouda"]},
    {"id": "2027-Q1-digisterker", "course_type": "digisterker", "groups_total": 3, "groups_used": 0,
     "from_date": date(2027, 1, 11), "opened_at": utc(2026, 11, 2, 9), "locations": []},
]  # fmt: skip
GROUPS = [
    {"id": GROUP, "course_type": "klik-en-tik", "level": 1, "language_group": "", "capacity": 5,
     "status": "scheduled", "intake_id": "2027-Q1-klik-en-tik", "closed_early": False,
     "first_session": date(2027, 1, 5), "last_session": date(2027, 2, 2)},
]  # fmt: skip
HISTORY = [  # Petra's lines, inserted out of order; another partner's line with the same number
    {"partner_id": "promen", "partner_referral_id": "PRM-0014", "at": utc(2027, 1, 20, 9),
     "what": "withdrawn", "detail": "left-during-course"},
    {"partner_id": "promen", "partner_referral_id": "PRM-0014", "at": utc(2026, 1, 7, 9),
     "what": "accepted", "detail": "wachtlijst 2"},
    {"partner_id": "promen", "partner_referral_id": "PRM-0014", "at": utc(2026, 11, 15, 12),
     "what": "placed", "detail": f"groep {GROUP}"},
    {"partner_id": "andere-partner", "partner_referral_id": "PRM-0014", "at": utc(2026, 1, 8, 9),
     "what": "rejected", "detail": "no-consent"},
    {"partner_id": "promen", "partner_referral_id": "PRM-0099", "at": utc(2026, 4, 1, 9),
     "what": "rejected", "detail": "municipality-not-served"},
]  # fmt: skip


@pytest.fixture(scope="module")
async def filled_database(databases: Databases) -> str:
    url = await databases.create("enrolment")
    await upgrade_schema(url, MIGRATIONS)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(insert(intakes), INTAKES)
            await connection.execute(insert(groups), GROUPS)
            for row in REFERRALS:  # one by one: the rows differ in their columns
                await connection.execute(insert(referrals).values(**row))
            for line in HISTORY:
                await connection.execute(insert(history).values(**line))
    finally:
        await engine.dispose()
    return url


async def run(
    url: str, argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("ENROLMENT_FILE", raising=False)  # the packaged file: groups of five
    code = await asyncio.to_thread(main, argv)
    out, err = capsys.readouterr()
    return code, out, err


def section(output: str, heading: str) -> list[list[str]]:
    """The table under the line that starts with `heading`, as cells (columns are 2+ spaces apart)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    rows = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        rows.append(re.split(r" {2,}", line.strip()))
    return rows


@pytest.fixture
def view(filled_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    async def show(*argv: str) -> tuple[int, str, str]:
        return await run(filled_database, list(argv), monkeypatch, capsys)

    return show


async def test_waiting_lists_show_positions_in_arrival_order_per_list(view: Any) -> None:
    code, out, _ = await view("wachtlijsten")

    assert code == 0
    assert section(out, "Wachtlijst klik-en-tik, niveau 1, taalgroep: geen voorkeur (3 wachtend)") == [
        ["plek", "partner", "aanmelding", "naam", "wacht sinds"],
        ["1", "promen", "PRM-0003", "Fatima E.", "02-03-2026"],
        ["2", "promen", "PRM-0002", "Dirk S.", "05-03-2026"],
        ["3", "promen", "PRM-0001", "Kees V.", "09-03-2026"],
    ]
    assert section(out, "Wachtlijst klik-en-tik, niveau 1, taalgroep: NT2 (2 wachtend)")[1:] == [
        ["1", "promen", "PRM-0005", "Ria M.", "04-03-2026"],
        ["2", "promen", "PRM-0004", "Bram G.", "10-03-2026"],
    ]
    assert section(out, "Wachtlijst digisterker, niveau 2, taalgroep: NT1 (1 wachtend)")[1:] == [
        ["1", "promen", "PRM-0006", "Linda D.", "06-03-2026"],
    ]
    assert out.count("Wachtlijst ") == 3
    for not_waiting in ("Sandra K.", "Anouk B.", "Petra L."):
        assert not_waiting not in out


async def test_contact_addresses_and_employee_references_only_with_details(view: Any) -> None:
    for command in (["wachtlijsten"], ["groepen"], ["geschiedenis", "promen", "PRM-0014"]):
        _, plain, _ = await view(*command)
        _, detailed, _ = await view(*command, "--details")
        assert EMAIL not in plain and "PRM-E-" not in plain, command
        assert EMAIL in detailed and "PRM-E-00" in detailed, command
    _, detailed, _ = await view("wachtlijsten", "--details")
    assert [
        "1",
        "promen",
        "PRM-0003",
        "Fatima E.",
        "PRM-E-0003",
        f"Sanne de Wit <{EMAIL}>",
        "02-03-2026",
    ] in (section(detailed, "Wachtlijst klik-en-tik, niveau 1, taalgroep: geen voorkeur"))


async def test_capacity_per_intake_and_open_per_course(view: Any) -> None:
    code, out, _ = await view("ruimte")

    assert code == 0
    assert section(out, "Instromen") == [
        ["id", "cursus", "vanaf", "locaties", "groepen gebruikt"],
        ["2027-Q1-klik-en-tik", "klik-en-tik", "04-01-2027",
         "Bibliotheek Gouda, De Chocoladefabriek; Promen, werklocatie Gouda", "1 / 2"],
        ["2027-Q1-digisterker", "digisterker", "11-01-2027", "-", "0 / 3"],
    ]  # fmt: skip
    assert section(out, "Open ruimte per cursus") == [
        ["cursus", "open groepen", "open plekken", "wachtend"],
        ["klik-en-tik", "1", "5", "5"],
        ["digisterker", "3", "15", "1"],
    ]


async def test_groups_show_their_members_by_seat(view: Any) -> None:
    code, out, _ = await view("groepen")

    assert code == 0
    assert f"Groep {GROUP}: ingepland" in out
    assert "  cursus: klik-en-tik, niveau 1, taalgroep: geen voorkeur" in out
    assert "  plaatsen: 5, vroeg gesloten: nee, instroom: 2027-Q1-klik-en-tik" in out
    assert "  eerste les: 05-01-2027, laatste les: 02-02-2027" in out
    assert section(out, "  eerste les") == [
        ["plaats", "partner", "aanmelding", "naam", "status"],
        ["1", "promen", "PRM-0011", "Anouk B."],
        ["2", "(vrij)"],
        ["3", "promen", "PRM-0013", "Mehmet Y."],
        ["4", "promen", "PRM-0014", "Petra L.", "gestopt tijdens de cursus"],
        ["5", "(vrij)"],
    ]


async def test_history_of_a_referral_oldest_first_in_plain_words(view: Any) -> None:
    code, out, _ = await view("geschiedenis", "promen", "PRM-0014")

    assert code == 0
    assert "  nu: gestopt tijdens de cursus" in out
    assert section(out, "  naam: Petra L.") == [
        ["wanneer", "wat", "toelichting"],
        ["07-01-2026 10:00", "aangenomen", "plek 2 op de wachtlijst"],
        ["15-11-2026 13:00", "in een groep geplaatst", f"groep {GROUP}"],
        ["20-01-2027 10:00", "afgemeld", "gestopt tijdens de cursus"],
    ]
    assert "no-consent" not in out and "toestemming" not in out  # the other partner's referral


async def test_history_of_a_rejected_referral_and_in_english(view: Any) -> None:
    _, out, _ = await view("geschiedenis", "promen", "PRM-0099")
    assert "  nu: afgewezen" in out
    assert ["01-04-2026 11:00", "afgewezen", "woont en werkt buiten het werkgebied"] in section(out, "  nu:")

    code, out, _ = await view("history", "promen", "PRM-0099", "--english")
    assert code == 0
    assert "  now: rejected" in out
    assert ["2026-04-01 11:00", "rejected", "lives and works outside the area"] in section(out, "  now:")


async def test_an_unknown_referral_is_said_so_with_exit_code_1(view: Any) -> None:
    code, out, err = await view("geschiedenis", "promen", "PRM-9999")

    assert code == 1
    assert out == ""
    assert "Aanmelding PRM-9999 van partner promen is niet bekend." in err


async def test_english_aliases(view: Any) -> None:
    code, out, _ = await view("waiting", "--english")
    assert code == 0
    assert "Waiting list klik-en-tik, level 1, language group: no preference (3 waiting)" in out
    code, out, _ = await view("capacity", "--english")
    assert ["klik-en-tik", "1", "5", "5"] in section(out, "Open capacity per course")
    code, out, _ = await view("groups", "--english")
    assert f"Group {GROUP}: scheduled" in out


async def test_an_empty_database_and_one_without_tables(
    databases: Databases, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = await databases.create("enrolment")
    await upgrade_schema(empty, MIGRATIONS)
    assert await run(empty, ["wachtlijsten"], monkeypatch, capsys) == (0, "Er wacht niemand.\n", "")
    assert await run(empty, ["groepen"], monkeypatch, capsys) == (0, "Er zijn nog geen groepen.\n", "")
    code, out, _ = await run(empty, ["ruimte"], monkeypatch, capsys)
    assert "Er is nog geen instroom geopend." in out
    assert ["klik-en-tik", "0", "0", "0"] in section(out, "Open ruimte per cursus")

    bare = await databases.create("enrolment")
    code, _, err = await run(bare, ["groepen"], monkeypatch, capsys)
    assert code == 2
    assert "De tabellen van de inschrijving ontbreken" in err


async def test_runs_as_a_module(filled_database: str) -> None:
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "enrolment.entrypoints.coordinator", "ruimte"],
        env={"DATABASE_URL": filled_database, "PATH": ""},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "2027-Q1-klik-en-tik" in result.stdout


def test_the_console_script_is_main() -> None:
    scripts = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["scripts"]
    module, function = scripts["taalhuis-enrolment"].split(":")
    assert (module, function) == (coordinator.__name__, main.__name__)


def test_every_code_enrolment_writes_has_plain_words() -> None:
    rejections = {value.code for value in vars(model).values() if isinstance(value, model.Rejection)}
    rejections.add(model.retake_too_soon(date(2027, 1, 1)).code)
    assert set(coordinator.REJECTIONS) == rejections
    assert set(coordinator.WITHDRAWALS) == set(WITHDRAWAL_OUTCOMES)


async def test_erasure_requests_show_until_every_service_has_answered(
    databases: Databases, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = await databases.create("enrolment")
    await upgrade_schema(url, MIGRATIONS)
    engine = create_async_engine(url)
    counts = {"referrals": 1}
    rows: list[dict[str, Any]] = [
        {"request_id": "avg-open", "partner_id": "promen", "asked_by": "coordinator",
         "requested_by": "FG zaak 17", "requested_at": utc(2026, 12, 1, 9), "outcome": "erasing",
         "answers": {"enrolment": counts, "scheduling": counts}},
        {"request_id": "avg-done", "partner_id": "promen", "asked_by": "coordinator", "requested_by": None,
         "requested_at": utc(2026, 11, 1, 9), "outcome": "erasing", "done_at": utc(2026, 11, 1, 10),
         "answers": {"enrolment": counts, "scheduling": counts, "notifications": counts}},
        {"request_id": "avg-refused", "partner_id": "gouwe", "asked_by": "promen", "requested_by": None,
         "requested_at": utc(2026, 12, 2, 9), "outcome": "partner-mismatch", "answers": {}},
    ]  # fmt: skip
    try:
        async with engine.begin() as connection:
            await connection.execute(insert(erasure_requests), rows)
    finally:
        await engine.dispose()

    code, out, _ = await run(url, ["wissen"], monkeypatch, capsys)
    assert code == 0
    lines = [re.split(r" {2,}", line.strip()) for line in out.splitlines()]
    assert lines[0] == ["verzoek", "partner", "gevraagd", "door", "stand"]
    assert [line[0] for line in lines[2:]] == ["avg-open", "avg-refused"], "a request all answered is done"
    assert lines[2][3:] == ["FG zaak 17", "gewist bij: aanmelding, planning; wacht op: e-mail"]
    assert lines[3][3:] == ["promen", "geweigerd: een partner mag alleen eigen medewerkers laten wissen"]

    code, out, _ = await run(url, ["wissen", "--alle"], monkeypatch, capsys)
    assert code == 0 and "avg-done" in out and "klaar" in out
