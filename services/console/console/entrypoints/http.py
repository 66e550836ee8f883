"""The web server as a background worker of the service process, beside the consumer and the relay."""

from __future__ import annotations

import asyncio
import contextlib

import uvicorn
from fastapi import FastAPI


class WebServer:
    """uvicorn serving the console's pages; started and stopped with the FastStream app."""

    name = "web"

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
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
