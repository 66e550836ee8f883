"""The benchmarks still run and report what they promise (their figures are not judged here)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_the_crowded_planner_benchmark_checks_the_plans_and_reports_their_digest() -> None:
    result = subprocess.run(
        [sys.executable, "bench/planner_crowded.py", "--groups", "30", "--check-every", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"total planning time: [\d.]+ s", result.stdout), result.stdout
    assert re.search(r"digest of the plans: [0-9a-f]{16}", result.stdout), result.stdout
    assert re.search(r"load average at end: [\d.]+ [\d.]+ [\d.]+", result.stdout), result.stdout


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
        [
            sys.executable,
            "bench/mail_throughput.py",
            *("--courses", "20", "--places", "5", "--hop-messages", "200"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "AMQP_URL": servers[0], "DATABASE_URL": servers[1]},
    )
    assert result.returncode == 0, result.stderr
    batches = re.search(r"events 100, places 5: \d+ notices in (\d+) batches", result.stdout)
    mailed = re.search(r"mails handed to SMTP: (\d+) in [\d.]+ s", result.stdout)
    assert batches and mailed, result.stdout
    assert int(mailed[1]) == int(batches[1]) > 1  # one mail per person (the benchmark checks who)
    assert re.search(r"notices/s: \d+, mails/s: [\d.]+", result.stdout), result.stdout
    assert re.search(r"bare broker hop: \d+ messages/s; mails per second / hop: [\d.]+", result.stdout)
    assert re.search(r"load average at end: [\d.]+", result.stdout), result.stdout


def test_the_planner_scaling_benchmark_reports_the_ratio_and_the_hop(servers: tuple[str, str]) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "bench/planner_scaling.py",
            *("--at", "20,40", "--window", "5", "--hop-messages", "200"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "AMQP_URL": servers[0]},
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"ratio 40 / 20 \(indexed, medians\): [\d.]+ \(target: at most 2\)", result.stdout)
    hop = (
        r"bare broker hop: \d+ messages/s; groups planned per second at 40 \(median\): \d+; "
        r"ratio to the hop: [\d.]+"
    )
    assert re.search(hop, result.stdout), result.stdout


def run_bench(servers: tuple[str, str], *args: str) -> str:
    """A system benchmark in a tiny size; its output, after checking it ended well."""
    result = subprocess.run(
        [sys.executable, *args, "--hop-messages", "200"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "AMQP_URL": servers[0], "DATABASE_URL": servers[1]},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"bare broker hop: [1-9]\d* messages/s", result.stdout), result.stdout
    assert re.search(r"load average \(1, 5, 15 min\) at end: [\d.]+, [\d.]+, [\d.]+", result.stdout)
    return result.stdout


def peak_memory(output: str, service: str) -> list[int]:
    return [int(mb) for mb in re.findall(rf"memory {service} \(pid \d+\): peak (\d+) MB", output)]


@pytest.mark.slow
def test_the_ingest_benchmark_reports_one_and_two_processes_against_the_hop(servers: tuple[str, str]) -> None:
    output = run_bench(servers, "bench/ingest.py", "--referrals", "20")
    for processes in (1, 2):
        answered = (
            rf"{processes} process\(es\): 20 referrals published in [\d.]+ s; 20 answered \(0 rejected\)"
        )
        assert re.search(answered, output), output
        assert re.search(
            rf"enrolment ingest, {processes} process\(es\): [1-9][\d.]* referrals/s; "
            r"ratio to the hop: \d\.\d+",
            output,
        ), output
    assert re.search(r"2 processes / 1 process: \d+\.\d\d", output), output
    assert len(peak_memory(output, "enrolment")) == 3 and all(peak_memory(output, "enrolment"))


@pytest.mark.slow
def test_the_sustained_benchmark_reports_latencies_backlog_and_memory(servers: tuple[str, str]) -> None:
    output = run_bench(servers, "bench/sustained.py", "--rate", "5", "--minutes", "0.1", "--drain", "120")
    assert "everything done" in output, output
    assert "referrals 30, answered 30 (0 rejected); groups filled 6, planned 6, unschedulable 0" in output
    for what in ("referral → answer", "group complete → course planned", "group complete → teacher's mail"):
        found = re.search(
            rf"{what}: p50 [\d.]+ s, p95 [\d.]+ s, p99 ([\d.]+) s, max [\d.]+ s \(n=(\d+)\)", output
        )
        assert found, output
        assert int(found[2]) == (30 if what == "referral → answer" else 6)
    assert re.search(r"0 s  queues enrolment +\d+ scheduling +\d+ notifications +\d+", output), output
    for service in ("enrolment", "scheduling", "notifications"):
        assert peak_memory(output, service), output


@pytest.mark.slow
def test_the_ten_thousand_benchmark_reports_when_everything_was_answered_planned_and_mailed(
    servers: tuple[str, str],
) -> None:
    output = run_bench(servers, "bench/ten_thousand.py", "--referrals", "25", "--timeout", "120")
    assert "answered 25 of 25 (0 rejected); groups 5 of 5; planned 5, unschedulable 0" in output, output
    for milestone in ("answered", "grouped", "planned", "mailed"):
        assert re.search(rf"all {milestone}: [\d.]+ s", output), output
    assert re.search(r"everything answered, grouped, planned and mailed: [\d.]+ s \(target < 120 s\)", output)
    for service in ("enrolment", "scheduling", "notifications"):
        assert peak_memory(output, service), output


@pytest.mark.slow
def test_the_lockdown_benchmark_sends_one_mail_per_person(servers: tuple[str, str]) -> None:
    # A short batch window, so that the test need not wait the service's minute.
    output = run_bench(
        servers, "bench/lockdown.py", "--courses", "10", "--places", "5", "--batch-window", "5"
    )
    assert "seeded 10 courses (50 sessions) at 5 places" in output, output
    assert "SessionCancelled 50, CoursePaused 10" in output, output
    assert re.search(r"one mail per person: yes \((\d+) people; 0 got more than one, 0 got none", output), (
        output
    )
    assert re.search(r"mails handed to SMTP: (\d+) to \1 people; time to the last mail: [\d.]+ s", output), (
        output
    )
    for service in ("scheduling", "notifications"):
        assert peak_memory(output, service), output
