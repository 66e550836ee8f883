"""The console's rules without I/O: roles, the login limit, and how waiting is said."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from console.domain.model import Role, User, correlation, login_refused, waited


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
