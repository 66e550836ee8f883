"""The scheduling service in-process on the real broker: each event it consumes gets its answer."""

from __future__ import annotations

from pathlib import Path

import yaml
from aio_pika.abc import AbstractRobustConnection
from sqlalchemy.ext.asyncio import AsyncEngine

from scheduling.bootstrap import build_app
from scheduling.settings import Settings
from tests.support.broker import Namespace, open_tap, publish
from tests.support.waiting import eventually

from .conftest import (
    cancellation,
    course_rows,
    group_changed,
    group_filled_event,
    measures_announced,
    measures_lifted,
    resources_data,
)

ANSWERS = [
    "CourseScheduled",
    "GroupUnschedulable",
    "SessionCancelled",
    "SessionRescheduled",
    "CoursePaused",
    "CourseResumed",
]


async def test_the_service_plans_a_group_cancels_a_session_and_pauses_and_resumes_the_course(
    settings: Settings,
    engine: AsyncEngine,
    amqp_url: str,
    namespace: Namespace,
    rabbit: AbstractRobustConnection,
    tmp_path: Path,
) -> None:
    resources_file = tmp_path / "resources.yaml"
    resources_file.write_text(yaml.safe_dump(resources_data()), encoding="utf-8")
    tap = await open_tap(rabbit, namespace, ANSWERS)
    app = build_app(
        settings.model_copy(
            update={
                "amqp_url": amqp_url,
                "events_exchange": namespace.events_exchange,
                "queue_prefix": namespace.queue_prefix,
                "outbox_poll_interval": 0.2,
                "resources_file": str(resources_file),
            }
        )
    )
    await app.start()
    try:
        await publish(rabbit, namespace, group_filled_event(7, "digisterker"))
        [scheduled] = await tap.wait_for("CourseScheduled", 1)
        first = scheduled["data"]["sessions"][0]

        await publish(rabbit, namespace, cancellation(first["session_id"]).model_dump(mode="json"))
        [caught_up] = await tap.wait_for("SessionRescheduled", 1)

        await publish(rabbit, namespace, group_changed(7, size=4).model_dump(mode="json"))
        await eventually(
            lambda: _participants(engine, "group-7", 4), what="the course knows the group changed"
        )

        announce = measures_announced("corona-1", from_date="2027-01-01")
        await publish(rabbit, namespace, announce.model_dump(mode="json"))
        [paused] = await tap.wait_for("CoursePaused", 1)
        await tap.wait_for("SessionCancelled", 6)  # the one cancelled before, and five now

        await publish(rabbit, namespace, measures_lifted("corona-1", "2027-09-01").model_dump(mode="json"))
        [resumed] = await tap.wait_for("CourseResumed", 1)
    finally:
        await app.stop()

    assert scheduled["data"]["course"] == {"type": "digisterker", "level": 1}
    assert len(scheduled["data"]["sessions"]) == 5
    assert caught_up["data"]["session"]["session_id"] == first["session_id"]
    assert caught_up["data"]["reason_code"] == "catch-up"
    assert paused["data"]["measure_id"] == "corona-1"
    assert paused["data"]["sessions_remaining"] == 5
    assert [s["number"] for s in resumed["data"]["sessions"]] == [1, 2, 3, 4, 5]
    assert all(s["start"] >= "2027-09-01" for s in resumed["data"]["sessions"])
    assert tap.of_type("GroupUnschedulable") == []


async def _participants(engine: AsyncEngine, group_id: str, count: int) -> bool:
    course = (await course_rows(engine)).get(group_id)
    return course is not None and len(course.participants) == count
