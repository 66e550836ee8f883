"""The publishing CLI checks every item against the contract before sending anything."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import yaml

from taalhuis_shared import cli
from tests.support.referrals import referral_data


def test_bare_data_items_are_wrapped_in_cloudevents(tmp_path: Path) -> None:
    path = tmp_path / "referrals.yaml"
    path.write_text(yaml.safe_dump([referral_data(1), referral_data(2)]))
    events = cli.to_events(cli.load(path), "ReferralSubmitted", "urn:partner:promen")
    assert [e["type"] for e in events] == ["ReferralSubmitted", "ReferralSubmitted"]
    assert len({e["id"] for e in events}) == 2
    assert events[0]["source"] == "urn:partner:promen"
    assert events[1]["data"]["partner_referral_id"] == "PRM-0002"


def test_an_invalid_item_stops_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "referrals.yaml"
    broken = referral_data(2)
    del broken["course"]
    path.write_text(yaml.safe_dump([referral_data(1), broken]))
    with pytest.raises(ValueError, match="course"):
        cli.to_events(cli.load(path), "ReferralSubmitted", "x")


def test_the_cli_answers_in_dutch_and_exits_2_on_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "referrals.yaml"
    path.write_text("- just a string\n")
    assert cli.main(["publish", str(path)]) == 2
    assert "object" in capsys.readouterr().err


def test_the_coordinators_commands_become_valid_events() -> None:
    intake = argparse.Namespace(
        command="intake", course="klik-en-tik", groups=2, from_date="2027-01-04",
        location=["Bibliotheek Gouda", "Wijkgebouw Korte Akkeren"], intake_id=None,
    )  # fmt: skip
    [event] = cli.to_events([cli.coordinator_item(intake)], "IntakeOpened", "urn:taalhuis:coordinator")
    assert event["type"] == "IntakeOpened"
    assert event["data"]["intake_id"] == "klik-en-tik-2027-01-04"
    assert event["data"]["locations"] == ["Bibliotheek Gouda", "Wijkgebouw Korte Akkeren"]

    early = argparse.Namespace(command="close-early", course="digisterker", level=2, language="NT2")
    [event] = cli.to_events(
        [cli.coordinator_item(early)], "EarlyClosureRequested", "urn:taalhuis:coordinator"
    )
    assert event["data"] == {"course": {"type": "digisterker", "level": 2}, "language_group": "NT2"}


def test_an_impossible_intake_is_refused_before_sending(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["intake", "klik-en-tik", "--groups", "0", "--from", "2027-01-04"])
    assert code == 2
    assert "groups" in capsys.readouterr().err


def test_a_measure_is_announced_for_some_locations_and_open_ended() -> None:
    args = cli.parser().parse_args(
        ["measures", "announce", "--id", "corona-2026-12", "--from", "2026-12-15",
         "--location", "chocoladefabriek", "--location", "promen-gouda", "--reason", "Coronamaatregelen"]
    )  # fmt: skip
    [event] = cli.coordinator_events(args)
    assert event["type"] == "MeasuresAnnounced"
    assert event["source"] == "urn:taalhuis:coordinator"
    assert event["data"] == {
        "measure_id": "corona-2026-12",
        "from_date": "2026-12-15",
        "until_date": None,
        "locations": ["chocoladefabriek", "promen-gouda"],
        "reason": "Coronamaatregelen",
    }


def test_lifting_a_measure_names_it_and_the_first_day_again() -> None:
    args = cli.parser().parse_args(["measures", "lift", "--id", "corona-2026-12", "--from", "2027-02-01"])
    [event] = cli.coordinator_events(args)
    assert event["type"] == "MeasuresLifted"
    assert event["data"] == {"measure_id": "corona-2026-12", "from_date": "2027-02-01"}


def test_the_same_cancellation_run_twice_is_the_same_event_and_another_reason_is_not() -> None:
    def cancel(reason: str) -> dict[str, object]:
        args = cli.parser().parse_args(
            ["session", "cancel", "6f1c-0001", "--reason-code", "teacher-ill", "--reason", reason]
        )
        [event] = cli.coordinator_events(args)
        return event

    first, again, other = cancel("De docent is ziek"), cancel("De docent is ziek"), cancel("Weer ziek")
    assert first["type"] == "SessionCancellationRequested"
    assert first["data"] == {
        "session_id": "6f1c-0001",
        "reason_code": "teacher-ill",
        "reason": "De docent is ziek",
    }
    # The service's inbox knows an event by its id: the repeat changes nothing there.
    assert first["id"] == again["id"]
    assert other["id"] != first["id"]


def test_a_measure_with_an_impossible_date_is_refused_before_sending(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = cli.main(["measures", "announce", "--id", "m", "--from", "15-12-2026", "--reason", "x"])
    assert code == 2
    assert "from_date" in capsys.readouterr().err


def test_every_coordinator_command_has_dutch_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["session", "cancel", "--help"])
    assert "inhaalbijeenkomst" in capsys.readouterr().out
