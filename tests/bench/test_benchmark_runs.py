"""The planning benchmark still runs and reports what it promises (its figures are not judged here)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_planning_benchmark_reports_time_and_groups_planned_within_two_weeks() -> None:
    result = subprocess.run(
        [sys.executable, "bench/plan_groups.py", "--groups", "20"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"total time: [\d.]+ s", result.stdout), result.stdout
    planned = re.search(
        r"planned: (\d+); first session within two weeks \(14 days\) of filling: (\d+)", result.stdout
    )
    assert planned, result.stdout
    assert 0 < int(planned[2]) <= int(planned[1]) <= 20
