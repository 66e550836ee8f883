"""Three partners waiting: groups are planned in the order they come, and one partner's weekly limit
holds back only that partner's groups."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from scheduling.service_layer.handlers import schedule_group
from tests.support.handling import handle
from tests.support.schedule_checker import assert_plan_holds

from .conftest import AMSTERDAM, LEAD_DAYS, NOW, NewUnitOfWork, course_rows, load, resources_data
from .test_term import KLIK, group


async def test_one_partner_s_weekly_limit_never_blocks_another_partner_s_group(
    uow: NewUnitOfWork, engine: AsyncEngine, tmp_path: Path
) -> None:
    # Two Klik & Tik courses a week per partner (a course counts in each week it has a session).
    # Promen's three groups filled first, then the municipality's and the UWV's: in the order
    # enrolment forms them (the list whose first person waited longest first).
    resources = load(tmp_path, resources_data(weekly_limits={KLIK: 2, "digisterker": 2}), "fair.yaml")
    arrival = [
        group(1, KLIK, "promen"),
        group(2, KLIK, "promen"),
        group(3, KLIK, "promen"),
        group(4, KLIK, "gemeente"),
        group(5, KLIK, "uwv"),
    ]
    for filled in arrival:
        await handle(schedule_group, filled, uow(), resources, LEAD_DAYS, NOW)

    planned = await assert_plan_holds(engine, tmp_path / "fair.yaml", AMSTERDAM)
    first = sorted((r for r in planned if r.number == 1), key=lambda r: r.start)
    weeks: dict[str, list[int]] = {}
    for r in first:
        [partner] = r.partner_ids
        weeks.setdefault(partner, []).append(r.start.astimezone(AMSTERDAM).isocalendar()[1])
    # Promen's third group waits until one of its first two courses is over (the limit)...
    assert weeks["promen"][:2] == [10, 10] and weeks["promen"][2] > 14, weeks
    # ...while the others start in the first week, beside Promen's full weeks.
    assert (weeks["gemeente"], weeks["uwv"]) == ([10], [10]), weeks
    # First come, first planned: no group starts before one that came before it and could start
    # in the same week (here: all but Promen's third).
    courses = await course_rows(engine)
    start = {r.course_id: r.start for r in first}
    in_arrival = [start[courses[f"group-{n}"].id] for n in (1, 2, 4, 5)]
    assert in_arrival == sorted(in_arrival)
