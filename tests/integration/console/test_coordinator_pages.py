"""The coordinator's term timetable, a referral's history and a measure's preview, from the read model."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from console.bootstrap import Console
from console.settings import Settings
from taalhuis_shared.events import (
    GroupFilled,
    ParticipantPlaced,
    ReferralAccepted,
    ReferralRejected,
    WithdrawalProcessed,
    new_event,
)
from tests.integration.console.conftest import Browser, log_in, outbox_count, post_form
from tests.support.broker import Namespace, publish
from tests.support.referrals import completion_event, course_scheduled_event
from tests.support.waiting import eventually

COURSE = {"type": "klik-en-tik", "level": 1}
MEMBERS = [
    {"referral_id": f"r-{n}", "partner_id": "promen", "partner_referral_id": f"PRM-000{n}",
     "display_name": f"Deelnemer{n} B."}
    for n in (1, 2, 3)
]  # fmt: skip
GROUP = {
    "group_id": "groep-pagina",
    "course": COURSE,
    "participants": MEMBERS,
    "contacts": [
        {"partner_id": "promen", "contact": {"name": "Sanne de Wit", "email": "sanne.dewit@promen.example"}}
    ],
}
ENROLMENT = "urn:taalhuis:enrolment"


def accepted(number: int, position: int) -> dict[str, Any]:
    data = ReferralAccepted(
        referral_id=f"r-{number}", partner_id="promen", partner_referral_id=f"PRM-000{number}",
        course=COURSE, language_group="NT1", waiting_position=position,
    )  # fmt: skip
    return new_event(data, source=ENROLMENT)


def placed(number: int) -> dict[str, Any]:
    data = ParticipantPlaced(
        referral_id=f"r-{number}", partner_id="promen", partner_referral_id=f"PRM-000{number}",
        course=COURSE, group_id=GROUP["group_id"],
    )  # fmt: skip
    return new_event(data, source=ENROLMENT)


async def scheduled_course(rabbit: Any, namespace: Namespace, first: date) -> dict[str, Any]:
    """A formed group of three with five weekly sessions from `first`, as the console sees it."""
    for number in (1, 2, 3):
        await publish(rabbit, namespace, accepted(number, number))
    filled = GroupFilled.model_validate({**GROUP, "language_group": "NT1", "capacity": 5})
    await publish(rabbit, namespace, new_event(filled, source=ENROLMENT))
    for number in (1, 2, 3):
        await publish(rabbit, namespace, placed(number))
    course = course_scheduled_event(GROUP, first)
    for number, session in enumerate(course["data"]["sessions"], start=1):
        session["session_id"] = f"pagina-{number}"
    await publish(rabbit, namespace, course)
    return course


async def shown(client: Any, url: str, text: str) -> str:
    async def there() -> str | None:
        page = await client.get(url)
        return page.text if text in page.text else None

    return str(await eventually(there, what=f"{text!r} on {url}"))


async def test_the_term_timetable_lists_each_session_with_the_filters_of_the_week(
    browser: Browser, running_console: Console, namespace: Namespace, rabbit: Any
) -> None:
    first = date.today() + timedelta(days=14)
    await scheduled_course(rabbit, namespace, first)
    coordinator = browser()
    await log_in(coordinator, "coordinator")
    # By default this week and the next eleven: all five weekly sessions from two weeks ahead.
    text = await shown(coordinator, "/rooster/periode", 'id="les-pagina-5"')
    assert "5 lessen in deze periode" in text
    assert "Klik &amp; Tik niveau 1, les 1" in text and "Marloes Verbeek" in text
    assert '<th scope="col">Vrijwilligers</th>' in text
    # The same filters as the week's timetable.
    assert "5 lessen" in (await coordinator.get("/rooster/periode?docent=Marloes+Verbeek")).text
    other = await coordinator.get("/rooster/periode?docent=Iemand+anders")
    assert "In deze periode zijn er geen lessen." in other.text
    # A shorter period: only the first session's day.
    one_day = await coordinator.get(f"/rooster/periode?van={first.isoformat()}&tot={first.isoformat()}")
    assert "1 les in deze periode" in one_day.text and 'id="les-pagina-2"' not in one_day.text
    wrong = await coordinator.get(f"/rooster/periode?van={first.isoformat()}&tot=2020-01-01")
    assert wrong.status_code == 400 and "ligt voor" in wrong.text
    # The week's timetable links to it.
    week = await coordinator.get(f"/rooster?week={first.isoformat()}")
    assert 'href="/rooster/periode?van=' in week.text


async def test_a_referrals_history_shows_what_happened_oldest_first(
    browser: Browser, running_console: Console, namespace: Namespace, rabbit: Any
) -> None:
    first = date.today() + timedelta(days=7)
    await scheduled_course(rabbit, namespace, first)
    await publish(rabbit, namespace, completion_event(GROUP, first + timedelta(weeks=4)))
    left = WithdrawalProcessed(
        partner_id="promen", partner_referral_id="PRM-0002", outcome="left-during-course",
        reason="De deelnemer is gestopt met de cursus.", reason_en="Left.",
    )  # fmt: skip
    await publish(rabbit, namespace, new_event(left, source=ENROLMENT))
    rejected = ReferralRejected(
        partner_id="promen", partner_referral_id="PRM-0009", reason_code="municipality-not-served",
        reason="De gemeente doet niet mee.", reason_en="Not served.",
    )  # fmt: skip
    await publish(rabbit, namespace, new_event(rejected, source=ENROLMENT))
    await publish(rabbit, namespace, accepted(4, 1))  # waits: on the waiting lists page

    coordinator = browser()
    await log_in(coordinator, "coordinator")
    text = await shown(coordinator, "/aanmeldingen/promen/PRM-0001", "Cursus afgerond op")
    lines = ["Aangenomen: plaats 1 op de wachtlijst", "In een groep geplaatst", "Lesdagen gepland: 5 lessen",
             "Cursus afgerond op"]  # fmt: skip
    positions = [text.index(line) for line in lines]
    assert positions == sorted(positions), "oldest first"
    assert '<th scope="row">' in text and "Cursus afgerond" in text
    # The partner's referral id in any case finds the same referral.
    assert "Lesdagen gepland" in (await coordinator.get("/aanmeldingen/promen/prm-0001")).text
    withdrawn = await shown(coordinator, "/aanmeldingen/promen/PRM-0002", "Afgemeld:")
    assert "De deelnemer is gestopt met de cursus." in withdrawn
    refused = await shown(coordinator, "/aanmeldingen/promen/PRM-0009", "Afgewezen:")
    assert "Afgewezen: De gemeente doet niet mee." in refused
    assert (await coordinator.get("/aanmeldingen/promen/ONBEKEND")).status_code == 404
    # Linked from the waiting lists and the groups.
    waiting = await shown(coordinator, "/wachtlijsten", "PRM-0004")
    assert 'href="/aanmeldingen/promen/PRM-0004"' in waiting
    groups = await coordinator.get("/groepen")
    assert 'href="/aanmeldingen/promen/PRM-0001"' in groups.text


async def test_the_preview_counts_what_a_measure_would_cancel_and_sends_nothing(
    browser: Browser, running_console: Console, console_settings: Settings, namespace: Namespace, rabbit: Any
) -> None:
    first = date.today() + timedelta(days=14)
    await scheduled_course(rabbit, namespace, first)
    coordinator = browser()
    await log_in(coordinator, "coordinator")
    await shown(coordinator, "/rooster/periode", 'id="les-pagina-5"')
    page = await coordinator.get("/maatregelen")
    assert "Bekijk wat dit afzegt" in page.text and 'formaction="/maatregelen/bekijken"' in page.text

    # Two of the five weekly sessions fall in these two weeks, at this place.
    measure = {
        "vanaf": (first + timedelta(days=7)).isoformat(),
        "tot": (first + timedelta(days=20)).isoformat(),
        "locaties": "Bibliotheek Gouda",
        "reden": "Griep",
    }
    preview = await post_form(coordinator, "/maatregelen", "/maatregelen/bekijken", measure)
    assert preview.status_code == 200
    assert "2 geplande lessen van 1 cursus gaan dan niet door." in preview.text
    row = r"Klik &amp; Tik niveau 1, NT1</th>\s*<td>Bibliotheek Gouda</td><td>2</td>"
    assert re.search(row, preview.text)
    assert 'value="Bibliotheek Gouda"' in preview.text and ">Griep</textarea>" in preview.text
    assert "Maatregel aankondigen</button>" in preview.text
    # Open ended and at every place: the four sessions from the second on.
    everywhere = {**measure, "tot": "", "locaties": ""}
    preview = await post_form(coordinator, "/maatregelen", "/maatregelen/bekijken", everywhere)
    assert "4 geplande lessen van 1 cursus" in preview.text
    # A place the console does not know touches nothing here, and the page says why that may be.
    elsewhere = {**measure, "locaties": "GOUDA-01"}
    preview = await post_form(coordinator, "/maatregelen", "/maatregelen/bekijken", elsewhere)
    assert "Deze maatregel zegt geen geplande lessen af." in preview.text
    assert "Is het een locatiecode?" in preview.text
    assert await outbox_count(console_settings) == 0  # nothing was sent


async def test_partners_and_viewers_cannot_open_the_coordinators_new_pages(
    browser: Browser, running_console: Console, console_settings: Settings
) -> None:
    for name in ("promen", "docent"):
        client = browser()
        await log_in(client, name)
        for url in ("/rooster/periode", "/aanmeldingen/promen/PRM-0001"):
            refused = await client.get(url)
            assert refused.status_code == 403, (name, url)
            assert "U heeft geen toegang" in refused.text
        page = "/aanmeldingen" if name == "promen" else "/rooster"
        sent = await post_form(client, page, "/maatregelen/bekijken", {"vanaf": "2027-01-04", "reden": "x"})
        assert sent.status_code == 403
        week = await client.get("/rooster")
        assert "/rooster/periode" not in week.text
    # Not logged in: to the login page.
    assert (await browser().get("/rooster/periode")).headers["location"] == "/inloggen"
    assert await outbox_count(console_settings) == 0
