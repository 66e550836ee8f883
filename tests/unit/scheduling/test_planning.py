"""Planning a course on the weekly slots, without I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from scheduling.domain import model
from taalhuis_shared.events import Location, Teacher

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
LIBRARY = Location(name="Bibliotheek Gouda, De Chocoladefabriek", address="Klein Amerika 20, 2803 PK Gouda")
TEACHER = Teacher(name="Marloes Verbeek", email="docent.klikentik@bibliotheekgouda.example")
WEDNESDAY = date(2026, 3, 4)


def slot(slot_id: str, weekday: int, start: str = "13:30", course_type: str = "klik-en-tik") -> model.Slot:
    return model.Slot(slot_id, course_type, weekday, time.fromisoformat(start), 120, LIBRARY, TEACHER)


TUESDAY_MORNING = slot("tue", 2, "09:30")
THURSDAY_AFTERNOON = slot("thu", 4, "13:30")
DIGISTERKER_MONDAY = slot("dig-mon", 1, "13:30", course_type="digisterker")
SLOTS = (TUESDAY_MORNING, THURSDAY_AFTERNOON, DIGISTERKER_MONDAY)


def policy(*slots: model.Slot, horizon_weeks: int = 12) -> model.Policy:
    return model.Policy(slots=slots or SLOTS, zone=AMSTERDAM, horizon_weeks=horizon_weeks)


def plan(
    course_type: str = "klik-en-tik",
    taken: dict[str, set[date]] | None = None,
    earliest: date = WEDNESDAY,
    rules: model.Policy | None = None,
) -> model.CoursePlan:
    outcome = model.plan_course(course_type, taken or {}, earliest, rules or policy())
    assert isinstance(outcome, model.CoursePlan), outcome
    return outcome


def weekly(first: date, weeks: int = 5) -> set[date]:
    return {first + timedelta(weeks=n) for n in range(weeks)}


def test_the_slot_that_can_start_first_is_chosen() -> None:
    # From a Wednesday, Thursday comes before next Tuesday.
    chosen = plan()
    assert chosen.slot.id == "thu"
    assert chosen.sessions[0].date == date(2026, 3, 5)


def test_only_slots_of_the_group_s_course_type_are_used() -> None:
    assert plan("digisterker").slot.id == "dig-mon"
    assert plan("klik-en-tik", earliest=date(2026, 3, 2)).slot.id == "tue"


def test_a_course_starts_after_the_taken_dates_of_its_slot() -> None:
    # Thursday is busy in the third week: five free weeks in a row begin only after it.
    rules = policy(THURSDAY_AFTERNOON)
    chosen = plan(taken={"thu": {date(2026, 3, 19)}}, rules=rules)
    assert [s.date for s in chosen.sessions] == sorted(weekly(date(2026, 3, 26)))


def test_taken_dates_of_another_slot_do_not_matter() -> None:
    chosen = plan(taken={"tue": weekly(date(2026, 3, 10), 12)})
    assert chosen.slot.id == "thu"
    assert chosen.sessions[0].date == date(2026, 3, 5)


def test_a_busy_slot_gives_way_to_one_that_is_free_sooner() -> None:
    chosen = plan(taken={"thu": weekly(date(2026, 3, 5), 2)})
    assert chosen.slot.id == "tue"
    assert chosen.sessions[0].date == date(2026, 3, 10)


def test_five_weekly_sessions_on_the_slot_s_weekday_and_time_in_amsterdam() -> None:
    chosen = plan(rules=policy(TUESDAY_MORNING))
    assert [s.number for s in chosen.sessions] == [1, 2, 3, 4, 5]
    for session in chosen.sessions:
        assert session.start.tzinfo == AMSTERDAM
        assert session.start.isoweekday() == 2
        assert session.start.time() == time(9, 30)
        assert session.end - session.start == timedelta(minutes=120)
        assert session.start.date() == session.date
    assert [s.date for s in chosen.sessions] == sorted(weekly(chosen.sessions[0].date))


def test_sessions_keep_their_local_time_across_the_change_to_summer_time() -> None:
    # Summer time starts on Sunday 29 March 2026: the UTC time moves, the local time does not.
    chosen = plan(earliest=date(2026, 3, 16), rules=policy(THURSDAY_AFTERNOON))
    assert [s.start.time() for s in chosen.sessions] == [time(13, 30)] * 5
    assert [s.start.astimezone(UTC).hour for s in chosen.sessions] == [12, 12, 11, 11, 11]
    assert all(s.end - s.start == timedelta(hours=2) for s in chosen.sessions)


def test_sessions_keep_their_local_time_across_the_change_to_winter_time() -> None:
    # Winter time starts on Sunday 25 October 2026.
    chosen = plan(earliest=date(2026, 10, 12), rules=policy(TUESDAY_MORNING))
    assert [s.start.time() for s in chosen.sessions] == [time(9, 30)] * 5
    assert [s.start.astimezone(UTC).hour for s in chosen.sessions] == [7, 7, 8, 8, 8]


def test_no_free_weeks_within_the_horizon_gives_the_reason() -> None:
    rules = policy(THURSDAY_AFTERNOON, horizon_weeks=4)
    # Free from the fourth week on, but a course must start within four weeks.
    outcome = model.plan_course("klik-en-tik", {"thu": {date(2026, 3, 26)}}, WEDNESDAY, rules)
    assert outcome == model.no_free_slot(4)
    assert isinstance(outcome, model.Unschedulable)
    assert outcome.code == "no-free-slot"
    assert "4 weken" in outcome.reason
    assert "4 weeks" in outcome.reason_en


def test_the_last_week_of_the_horizon_may_still_start_a_course() -> None:
    rules = policy(THURSDAY_AFTERNOON, horizon_weeks=4)
    chosen = plan(taken={"thu": {date(2026, 3, 19)}}, rules=rules)
    assert chosen.sessions[0].date == date(2026, 3, 26)


def test_a_course_type_without_slots_cannot_be_planned() -> None:
    assert model.plan_course("excel", {}, WEDNESDAY, policy()) == model.no_free_slot(12)


def test_on_an_equal_start_the_slot_listed_first_wins() -> None:
    first, second = slot("first", 4), slot("second", 4)
    assert plan(rules=policy(first, second)).slot.id == "first"
    assert plan(rules=policy(second, first)).slot.id == "second"


def test_an_earlier_time_on_the_same_day_wins_over_the_order_of_the_list() -> None:
    afternoon, morning = slot("afternoon", 4, "13:30"), slot("morning", 4, "09:30")
    assert plan(rules=policy(afternoon, morning)).slot.id == "morning"


def test_the_first_day_is_counted_in_local_time_after_the_lead_days() -> None:
    # 23:30 UTC on Sunday 15 March is already Monday 16 March in Amsterdam.
    rules = model.Policy(slots=SLOTS, zone=AMSTERDAM, lead_days=7)
    assert rules.earliest_start(datetime(2026, 3, 15, 23, 30, tzinfo=UTC)) == date(2026, 3, 23)


# Taken dates: some of the twenty weeks from the earliest day, on any of the slots.
taken_weeks = st.dictionaries(
    st.sampled_from(["tue", "thu", "dig-mon"]), st.sets(st.integers(0, 19), max_size=20)
)


def as_dates(weeks: dict[str, set[int]], earliest: date) -> dict[str, set[date]]:
    # Put each taken week on the slot's own weekday, where it can get in the way.
    weekday = {s.id: s.weekday for s in SLOTS}
    monday = earliest - timedelta(days=earliest.isoweekday() - 1)
    return {
        slot_id: {monday + timedelta(weeks=w, days=weekday[slot_id] - 1) for w in taken}
        for slot_id, taken in weeks.items()
    }


def free_starts(
    candidate: model.Slot, taken: dict[str, set[date]], earliest: date, weeks: int
) -> list[datetime]:
    """Every start within the horizon from which the slot is free five weeks in a row."""
    days = (earliest + timedelta(days=n) for n in range(7 * weeks))
    return [
        datetime.combine(day, candidate.start, tzinfo=AMSTERDAM)
        for day in days
        if day.isoweekday() == candidate.weekday and not weekly(day) & taken.get(candidate.id, set())
    ]


@given(weeks=taken_weeks, earliest=st.dates(date(2025, 1, 1), date(2030, 12, 31)))
def test_a_plan_is_the_first_free_start_within_the_horizon_and_the_same_every_time(
    weeks: dict[str, set[int]], earliest: date
) -> None:
    taken = as_dates(weeks, earliest)
    rules = policy()
    outcome = model.plan_course("klik-en-tik", taken, earliest, rules)
    assert model.plan_course("klik-en-tik", taken, earliest, rules) == outcome
    possible = [
        start
        for candidate in (TUESDAY_MORNING, THURSDAY_AFTERNOON)
        for start in free_starts(candidate, taken, earliest, rules.horizon_weeks)
    ]
    if isinstance(outcome, model.Unschedulable):
        assert possible == []
        return
    dates = [s.date for s in outcome.sessions]
    assert outcome.slot.course_type == "klik-en-tik"
    assert taken.get(outcome.slot.id, set()).isdisjoint(dates)
    assert dates == sorted(weekly(dates[0]))
    assert all(d.isoweekday() == outcome.slot.weekday for d in dates)
    assert outcome.sessions[0].start == min(possible)
