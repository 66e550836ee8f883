"""A real browser for the console's pages: Debian's chromium driven by Playwright, and axe-core.

Playwright downloads no browser here: it starts the installed `chromium` (`CHROMIUM_PATH`, else
/usr/bin/chromium). axe-core (bundled in axe-playwright-python) checks a page as it is shown.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, async_playwright

# axe's impact levels that fail a page: "serious" and "critical" (WCAG 2.1 A and AA rules).
FAILING_IMPACTS = ("serious", "critical")


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    assert os.path.exists(path), f"no chromium at {path}: apt-get install chromium (see README, Test it)"
    return path


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield browser
        finally:
            await browser.close()


async def serious_accessibility_findings(page: Page) -> list[dict[str, Any]]:
    """axe-core's findings on the page as shown, of impact serious or critical (WCAG 2.1 AA)."""
    result = await Axe().run(
        page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result.response["violations"]
        if v.get("impact") in FAILING_IMPACTS
    ]
