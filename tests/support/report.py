"""Running `taalhuis-report` as an operator would, and reading back the CSV it writes."""

from __future__ import annotations

import asyncio
import csv
import os
import sys
from pathlib import Path
from typing import Any

Lines = dict[tuple[str, str, str], dict[str, Any]]  # (municipality, course, level) -> column -> value


async def report(database_url: str, folder: Path, name: str, *options: str) -> tuple[str, Path, Path]:
    """Run `taalhuis-report` as a process; its screen output and the two files it wrote."""
    csv_path, xlsx_path = folder / f"{name}.csv", folder / f"{name}.xlsx"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "enrolment.entrypoints.report", *options,
        "--csv", str(csv_path), "--xlsx", str(xlsx_path),
        env={**os.environ, "DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode(), csv_path, xlsx_path


def csv_lines(path: Path) -> Lines:
    with path.open(encoding="utf-8-sig", newline="") as file:
        return {(r["Gemeente"], r["Cursus"], r["Niveau"]): r for r in csv.DictReader(file, delimiter=";")}
