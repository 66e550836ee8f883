"""`python -m enrolment`: bring the schema up to date, then consume until SIGTERM."""

from __future__ import annotations

import asyncio
from pathlib import Path

from taalhuis_shared.db import upgrade_schema
from taalhuis_shared.logs import configure_logging

from .bootstrap import build_app
from .settings import Settings


async def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level)
    await upgrade_schema(settings.database_url, Path(__file__).parent / "migrations")
    await build_app(settings).run()


if __name__ == "__main__":
    asyncio.run(main())
