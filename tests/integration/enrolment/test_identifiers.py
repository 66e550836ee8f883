"""Variants of a partner's ids (case, zero-width characters) do not slip past enrolment's duplicate checks."""

from __future__ import annotations

import pytest
from aio_pika.abc import AbstractRobustConnection
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support.broker import Namespace, open_tap, publish
from tests.support.referrals import referral_event

from .conftest import RunningEnrolment

ANSWERS = ["ReferralAccepted", "ReferralRejected"]


async def test_a_referral_id_in_other_case_or_with_a_zero_width_space_is_a_duplicate(
    running_enrolment: RunningEnrolment, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ANSWERS)
    other_case = referral_event(2)
    other_case["data"]["partner_referral_id"] = "prm-0001"
    # Published as raw JSON: the zero-width space reaches enrolment as the partner sent it.
    zero_width = referral_event(3)
    zero_width["data"]["partner_referral_id"] = "PRM-\u200b0001"
    async with running_enrolment():
        await publish(rabbit, namespace, referral_event(1))
        [accepted] = await tap.wait_for("ReferralAccepted", 1)
        await publish(rabbit, namespace, other_case)
        await publish(rabbit, namespace, zero_width)
        rejected = await tap.wait_for("ReferralRejected", 2)
    assert accepted["data"]["partner_referral_id"] == "PRM-0001"
    # Each answer echoes the id as the partner spelled it (without the invisible character).
    assert sorted((e["data"]["partner_referral_id"], e["data"]["reason_code"]) for e in rejected) == [
        ("PRM-0001", "duplicate-referral"),
        ("prm-0001", "duplicate-referral"),
    ]


async def test_an_employee_reference_in_other_case_is_the_same_person(
    running_enrolment: RunningEnrolment, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ANSWERS)
    same_person = referral_event(2)
    same_person["data"]["participant"]["employee_reference"] = "emp-0001"  # first one is EMP-0001
    async with running_enrolment():
        await publish(rabbit, namespace, referral_event(1))
        await tap.wait_for("ReferralAccepted", 1)
        await publish(rabbit, namespace, same_person)
        [rejected] = await tap.wait_for("ReferralRejected", 1)
    assert (rejected["data"]["partner_referral_id"], rejected["data"]["reason_code"]) == (
        "PRM-0002",
        "already-enrolled",
    )


async def test_the_database_itself_refuses_a_referral_id_or_an_active_person_in_other_case(
    running_enrolment: RunningEnrolment,
) -> None:
    # The indexes hold even when two enrolment processes check at the same moment.
    async with running_enrolment() as settings:
        pass
    engine = create_async_engine(settings.database_url)
    columns = (
        "id, event_id, partner_id, partner_referral_id, employee_reference, display_name, course_type, "
        "level, language_group, preferred_locations, contact_name, contact_email, status"
    )

    async def insert(number: int, referral_id: str, employee: str) -> None:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    f"INSERT INTO referrals ({columns}) VALUES (:id, :id, 'promen', :referral, :employee, "
                    "'Ahmed B.', 'klik-en-tik', 1, 'NT1', '[]', 'Sanne', 'sanne@promen.example', 'waiting')"
                ),
                {"id": f"r-{number}", "referral": referral_id, "employee": employee},
            )

    try:
        await insert(1, "PRM-0001", "EMP-0001")
        with pytest.raises(IntegrityError, match="one_referral_per_partner_id_in_any_case"):
            await insert(2, "prm-0001", "EMP-0002")
        with pytest.raises(IntegrityError, match="one_active_enrolment_per_course_in_any_case"):
            await insert(3, "PRM-0003", "emp-0001")
        await insert(4, "PRM-0004", "EMP-0004")
    finally:
        await engine.dispose()
