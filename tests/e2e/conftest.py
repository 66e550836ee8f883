"""The three services as real processes, with a real SMTP server receiving their mail."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support.broker import Namespace
from tests.support.databases import Databases
from tests.support.processes import ServiceProcess
from tests.support.referrals import ENROLMENT_FILE
from tests.support.smtp import SmtpServer


@dataclass
class System:
    namespace: Namespace
    smtp: SmtpServer
    database_urls: dict[str, str]
    workdir: Path
    amqp_url: str
    processes: list[ServiceProcess] = field(default_factory=list)
    # Added to every process started from now on (a moved clock, a shorter window).
    env: dict[str, str] = field(default_factory=dict)

    def process(self, service: str) -> ServiceProcess:
        env = {
            **self.namespace.env(),
            "AMQP_URL": self.amqp_url,
            "DATABASE_URL": self.database_urls[service],
            "OUTBOX_POLL_INTERVAL": "0.2",
            "GRACEFUL_TIMEOUT": "10",
            "BATCH_WINDOW": "1",
            "MAIL_POLL_INTERVAL": "0.2",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.smtp.port),
            "ENROLMENT_FILE": str(ENROLMENT_FILE),
            **self.env,
        }
        process = ServiceProcess(service, env, self.workdir)
        self.processes.append(process)
        return process

    async def start(self, *services: str) -> list[ServiceProcess]:
        started = []
        for service in services:
            process = self.process(service)
            await process.start()
            started.append(process)
        return started

    def stop_all(self) -> None:
        """Stop every running process gracefully (SIGTERM), as before an upgrade or a restart."""
        for process in self.processes:
            process.stop()

    async def scalar(self, service: str, query: str) -> int:
        engine = create_async_engine(self.database_urls[service])
        try:
            async with engine.connect() as connection:
                return int(await connection.scalar(text(query)))
        finally:
            await engine.dispose()

    def quiet_service(self, service: str) -> Callable[[], Awaitable[bool]]:
        async def quiet() -> bool:
            query = "SELECT count(*) FROM outbox WHERE published_at IS NULL"
            return await self.scalar(service, query) == 0

        return quiet

    async def quiet(self) -> bool:
        """Every outbox row published and every mail sent: nothing more is on its way."""
        pending = 0
        for service in self.database_urls:
            pending += await self.scalar(service, "SELECT count(*) FROM outbox WHERE published_at IS NULL")
        pending += await self.scalar("notifications", "SELECT count(*) FROM notices WHERE mail_id IS NULL")
        pending += await self.scalar(
            "notifications", "SELECT count(*) FROM mails WHERE sent_at IS NULL AND failed_at IS NULL"
        )
        return pending == 0


@pytest.fixture
async def system(
    databases: Databases, namespace: Namespace, amqp_url: str, tmp_path: Path
) -> AsyncIterator[System]:
    smtp = SmtpServer()
    smtp.start()
    urls = {s: await databases.create(s) for s in ("enrolment", "scheduling", "notifications")}
    running = System(namespace, smtp, urls, tmp_path, amqp_url)
    try:
        yield running
    finally:
        for process in running.processes:
            process.stop()
        smtp.stop()
