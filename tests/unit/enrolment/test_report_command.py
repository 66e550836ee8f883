"""`taalhuis-report` without a database: refused invocations, columns, and the files it writes."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from enrolment.adapters.report import Line, Query, Report
from enrolment.domain.reporting import Measure
from enrolment.entrypoints import report as command
from enrolment.entrypoints.coordinator import speaker

DUTCH = speaker(False)


@pytest.mark.parametrize(
    ("argv", "why"),
    [
        (["--tot", "2027-06-30"], "Geef --van op"),
        (["--van", "2027-01-01"], "Geef --tot op"),
        (["--van", "2027-02-30", "--tot", "2027-06-30"], "--van 2027-02-30 is geen datum"),
        (["--van", "morgen", "--tot", "2027-06-30"], "is geen datum"),
        (
            ["--van", "2027-07-01", "--tot", "2027-06-30"],
            "De periode klopt niet: --van (01-07-2027) ligt na --tot",
        ),
    ],
)
def test_a_refused_invocation_says_why_in_dutch_and_exits_non_zero(
    argv: list[str], why: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://nobody@127.0.0.1:1/none")  # never reached
    assert command.main(argv) == 2
    assert why in capsys.readouterr().err


def test_english_on_request(capsys: pytest.CaptureFixture[str]) -> None:
    assert command.main(["--english", "--van", "2027-07-01", "--tot", "2027-06-30"]) == 2
    assert "The period is wrong" in capsys.readouterr().err


def test_dutch_dates_are_understood_too() -> None:
    args = command.parser().parse_args(["--van", "1-2-2027", "--tot", "28-02-2027", "--gemeente", "Gouda"])
    assert command.query(args, DUTCH) == Query(date(2027, 2, 1), date(2027, 2, 28), "Gouda", None, None)


def sample() -> Report:
    gouda = Line("Gouda", "klik-en-tik", 1, waiting_at_end=2, people=3)
    gouda.sums = {
        (Measure.RECEIVED.value, ""): 5,
        (Measure.REJECTED.value, "no-consent"): 1,
        (Measure.REJECTED.value, "some-new-code"): 1,
        (Measure.SESSION_CANCELLED.value, "measures"): 2,
    }
    total = Line("", "", 0, sums=dict(gouda.sums), waiting_at_end=2, people=3)
    return Report(Query(date(2027, 1, 1), date(2027, 6, 30)), [gouda], total)


def test_reason_columns_appear_only_for_reasons_that_occur_new_codes_as_themselves() -> None:
    titles = [c.title for c in command.columns(sample(), DUTCH)]
    assert "Afgewezen: geen toestemming om gegevens te delen" in titles
    assert "Afgewezen: some-new-code" in titles
    assert "Afgezegd: maatregelen" in titles
    assert not any("docent ziek" in t for t in titles)
    assert "Wachtend op 30-06-2027" in titles


def test_csv_and_xlsx_hold_the_same_lines_with_dutch_column_names(tmp_path: Path) -> None:
    report = sample()
    command.write_csv(tmp_path / "c.csv", report, DUTCH)
    command.write_xlsx(tmp_path / "c.xlsx", report, DUTCH)
    with (tmp_path / "c.csv").open(encoding="utf-8-sig", newline="") as file:
        written = list(csv.DictReader(file, delimiter=";"))
    assert [row["Gemeente"] for row in written] == ["Gouda", "Totaal"]
    assert written[0]["Van"] == "2027-01-01" and written[0]["Tot en met"] == "2027-06-30"
    assert written[0]["Verwijzingen ontvangen"] == "5"
    assert written[1]["Verschillende deelnemers"] == "3"
    book = load_workbook(tmp_path / "c.xlsx")
    header, gouda, total = list(book["Cijfers"].iter_rows(values_only=True))
    assert header[:4] == ("Gemeente", "Cursus", "Niveau", "Verwijzingen ontvangen")
    assert gouda[:4] == ("Gouda", "klik-en-tik", 1, 5)
    assert total[0] == "Totaal"
    about = [row[0] for row in book["Toelichting"].iter_rows(values_only=True)]
    assert "Periode" in about


def test_the_screen_shows_one_line_per_column() -> None:
    shown = command.show(sample(), DUTCH)
    assert any(
        line.strip().startswith("Verwijzingen ontvangen") and line.rstrip().endswith("5") for line in shown
    )
    empty = Report(Query(date(2027, 1, 1), date(2027, 1, 2)), [], Line("", "", 0))
    assert command.show(empty, DUTCH)[-1] == "Er is niets geteld in deze periode."
