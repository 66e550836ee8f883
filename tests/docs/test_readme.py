"""The README's configuration table names every setting the services read, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from console.settings import Settings as ConsoleSettings
from enrolment.settings import Settings as EnrolmentSettings
from notifications.settings import Settings as NotificationsSettings
from scheduling.settings import Settings as SchedulingSettings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_configuration_table_matches_the_settings() -> None:
    settings = {
        name.upper()
        for cls in (EnrolmentSettings, SchedulingSettings, NotificationsSettings, ConsoleSettings)
        for name in cls.model_fields
    }
    rows = re.findall(r"^\| (`[A-Z_]+`(?:, `[A-Z_]+`)*) \|", README.read_text(encoding="utf-8"), re.M)
    documented = {name for row in rows for name in re.findall(r"`([A-Z_]+)`", row)}
    assert settings - documented == set(), "settings missing from the README"
    assert documented - settings == set(), "README rows for settings that do not exist"
