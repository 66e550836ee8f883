"""Every action shows its outcome: the console, enrolment beside it, and the read model replayed."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from console.bootstrap import Console
from console.settings import Settings
from taalhuis_shared.events import SessionCancellationRefused, new_event
from tests.integration.console.conftest import Browser, log_in, post_form
from tests.integration.console.test_access import REFERRAL_FORM
from tests.integration.enrolment.conftest import RunningEnrolment
from tests.support.broker import Namespace, open_tap, publish
from tests.support.console import consumed, read_model, replayed
from tests.support.databases import Databases
from tests.support.referrals import course_scheduled_event
from tests.support.waiting import eventually


async def outcome_of(client: Any, location: str) -> str:
    """The outcome page once the answer arrived (it says so without 'We wachten')."""

    async def answered() -> str | None:
        page = await client.get(location)
        assert page.status_code == 200
        return None if "We wachten" in page.text else page.text

    return str(await eventually(answered, what=f"an answer on {location}"))


async def refer(client: Any, number: int) -> str:
    form = {**REFERRAL_FORM, "aanmeldnummer": f"PRM-{number:04d}", "personeelsnummer": f"EMP-{number:04d}",
            "partner_id": "promen"}  # fmt: skip
    sent = await post_form(client, "/aanmelden", "/aanmelden", form)
    assert sent.status_code == 303
    return await outcome_of(client, sent.headers["location"])


async def test_an_early_closure_shows_the_group_and_a_refused_one_the_reason(
    browser: Browser,
    running_console: Console,
    running_enrolment: RunningEnrolment,
    console_settings: Settings,
    databases: Databases,
    namespace: Namespace,
    rabbit: Any,
) -> None:
    tap = await open_tap(rabbit, namespace, ["#"])
    coordinator, partner = browser(), browser()
    await log_in(coordinator, "coordinator")
    await log_in(partner, "promen")
    async with running_enrolment():
        # Nobody waits yet: the early closure is refused, and the page says why in Dutch.
        closure = {"cursus": "klik-en-tik", "niveau": "1", "taalgroep": "NT1"}
        refused = await post_form(coordinator, "/wachtlijsten", "/wachtlijsten/groep-vormen", closure)
        text = await outcome_of(coordinator, refused.headers["location"])
        assert "Niet gelukt." in text
        assert "Hier is actie nodig" in (await coordinator.get("/overzicht")).text

        intake = await post_form(
            coordinator, "/ruimte", "/ruimte",
            {"cursus": "klik-en-tik", "groepen": "1", "vanaf": "2027-01-04", "locaties": "Bibliotheek Gouda"},
        )  # fmt: skip
        assert "De ruimte is geopend: 1 groep(en) Klik &amp; Tik" in await outcome_of(
            coordinator, intake.headers["location"]
        )

        for number in (1, 2, 3):
            assert f"plaats {number} van de wachtlijst" in await refer(partner, number)
        rejected = await refer(partner, 3)  # the same referral number again
        assert "Afgewezen." in rejected

        own = await partner.get("/aanmeldingen")
        assert "plaats 3 op de wachtlijst" in own.text
        waiting = await coordinator.get("/wachtlijsten")
        assert "Klik &amp; Tik niveau 1, NT1 (3 wachtend)" in waiting.text

        closed = await post_form(coordinator, "/wachtlijsten", "/wachtlijsten/groep-vormen", closure)
        text = await outcome_of(coordinator, closed.headers["location"])
        assert "Gelukt. Er is een groep gevormd met 3 deelnemers" in text

        groups = await coordinator.get("/groepen")
        assert "Deelnemers (3 van 5)" in groups.text
        assert "Ahmed B." in groups.text
        room = await coordinator.get("/ruimte")
        assert "<td>1</td><td>1</td><td>0</td>" in room.text  # one group of one: used, nothing open

        # The partner withdraws one; the page says what it changed.
        withdrawn = await post_form(
            partner,
            "/aanmeldingen",
            "/aanmeldingen/afmelden",
            {"partner_id": "promen", "aanmelding": "PRM-0002"},
        )
        assert "groep" in (await outcome_of(partner, withdrawn.headers["location"])).lower()

    # The read model, rebuilt from a replay of the same events into a fresh database, is the same.
    events = consumed(tap)
    assert any(e["type"] == "GroupFilled" for e in events)
    fresh = await replayed(events, console_settings.database_url, databases)
    assert await read_model(fresh) == await read_model(console_settings.database_url)


async def test_a_cancellation_scheduling_refuses_shows_its_reason(
    browser: Browser, running_console: Console, console_settings: Settings, namespace: Namespace, rabbit: Any
) -> None:
    group = {
        "group_id": "groep-afzeggen",
        "course": {"type": "klik-en-tik", "level": 1},
        "participants": [{"referral_id": "r-1", "partner_id": "promen", "partner_referral_id": "PRM-0001",
                          "display_name": "Ahmed B."}],
        "contacts": [{"partner_id": "promen",
                      "contact": {"name": "Sanne de Wit", "email": "sanne.dewit@promen.example"}}],
    }  # fmt: skip
    course = course_scheduled_event(group, date.today() + timedelta(days=14))
    for number, session in enumerate(course["data"]["sessions"], start=1):
        session["session_id"] = f"sessie-{number}"
    await publish(rabbit, namespace, course)
    coordinator = browser()
    await log_in(coordinator, "coordinator")
    week = (date.today() + timedelta(days=14)).isoformat()

    async def planned() -> bool:
        return 'id="les-sessie-1"' in (await coordinator.get(f"/rooster?week={week}")).text

    await eventually(planned, what="the course in the console's timetable")
    sent = await post_form(
        coordinator,
        f"/rooster?week={week}",
        "/rooster/afzeggen",
        {"sessie": "sessie-1", "reden": "teacher-ill"},
    )
    assert sent.status_code == 303
    # Scheduling answers that the session cannot be cancelled (it began in the meantime, say).
    refusal = SessionCancellationRefused(
        session_id="sessie-1",
        reason_code="in-the-past",
        reason="Deze les is al begonnen.",
        reason_en="Begun.",
    )
    await publish(rabbit, namespace, new_event(refusal, source="urn:taalhuis:scheduling"))
    text = await outcome_of(coordinator, sent.headers["location"])
    assert "Deze les is al begonnen." in text
    assert 'class="message error"' in text
