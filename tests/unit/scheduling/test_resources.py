"""The resources file: the packaged example, holidays, and the mistakes a person editing it can make."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from scheduling.adapters.resources import (
    ResourcesFileError,
    holiday_years,
    load_resources,
    parse_resources,
    public_holidays,
)
from scheduling.domain.planner import Plan, PlanRequest, plan_course

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TODAY = date(2026, 3, 2)
ROOT = Path(__file__).resolve().parents[3]
PACKAGED = ROOT / "services/scheduling/scheduling/resources.yaml"
DEPLOYED = ROOT / "deploy/scheduling/resources.yaml"

SMALL = """
places:
  - id: bieb
    name: Bibliotheek
    address: Klein Amerika 20, 2803 PK Gouda
    bring_ipads: false
    rooms: [{id: lokaal-1, name: Lokaal 1}]
    opening_hours: {monday: ["09:00-12:30", "13:00-17:00"], saturday: ["10:00-16:00"]}
teachers:
  - id: anna
    name: Anna
    email: anna@bibliotheekgouda.example
    qualifications: [klik-en-tik]
    availability: {monday: ["09:00-17:00"]}
volunteers:
  - id: vera
    name: Vera
    email: vera@bibliotheekgouda.example
    availability: {tuesday: ["09:00-17:00"]}
ipads: 10
weekly_limits: {klik-en-tik: 2}
closure_days: [2026-12-24]
"""


def parse(text: str = SMALL, today: date = TODAY) -> object:
    return parse_resources(text, AMSTERDAM, today)


def test_the_packaged_file_describes_bibliotheek_gouda() -> None:
    res = load_resources(PACKAGED, AMSTERDAM, TODAY)
    places = {p.id: p for p in res.places}
    library = places["chocoladefabriek"]
    assert library.name == "Bibliotheek Gouda, De Chocoladefabriek"
    assert library.address == "Klein Amerika 20, 2803 PK Gouda"
    assert library.bring_ipads is False
    assert len(library.rooms) == 2
    assert set(library.opening_hours) == {1, 2, 3, 4, 5, 6}
    assert places["promen-gouda"].name == "Promen, werklocatie Gouda"
    assert places["promen-gouda"].bring_ipads is True
    assert sum(p.id.startswith("wijkgebouw") and p.bring_ipads for p in res.places) == 2
    teachers = {t.email: t for t in res.teachers}
    assert "klik-en-tik" in teachers["docent.klikentik@bibliotheekgouda.example"].qualifications
    assert sum("digisterker" in t.qualifications for t in res.teachers) >= 2
    assert all(p.email.endswith("@bibliotheekgouda.example") for p in (*res.teachers, *res.volunteers))
    assert len(res.teachers) == 4 and len(res.volunteers) == 4
    assert res.ipads == 20
    assert dict(res.weekly_limits) == {"klik-en-tik": 2, "digisterker": 2}
    assert (res.session_minutes, res.setup_minutes, res.sessions_per_course, res.horizon_weeks) == (
        120,
        45,
        5,
        12,
    )
    assert res.zone is AMSTERDAM
    assert (
        res.travel("promen-gouda", "chocoladefabriek"),
        res.travel("promen-gouda", "wijkgebouw-goverwelle"),
    ) == (15, 20)
    assert res.ipads_kept_at == "chocoladefabriek"


def test_the_deployed_copy_is_the_packaged_file() -> None:
    assert DEPLOYED.read_text(encoding="utf-8") == PACKAGED.read_text(encoding="utf-8")


def test_the_packaged_resources_can_plan_a_group_at_promen() -> None:
    res = load_resources(PACKAGED, AMSTERDAM, TODAY)
    request = PlanRequest(
        course_id="c1",
        course_type="digisterker",
        participants=5,
        partner_ids=frozenset({"promen"}),
        earliest=date(2026, 4, 20),
        sessions=5,
        preferred_places=("promen-gouda",),
    )
    plan = plan_course(request, res, [])
    assert isinstance(plan, Plan)
    assert {s.place_id for s in plan.sessions} == {"promen-gouda"}
    assert all(
        "digisterker" in next(t for t in res.teachers if t.id == s.teacher_id).qualifications
        for s in plan.sessions
    )
    assert all(s.start.date() not in res.closed_days for s in plan.sessions)


def test_weekdays_become_iso_numbers_and_periods_clock_times() -> None:
    res = parse_resources(SMALL, AMSTERDAM, TODAY)
    [library] = res.places
    assert library.opening_hours == {
        1: ((time(9, 0), time(12, 30)), (time(13, 0), time(17, 0))),
        6: ((time(10, 0), time(16, 0)),),
    }
    assert res.volunteers[0].availability == {2: ((time(9, 0), time(17, 0)),)}
    assert res.teachers[0].qualifications == frozenset({"klik-en-tik"})
    # Left out: the planner's defaults.
    assert (res.session_minutes, res.setup_minutes, res.sessions_per_course, res.horizon_weeks) == (
        120,
        45,
        5,
        12,
    )


def test_closed_days_are_the_dutch_public_holidays_and_the_closure_days() -> None:
    res = parse_resources(SMALL, AMSTERDAM, TODAY)
    assert date(2026, 12, 24) in res.closed_days  # from the file
    assert date(2026, 4, 27) in res.closed_days  # Koningsdag
    assert date(2026, 5, 14) in res.closed_days  # Hemelvaartsdag
    assert date(2026, 12, 25) in res.closed_days  # Eerste Kerstdag
    assert date(2027, 3, 29) in res.closed_days  # Tweede Paasdag, next year
    assert date(2026, 4, 28) not in res.closed_days


def test_holidays_reach_as_far_as_a_plan_can() -> None:
    assert list(holiday_years(date(2026, 3, 2), 12, 5)) == [2026, 2027, 2028]
    # A long horizon reaches further: a course may start 2 x 52 weeks + 5 on.
    assert list(holiday_years(date(2026, 12, 1), 26, 5)) == [2026, 2027, 2028]
    assert list(holiday_years(date(2026, 12, 1), 52, 5)) == [2026, 2027, 2028, 2029]
    res = parse_resources(SMALL, AMSTERDAM, date(2026, 12, 20))
    assert date(2028, 1, 1) in res.closed_days
    assert date(2029, 1, 1) not in res.closed_days


def test_public_holidays_are_only_the_dutch_ones() -> None:
    days = public_holidays([2026])
    assert date(2026, 4, 27) in days  # Koningsdag
    assert date(2026, 7, 4) not in days  # not a Dutch holiday
    assert all(day.year == 2026 for day in days)


def test_a_missing_file_stops_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(ResourcesFileError, match=r"nope\.yaml: cannot be read"):
        load_resources(tmp_path / "nope.yaml", AMSTERDAM, TODAY)


def test_broken_yaml_stops_with_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "resources.yaml"
    path.write_text("places: [unclosed\n", encoding="utf-8")
    with pytest.raises(ResourcesFileError, match=r"resources\.yaml: not valid YAML"):
        load_resources(path, AMSTERDAM, TODAY)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (("bring_ipads: false", "bring_ipads: false\n    parking: true"), "places.0.parking", "Extra inputs"),
        (("ipads: 10", "ipads: 10\niPads: 10"), "iPads", "Extra inputs"),
        (
            ('monday: ["09:00-12:30", ', 'maandag: ["09:00-12:30", '),
            "places.0.opening_hours.maandag",
            "monday",
        ),
        (
            ('["09:00-17:00"]}\nvolunteers', '["17:00-09:00"]}\nvolunteers'),
            "teachers.0.availability.monday.0",
            "ends",
        ),
        (
            ('["09:00-17:00"]}\nvolunteers', '["9 tot 5"]}\nvolunteers'),
            "teachers.0.availability.monday.0",
            "HH:MM",
        ),
        (
            ('["09:00-17:00"]}\nvolunteers', '["09:00-25:00"]}\nvolunteers'),
            "teachers.0.availability.monday.0",
            "HH:MM",
        ),
        (("anna@bibliotheekgouda.example", "anna"), "teachers.0.email", "email address"),
        (("ipads: 10", "ipads: -1"), "ipads", "greater than or equal"),
        (("closure_days: [2026-12-24]", "closure_days: [kerstavond]"), "closure_days.0", "date"),
        (("rooms: [{id: lokaal-1, name: Lokaal 1}]", "rooms: []"), "places.0.rooms", "at least 1"),
        (("id: vera", "id: Vera Smit"), "volunteers.0.id", "pattern"),
    ],
)
def test_a_mistake_is_named_with_its_field(change: tuple[str, str], field: str, message: str) -> None:
    old, new = change
    assert old in SMALL
    with pytest.raises(ResourcesFileError) as raised:
        parse(SMALL.replace(old, new, 1))
    assert field in str(raised.value)
    assert message in str(raised.value)


def test_a_missing_section_is_named() -> None:
    with pytest.raises(ResourcesFileError, match="volunteers: Field required"):
        parse(SMALL.split("volunteers:")[0] + "ipads: 10\nweekly_limits: {klik-en-tik: 2}\n")


def test_people_ids_are_unique_across_teachers_and_volunteers() -> None:
    with pytest.raises(ResourcesFileError, match=r"person ids .* repeated: anna"):
        parse(SMALL.replace("id: vera", "id: anna"))


def test_place_and_room_ids_are_unique() -> None:
    twice = SMALL.replace("places:\n", "places:\n" + SMALL.split("places:\n")[1].split("teachers:")[0], 1)
    with pytest.raises(ResourcesFileError, match="place ids must be unique; repeated: bieb"):
        parse(twice)
    rooms = SMALL.replace("[{id: lokaal-1, name: Lokaal 1}]", "[{id: a, name: A}, {id: a, name: B}]")
    with pytest.raises(ResourcesFileError, match="room ids must be unique; repeated: a"):
        parse(rooms)


def test_a_misspelt_qualification_is_caught_by_the_weekly_limits() -> None:
    with pytest.raises(ResourcesFileError, match=r"no limit for the course type.*digisterkr"):
        parse(SMALL.replace("qualifications: [klik-en-tik]", "qualifications: [klik-en-tik, digisterkr]"))


def test_an_unquoted_clock_time_is_refused() -> None:
    # YAML reads 09:00 unquoted as a number; a period is only accepted as text.
    with pytest.raises(ResourcesFileError, match="HH:MM-HH:MM"):
        parse(SMALL.replace('tuesday: ["09:00-17:00"]', "tuesday: [540]"))


TWO_PLACES = SMALL.replace(
    "teachers:",
    """  - id: wijk
    name: Wijkgebouw
    address: Voorbeeldstraat 10, 2800 AB Gouda
    bring_ipads: true
    rooms: [{id: zaal, name: Zaal}]
    opening_hours: {monday: ["09:00-17:00"]}
  - id: werk
    name: Werkplaats
    address: Voorbeeldweg 1, 2800 AA Gouda
    bring_ipads: true
    rooms: [{id: kantine, name: Kantine}]
    opening_hours: {monday: ["09:00-17:00"]}
teachers:""",
)


def test_travel_times_between_places_either_way_with_a_default() -> None:
    res = parse_resources(
        TWO_PLACES
        + "travel_default_minutes: 20\ntravel_minutes:\n  - {between: [bieb, wijk], minutes: 10}\n",
        AMSTERDAM,
        TODAY,
    )
    assert (res.travel("bieb", "wijk"), res.travel("wijk", "bieb")) == (10, 10)
    assert (res.travel("wijk", "werk"), res.travel("werk", "werk")) == (20, 0)
    # The iPads are kept at the library (the first place that does not bring them).
    assert res.ipads_kept_at == "bieb"
    assert (res.ipads_journey("wijk"), res.ipads_journey("bieb")) == (10, 0)


def test_without_travel_times_nobody_travels() -> None:
    res = parse_resources(TWO_PLACES, AMSTERDAM, TODAY)
    assert res.travel("bieb", "werk") == 0 and res.ipads_journey("werk") == 0


@pytest.mark.parametrize(
    ("travel", "message"),
    [
        ("  - {between: [bieb, bieb], minutes: 10}", "names bieb twice"),
        ("  - {between: [bieb, stadhuis], minutes: 10}", "unknown place(s) stadhuis"),
        (
            "  - {between: [bieb, wijk], minutes: 10}\n  - {between: [wijk, bieb], minutes: 15}",
            "repeated: bieb and wijk",
        ),
        ("  - {between: [bieb, wijk], minutes: -5}", "greater than or equal to 0"),
        ("  - {between: [bieb], minutes: 5}", "travel_minutes.0.between"),
    ],
)
def test_a_travel_mistake_is_named(travel: str, message: str) -> None:
    with pytest.raises(ResourcesFileError) as raised:
        parse(TWO_PLACES + "travel_minutes:\n" + travel + "\n")
    assert message in str(raised.value)
