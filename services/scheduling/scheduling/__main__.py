"""`python -m scheduling`: bring the schema up to date, then consume until SIGTERM."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from taalhuis_shared.db import upgrade_schema

from .bootstrap import build_app
from .settings import Settings


async def main() -> None:
    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    await upgrade_schema(settings.database_url, Path(__file__).parent / "migrations")
    await build_app(settings).run()


if __name__ == "__main__":
    asyncio.run(main())
