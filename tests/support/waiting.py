"""Wait for a condition with a deadline, instead of sleeping a fixed time."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any


async def eventually(
    check: Callable[[], Any],
    *,
    timeout: float = 20.0,
    interval: float = 0.1,
    what: str = "condition",
) -> Any:
    """Call `check` (plain or async) until it returns something truthy; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)
