"""No personal data in the logs, even at DEBUG: a full run, then a search of everything logged."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest
from aio_pika.abc import AbstractRobustConnection

from tests.support.broker import Namespace, open_tap, publish
from tests.support.referrals import intake_event, referral_event
from tests.support.waiting import eventually

from .conftest import System

pytestmark = pytest.mark.slow

# In a domain promen allows (tests/support/enrolment.yaml), so the mail goes there as named.
CONTACT = {"name": "Quirijn Zwanenburgh-Qx", "email": "qx.contact@promen.example"}
# Five who fill a group, one the rules reject, and a duplicate of the first; names unlike any
# word a log line could contain by chance.
PEOPLE = [
    ("EMP-QX-4711", "Qxandra", "Zwanenburgh-Qx", "PRM-QX-Xavier-0001"),
    ("EMP-QX-4712", "Qxaverius", "Oudekerk-Qx", "PRM-QX-Yvonne-0002"),
    ("EMP-QX-4713", "Qxiomara", "Vlietstra-Qx", "PRM-QX-Zeger-0003"),
    ("EMP-QX-4714", "Qxander", "Brouwersgracht-Qx", "PRM-QX-Wouter-0004"),
    ("EMP-QX-4715", "Qxenia", "Terpstra-Qx", "PRM-QX-Vera-0005"),
    ("EMP-QX-4716", "Qxylon", "Hoogendoorn-Qx", "PRM-QX-Ursula-0006"),
]
# Schema-invalid: its contact address is not an address; the partner is told so.
INVALID = ("EMP-QX-4717", "Qxandrea", "Wijnbergen-Qx", "PRM-QX-Teun-0007")
INVALID_EMAIL = "qx.ongeldig@@partner..example"
# Not a CloudEvent at all: nobody to answer, so it is parked.
STRAY = ("EMP-QX-4718", "Qxaviera", "Kloosterhuis-Qx", "PRM-QX-Sjaak-0008")


def referral(person: tuple[str, str, str, str], **changes: Any) -> dict[str, Any]:
    reference, given, family, partner_referral_id = person
    participant = {"employee_reference": reference, "given_name": given, "family_name": family}
    return referral_event(
        0, partner_referral_id=partner_referral_id, participant=participant, contact=CONTACT, **changes
    )


def personal_data() -> list[str]:
    """Everything personal the test sends: names, references, addresses, partner referral ids
    (a partner may build those from names, so the logs carry our own ids instead)."""
    values = [CONTACT["name"], CONTACT["email"], INVALID_EMAIL]
    for reference, given, family, partner_referral_id in [*PEOPLE, INVALID, STRAY]:
        values += [reference, given, family, f"{given} {family[0]}.", partner_referral_id]
    values += CONTACT["name"].split()
    return values


def logs_of(system: System) -> str:
    return "\n".join(process.log_path.read_text(errors="replace") for process in system.processes)


async def test_a_full_run_at_debug_logs_no_names_references_or_addresses(
    system: System, rabbit: AbstractRobustConnection, namespace: Namespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The service processes inherit the environment.
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("DIGEST_WINDOW", "1")  # the coordinator's summary of rejections is sent too
    tap = await open_tap(rabbit, namespace, ["CourseScheduled", "ReferralRejected"])
    processes = [system.process(service) for service in ("enrolment", "scheduling", "notifications")]
    await asyncio.gather(*(process.start() for process in processes))
    await publish(rabbit, namespace, intake_event(groups=1))
    invalid = referral(INVALID)
    invalid["data"]["contact"]["email"] = INVALID_EMAIL
    await publish(rabbit, namespace, invalid)
    stray = referral(STRAY)["data"]
    await publish(rabbit, namespace, json.dumps(stray).encode(), "ReferralSubmitted", "stray-qx-0008")
    for person in PEOPLE[:5]:
        await publish(rabbit, namespace, referral(person))
    await publish(rabbit, namespace, referral(PEOPLE[5], can_read_and_write_a_little=False))
    await publish(rabbit, namespace, referral(PEOPLE[0]))  # the same referral again, a new event

    courses = await tap.wait_for("CourseScheduled", 1, timeout=40)
    await tap.wait_for("ReferralRejected", 2, timeout=20)
    staff = {courses[0]["data"]["teacher"]["email"]}
    staff |= {v["email"] for s in courses[0]["data"]["sessions"] for v in s["volunteers"]}
    # Mail to every member of staff and to the contact person has arrived: the sender has logged.
    await eventually(
        lambda: {*staff, CONTACT["email"]} <= {m["X-Envelope-To"] for m in system.smtp.mailbox.messages},
        timeout=30,
        what="mail to staff and the contact person",
    )
    await eventually(system.quiet, timeout=30, what="outboxes and mail queue empty")
    await eventually(lambda: f"message {invalid['id']} refused" in logs_of(system), what="the refusal")
    await eventually(lambda: "parking message stray-qx-0008" in logs_of(system), what="the parking")
    # Stopped, so that what they log on the way out is searched too.
    assert await asyncio.gather(*(asyncio.to_thread(process.stop) for process in processes)) == [0, 0, 0]

    # Each capture holds its service's DEBUG output, so the search below could find something.
    for process in processes:
        log = process.log_path.read_text(errors="replace")
        assert re.search(r" DEBUG \S+: ", log), f"no DEBUG line from {process.package}"
    logs = logs_of(system)
    found = {value for value in personal_data() if value.lower() in logs.lower()}
    lines = [line[:300] for line in logs.splitlines() if any(v.lower() in line.lower() for v in found)]
    assert not found, "\n".join([str(sorted(found)), *lines[:20]])
