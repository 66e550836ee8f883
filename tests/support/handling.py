"""Calling a service's handler directly, as the shared handling step does: inbox, then handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from taalhuis_shared.events import CloudEvent
from taalhuis_shared.messaging.unit_of_work import UnitOfWork

Event = TypeVar("Event", bound=CloudEvent)


async def handle(
    handler: Callable[..., Awaitable[Any]], event: Event, uow: UnitOfWork[Any], *args: Any
) -> Any:
    """`handler(event, uow, *args)` in the open unit of work, unless the event was handled before."""
    async with uow:
        if not await uow.first_time(event):
            return None
        return await handler(event, uow, *args)
