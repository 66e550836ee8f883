"""The benchmarks still run and report what they promise (their figures are not judged here)."""

from __future__ import annotations

import os
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


def test_the_hop_and_relay_benchmark_reports_both_rates_their_ratio_and_the_load(
    servers: tuple[str, str],
) -> None:
    result = subprocess.run(
        [sys.executable, "bench/hop_and_relay.py", "--messages", "30", "--batch-size", "10"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "AMQP_URL": servers[0], "DATABASE_URL": servers[1]},
    )
    assert result.returncode == 0, result.stderr
    hop = re.search(r"bare broker hop: (\d+) messages/s", result.stdout)
    relay = re.search(r"outbox relay: (\d+) messages/s", result.stdout)
    assert hop and relay, result.stdout
    assert int(hop[1]) > 0 and int(relay[1]) > 0
    assert re.search(r"relay / hop: \d+\.\d\d", result.stdout), result.stdout
    assert re.search(r"load average \(1, 5, 15 min\): [\d.]+, [\d.]+, [\d.]+", result.stdout), result.stdout


def test_the_mail_benchmark_hands_every_mail_to_smtp_once_and_reports_its_rates(
    servers: tuple[str, str],
) -> None:
    result = subprocess.run(
        [sys.executable, "bench/mail_throughput.py", "--courses", "20", "--places", "5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "DATABASE_URL": servers[1]},
    )
    assert result.returncode == 0, result.stderr
    people = re.search(r"sessions 100, places 5: \d+ notices for (\d+) people", result.stdout)
    mailed = re.search(r"mails handed to SMTP: (\d+) in [\d.]+ s", result.stdout)
    assert people and mailed, result.stdout
    assert int(mailed[1]) == int(people[1]) > 1
    assert re.search(r"notices/s: \d+, mails/s: [\d.]+", result.stdout), result.stdout
    assert re.search(r"load average at end: [\d.]+", result.stdout), result.stdout
