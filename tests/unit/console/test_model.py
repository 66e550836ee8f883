"""The console's rules without I/O: roles, the login limit, how waiting is said, a measure's preview."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from console.domain.model import (
    Role,
    User,
    correlation,
    login_refused,
    per_course,
    touched_by_measure,
    waited,
)


def test_a_partner_login_acts_only_for_its_own_partner() -> None:
    promen = User("sanne", Role.PARTNER, "promen")
    assert promen.may_act_for("promen")
    assert not promen.may_act_for("gouwe")
    assert not User("coordinator", Role.COORDINATOR).may_act_for("promen")  # referrals are the partner's


def test_only_a_partner_user_has_a_partner_id() -> None:
    with pytest.raises(ValueError, match="partner"):
        User("sanne", Role.PARTNER)
    with pytest.raises(ValueError, match="partner"):
        User("docent", Role.VIEWER, "promen")


def test_the_login_is_refused_from_the_limit_on() -> None:
    assert not login_refused(4, 5)
    assert login_refused(5, 5)


def test_waiting_is_said_in_days_then_weeks() -> None:
    now = datetime(2027, 3, 1, tzinfo=UTC)
    assert waited(now, now) == "sinds vandaag"
    assert waited(now - timedelta(days=1), now) == "1 dag"
    assert waited(now - timedelta(days=9), now) == "9 dagen"
    assert waited(now - timedelta(days=30), now) == "4 weken"


def test_answers_are_matched_in_any_case() -> None:
    assert correlation("promen", "PRM-1") == correlation("promen", " prm-1")


def _session(course_id: str, day: int, location: str = "Gouda", status: str = "planned") -> SimpleNamespace:
    return SimpleNamespace(
        course_id=course_id, course_type="klik-en-tik", level=1, language_group="NT1", location=location,
        starts_at=datetime(2027, 1, day, 13, 30, tzinfo=UTC), status=status,
    )  # fmt: skip


def test_a_measure_touches_planned_sessions_at_its_places_counted_per_course() -> None:
    sessions = [
        _session("b", 12), _session("a", 4), _session("a", 11), _session("a", 18, status="cancelled"),
        _session("c", 5, location="Waddinxveen"),
    ]  # fmt: skip
    touched = touched_by_measure(sessions, ["Gouda"])
    assert len(touched) == 3  # not the cancelled one, not the other place
    counts = per_course(touched)
    assert [(c.sessions, c.first.day, c.last.day) for c in counts] == [(2, 4, 11), (1, 12, 12)]
    assert len(touched_by_measure(sessions, [])) == 4  # no places: every place
