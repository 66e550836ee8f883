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
