"""Enrolment's handlers against the fake unit of work: what partners hear, the history, batches."""

from __future__ import annotations

from datetime import date

from enrolment.adapters.config import load_policy
from enrolment.domain import commands
from enrolment.domain.course_type import Group
from enrolment.domain.status import GroupStatus, ReferralStatus
from enrolment.entrypoints import translate
from enrolment.service_layer import handlers
from taalhuis_shared.events import ReferralSubmittedV1, WithdrawalProcessed
from tests.support.referrals import ENROLMENT_FILE, referral_event

from .fakes import FakeRepository, FakeUnitOfWork, submitted

POLICY = load_policy(ENROLMENT_FILE)
TODAY = date(2027, 1, 4)
INTAKE = commands.OpenIntake("2027-Q1", "klik-en-tik", 1, date(2027, 1, 11), ("Bibliotheek Gouda",))


async def refer(uow: FakeUnitOfWork, *numbers: int, publisher: str = "guest") -> None:
    for number in numbers:
        await handlers.submit_referral(submitted(number, publisher), uow, POLICY, TODAY)
    uow.commit()


async def test_an_accepted_referral_is_answered_with_its_place_and_noted() -> None:
    uow = FakeUnitOfWork()
    await refer(uow, 1, 2)

    answers = uow.of_type("ReferralAccepted")
    assert [(a["partner_referral_id"], a["waiting_position"]) for a in answers] == [
        ("PRM-0001", 1),
        ("PRM-0002", 2),
    ]
    assert (
        answers[0]["course"] == {"type": "klik-en-tik", "level": 1} and answers[0]["language_group"] == "NT1"
    )
    assert answers[0]["contact"] == {"name": "Sanne de Wit", "email": "sanne.dewit@promen.example"}
    assert uow.repository.history == [
        ("promen", "PRM-0001", "accepted", "wachtlijst 1"),
        ("promen", "PRM-0002", "accepted", "wachtlijst 2"),
    ]
    assert {r.status for r in uow.repository.referrals.values()} == {ReferralStatus.WAITING}


async def test_a_rejection_is_answered_in_plain_dutch_and_a_duplicate_is_not_noted_again() -> None:
    uow = FakeUnitOfWork()
    await handlers.submit_referral(submitted(1, consent_to_share_data=False), uow, POLICY, TODAY)
    uow.commit()
    await handlers.submit_referral(submitted(1), uow, POLICY, TODAY)
    uow.commit()

    rejected = uow.of_type("ReferralRejected")
    assert [r["reason_code"] for r in rejected] == ["no-consent", "duplicate-referral"]
    assert rejected[0]["reason"].startswith("De deelnemer heeft geen toestemming")
    assert rejected[1]["reason"] == "Deze aanmelding is al eerder ontvangen."
    assert uow.repository.history == [("promen", "PRM-0001", "rejected", "no-consent")]


async def test_a_retake_after_a_completed_course_is_too_soon_within_twelve_months() -> None:
    uow = FakeUnitOfWork()
    uow.repository.completions[("promen", "emp-0001", "klik-en-tik", 1)] = date(2026, 6, 30)
    await refer(uow, 1)
    (rejected,) = uow.of_type("ReferralRejected")
    assert rejected["reason_code"] == "retake-too-soon" and rejected["retake_possible_from"] == "2027-06-30"


async def test_an_intake_forms_a_group_of_the_five_waiting_longest_and_tells_everyone() -> None:
    uow = FakeUnitOfWork()
    await refer(uow, *range(1, 7))
    await handlers.open_intake(INTAKE, uow, POLICY)
    uow.commit()

    (group,) = uow.of_type("GroupFilled")
    assert [p["partner_referral_id"] for p in group["participants"]] == [f"PRM-{n:04d}" for n in range(1, 6)]
    assert group["contacts"] == [
        {"partner_id": "promen", "contact": {"name": "Sanne de Wit", "email": "sanne.dewit@promen.example"}}
    ]
    assert group["earliest_start"] == "2027-01-11" and group["locations"] == ["Bibliotheek Gouda"]
    assert len(uow.of_type("ParticipantPlaced")) == 5
    assert (
        next(line for line in uow.repository.history if line[2] == "placed")[3]
        == f"groep {group['group_id']}"
    )
    assert uow.repository.intakes["2027-Q1"].groups_used == 1

    await handlers.open_intake(INTAKE, uow, POLICY)  # the same intake again
    uow.commit()
    assert len(uow.of_type("GroupFilled")) == 1, "an intake opened before changes nothing"


async def test_an_early_closure_refused_says_why() -> None:
    uow = FakeUnitOfWork()
    await refer(uow, 1, 2, 3)
    await handlers.close_early(commands.CloseEarly("klik-en-tik", 1, "NT1"), uow, POLICY)
    (refused,) = uow.of_type("EarlyClosureRefused")
    assert refused["reason_code"] == "no-capacity"
    assert refused["course"] == {"type": "klik-en-tik", "level": 1} and refused["language_group"] == "NT1"


async def test_withdrawals_answer_each_outcome() -> None:
    uow = FakeUnitOfWork()
    await refer(uow, *range(1, 8))
    await handlers.open_intake(INTAKE, uow, POLICY)
    uow.commit()

    async def withdraw(number: int, publisher: str = "guest", partner_id: str = "promen") -> str:
        command = commands.WithdrawReferral(f"w-{number}", publisher, partner_id, f"PRM-{number:04d}")
        await handlers.withdraw(command, uow, POLICY, TODAY)
        uow.commit()
        outcome: str = uow.of_type("WithdrawalProcessed")[-1]["outcome"]
        return outcome

    assert await withdraw(7) == "removed-from-waiting-list"
    assert await withdraw(2) == "removed-from-group"
    (changed,) = uow.of_type("GroupChanged")
    assert [m["partner_referral_id"] for m in changed["added"]] == ["PRM-0006"]
    sixth = next(r for r in uow.repository.referrals.values() if r.partner_referral_id == "PRM-0006")
    assert (sixth.status, sixth.seat) == (ReferralStatus.PLACED, 2)
    assert await withdraw(2) == "already-ended"
    assert await withdraw(99) == "not-found"
    assert await withdraw(1, publisher="taalhuis-test-partner") == "partner-mismatch"
    assert uow.of_type("WithdrawalProcessed")[-1]["partner_id"] == "werkbedrijf"
    group = next(iter(uow.repository.groups.values()))
    group.first_session = TODAY
    assert await withdraw(1) == "left-during-course"
    assert len(uow.of_type("GroupChanged")) == 2
    noted = [(line[1], line[3]) for line in uow.repository.history if line[2] == "withdrawn"]
    assert noted == [
        ("PRM-0007", "removed-from-waiting-list"),
        ("PRM-0002", "removed-from-group"),
        ("PRM-0001", "left-during-course"),
    ]
    texts = {o["outcome"]: o["reason"] for o in uow.of_type("WithdrawalProcessed")}
    assert set(texts) == set(handlers.WITHDRAWAL_OUTCOMES)
    assert WithdrawalProcessed.model_validate(uow.of_type("WithdrawalProcessed")[0])


async def test_course_dates_and_completion_are_kept() -> None:
    uow = FakeUnitOfWork()
    await refer(uow, *range(1, 6))
    await handlers.open_intake(INTAKE, uow, POLICY)
    uow.commit()
    group: Group = next(iter(uow.repository.groups.values()))

    await handlers.record_schedule(
        commands.RecordSchedule(group.id, date(2027, 1, 11), date(2027, 2, 8)), uow
    )
    assert (group.status, group.first_session, group.last_session) == (
        GroupStatus.SCHEDULED, date(2027, 1, 11), date(2027, 2, 8),
    )  # fmt: skip
    await handlers.record_new_dates(commands.RecordNewDates(group.id, ((1, date(2027, 1, 18)),)), uow)
    assert group.first_session == date(2027, 1, 18)
    await handlers.record_completion(commands.RecordCompletion(group.id, date(2027, 2, 15)), uow)
    assert group.status is GroupStatus.COMPLETED
    assert {r.status for r in uow.repository.referrals.values()} == {ReferralStatus.COMPLETED}
    assert uow.repository.history[-1][2:] == ("completed", "2027-02-15")


async def test_a_batch_loads_the_course_type_once_and_finds_duplicates_and_the_same_person_within_it() -> (
    None
):
    repository = FakeRepository()
    uow = FakeUnitOfWork(repository)
    person = {"employee_reference": "EMP-0042", "given_name": "Jan", "family_name": "Jansen"}
    batch = [
        (ReferralSubmittedV1.model_validate(referral_event(1)), "guest"),
        (ReferralSubmittedV1.model_validate(referral_event(2, partner_referral_id="prm-0001")), "guest"),
        (ReferralSubmittedV1.model_validate(referral_event(3, participant=person)), "guest"),
        (ReferralSubmittedV1.model_validate(referral_event(4, participant=person)), "guest"),
    ]
    assert {translate.batch_key(event) for event, _ in batch} == {"klik-en-tik"}

    await handlers.prepare(translate.referrals_in(batch), uow, POLICY)
    for event, publisher in batch:
        assert isinstance(event, ReferralSubmittedV1)
        await handlers.submit_referral(translate.submit_referral(event, publisher), uow, POLICY, TODAY)
    uow.commit()

    assert repository.loaded == ["klik-en-tik"] and repository.look_ups == 1
    assert [r["reason_code"] for r in uow.of_type("ReferralRejected")] == [
        "duplicate-referral",
        "already-enrolled",
    ]
    assert [a["waiting_position"] for a in uow.of_type("ReferralAccepted")] == [1, 2]


async def test_erasure_withdraws_the_person_first_and_then_orders_the_erasure() -> None:
    uow = FakeUnitOfWork()
    await refer(uow, 1, 2)
    erase = commands.ErasePerson("avg-1", "guest", "promen", "EMP-0001", "FG zaak 1")
    await handlers.erase_person(erase, uow, POLICY, TODAY)
    uow.commit()

    assert uow.types()[-2:] == ["WithdrawalProcessed", "ErasureOrdered"]
    (person,) = uow.repository.ordered
    assert person.partner_referral_ids == frozenset({"PRM-0001"})
    await handlers.erase_person(erase, uow, POLICY, TODAY)
    assert uow.types().count("ErasureOrdered") == 1, "a request taken before does nothing"
