"""`python -m console`: bring the schema up to date, then consume and serve the pages until SIGTERM."""

from __future__ import annotations

from pathlib import Path

from taalhuis_shared.runtime import run_service

from .bootstrap import build_app
from .settings import Settings

if __name__ == "__main__":
    run_service(Settings, build_app, Path(__file__).parent / "migrations")
