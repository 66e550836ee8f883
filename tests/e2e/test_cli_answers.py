"""`taalhuis` against the running services: it waits for the answer and says the outcome in Dutch."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from aio_pika.abc import AbstractRobustConnection

from tests.support.broker import Namespace, open_tap, publish
from tests.support.referrals import referral_event

from .conftest import System

pytestmark = pytest.mark.slow

# The installed entry point, as a coordinator runs it.
TAALHUIS = str(Path(sys.executable).with_name("taalhuis"))


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


async def taalhuis(system: System, *args: str) -> Run:
    env = {**os.environ, "AMQP_URL": system.amqp_url, **system.namespace.env()}
    process = await asyncio.create_subprocess_exec(
        TAALHUIS, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), err.decode())


async def test_refused_and_unknown_targets_exit_1_with_the_dutch_reason(system: System) -> None:
    await system.start("enrolment", "scheduling")

    closure = await taalhuis(system, "close-early", "klik-en-tik", "1", "--language", "NT1")
    assert closure.code == 1, closure
    assert "Geweigerd: Er wachten te weinig deelnemers: 0, minstens 3 nodig." in closure.out

    cancel = await taalhuis(
        system, "session", "cancel", "geen-echte-id", "--reason-code", "x", "--reason", "ziek"
    )
    assert cancel.code == 1, cancel
    assert "Geweigerd: Deze bijeenkomst is niet bekend." in cancel.out

    lift = await taalhuis(system, "measures", "lift", "--id", "tikfout", "--from", "2027-03-01")
    assert lift.code == 1, lift
    assert "Geweigerd: maatregel tikfout is niet bekend." in lift.out


async def test_done_commands_exit_0_and_say_what_happened(
    system: System, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ["CourseScheduled"])
    await system.start("enrolment", "scheduling")

    intake = await taalhuis(system, "intake", "klik-en-tik", "--groups", "1", "--from", "2027-01-04")
    assert intake.code == 0, intake
    assert "Enrolment bevestigt een instroom niet" in intake.out
    for number in range(3):
        await publish(rabbit, namespace, referral_event(number))
    # The referrals wait; closing early forms a group of three.
    closure = await taalhuis(system, "close-early", "klik-en-tik", "1", "--language", "NT1")
    assert closure.code == 0, closure
    assert "Gelukt: er is een groep gevormd voor klik-en-tik niveau 1 (NT1), met 3 deelnemers." in closure.out
    assert "Deelnemer" not in closure.out, "no names on the screen"

    [scheduled] = await tap.wait_for("CourseScheduled", 1, timeout=60)
    second = next(s for s in scheduled["data"]["sessions"] if s["number"] == 2)
    cancel = await taalhuis(
        system, "session", "cancel", second["session_id"], "--reason-code", "teacher-ill", "--reason", "ziek"
    )
    assert cancel.code == 0, cancel
    assert "Gelukt: bijeenkomst 2 van klik-en-tik niveau 1 op " in cancel.out
    assert "Inhaalbijeenkomst: " in cancel.out

    announce = await taalhuis(
        system, "measures", "announce", "--id", "m-1", "--from", "2027-01-01", "--reason", "Maatregelen"
    )
    assert announce.code == 0, announce
    assert "Gelukt: maatregel m-1 is aangekondigd. 5 bijeenkomst(en) afgezegd, 1 cursus(sen) gepauzeerd." in (
        announce.out
    )
    again = await taalhuis(
        system, "measures", "announce", "--id", "m-1", "--from", "2027-02-01", "--reason", "Maatregelen"
    )
    assert again.code == 1, again
    assert "al aangekondigd" in again.out


async def test_no_answer_in_time_exits_3_and_says_it_was_sent(system: System) -> None:
    await system.start("enrolment")  # scheduling is not running: nobody answers a cancellation

    cancel = await taalhuis(
        system, "session", "cancel", "s-1", "--reason-code", "x", "--reason", "ziek", "--wacht", "1"
    )
    assert cancel.code == 3, cancel
    assert "verstuurd: SessionCancellationRequested" in cancel.out
    assert "nog geen antwoord: de planning heeft nog niet gezegd" in cancel.err

    sent = await taalhuis(
        system, "session", "cancel", "s-2", "--reason-code", "x", "--reason", "ziek", "--niet-wachten"
    )
    assert sent.code == 0, sent
    assert "1 bericht(en) verstuurd" in sent.out


async def test_an_erasure_waits_for_all_three_services(system: System) -> None:
    await system.start("enrolment", "scheduling", "notifications")

    erase = await taalhuis(system, "erase", "promen", "EMP-0404", "--request-id", "wissen-e2e")
    assert erase.code == 0, erase
    assert "Gelukt: alle drie de onderdelen hebben de persoon gewist." in erase.out
    for service in ("enrolment", "scheduling", "notifications"):
        assert f"{service}: gewist (" in erase.out
