"""Forged events at scheduling's door: the coordinator's user cannot plan a group of its own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import yaml
from aio_pika.abc import AbstractRobustConnection

from scheduling.bootstrap import build_app
from scheduling.settings import Settings
from tests.support import users
from tests.support.broker import Namespace, drain_until, open_tap, publish

from .conftest import group_filled_event, resources_data

ConnectAs = Callable[[str], Awaitable[AbstractRobustConnection]]


async def test_the_coordinator_cannot_inject_a_filled_group_into_scheduling(
    settings: Settings,
    amqp_url: str,
    namespace: Namespace,
    rabbit: AbstractRobustConnection,
    rabbit_as: ConnectAs,
    tmp_path: Path,
) -> None:
    resources_file = tmp_path / "resources.yaml"
    resources_file.write_text(yaml.safe_dump(resources_data()), encoding="utf-8")
    tap = await open_tap(rabbit, namespace, ["CourseScheduled", "GroupUnschedulable"])
    coordinator = await rabbit_as(users.COORDINATOR)
    app = build_app(
        settings.model_copy(
            update={
                "amqp_url": amqp_url,
                "events_exchange": namespace.events_exchange,
                "queue_prefix": namespace.queue_prefix,
                "outbox_poll_interval": 0.2,
                "resources_file": str(resources_file),
                # As deployed: the coordinator has a user of its own, enrolment another.
                "publishers": {"coordinator": [users.COORDINATOR], "enrolment": ["guest"]},
            }
        )
    )
    forged = group_filled_event(1)
    smuggled = group_filled_event(2)
    await app.start()
    try:
        await publish(coordinator, namespace, forged, user_id=users.COORDINATOR)
        # Under a routing key the coordinator may publish to.
        await publish(
            coordinator, namespace, smuggled, routing_key="MeasuresAnnounced", user_id=users.COORDINATOR
        )
        parked = await drain_until(rabbit, namespace.topology("scheduling").parking_queue_name, 2)
        # The same group from enrolment's user is planned: only the sender made the difference.
        genuine = group_filled_event(1)
        await publish(rabbit, namespace, genuine)
        [scheduled] = await tap.wait_for("CourseScheduled", 1)
    finally:
        await app.stop()
    assert {m.message_id: m.headers["x-parked-reason"] for m in parked} == {
        forged["id"]: "not-allowed",
        smuggled["id"]: "type-mismatch",
    }
    assert scheduled["data"]["group_id"] == "group-1"
    assert len(tap.distinct("CourseScheduled")) == 1
