"""`python -m notifications`: bring the schema up to date, then consume and send until SIGTERM."""

from __future__ import annotations

import asyncio
import logging

from taalhuis_shared.db import upgrade_schema

from .bootstrap import MIGRATIONS, build_app
from .settings import Settings


async def main() -> None:
    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    await upgrade_schema(settings.database_url, MIGRATIONS)
    await build_app(settings).run()


if __name__ == "__main__":
    asyncio.run(main())
