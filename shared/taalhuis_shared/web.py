"""A web server as a background worker of a service process, beside the consumer and the relay.

The console serves its pages with it, notifications the staff's calendar feeds.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import uvicorn


class WebServer:
    """uvicorn serving an ASGI app; started and stopped with the FastStream app."""

    name = "web"

    def __init__(self, app: Any, host: str, port: int) -> None:
        config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def alive(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve())

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
