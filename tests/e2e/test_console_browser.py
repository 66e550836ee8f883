"""The console in a real browser (Debian's chromium through Playwright), on the four running services.

A coordinator logs in and opens room for a group; a partner's contact person refers employees
on the referral form; the coordinator's early closure is first refused (too few waiting), then
forms the group; scheduling plans it; the coordinator finds the course in the timetable, cancels
a session there and reads the outcome; then opens the term timetable, a referral's history and the
preview of a measure. Another partner sees none of it. Every page shown passes
axe-core's WCAG 2.1 AA rules without serious findings. With `SCREENSHOTS` set to a folder, the
pages are also saved there (the README's pictures in docs/screenshots come from this test).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from aio_pika.abc import AbstractRobustConnection
from playwright.async_api import Browser, Page, expect

from tests.support.broker import Namespace, open_tap
from tests.support.browser import chromium, serious_accessibility_findings
from tests.support.console import consumed, read_model, replayed
from tests.support.databases import Databases

from .conftest import System

pytestmark = pytest.mark.slow

PASSWORD = "demo-wachtwoord-2026"
PLACE = "Bibliotheek Gouda, De Chocoladefabriek"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Visitor:
    """One person at the console, in a browser context of their own; checks each page shown."""

    def __init__(self, page: Page, base: str, name: str, shots: Path | None) -> None:
        self.page, self.base, self.name, self.shots = page, base, name, shots
        self.checked: list[str] = []

    async def go(self, path: str) -> None:
        await self.page.goto(self.base + path)
        await self.check(path)

    async def check(self, label: str) -> None:
        """axe-core on the page as shown now; a screenshot when asked for."""
        findings = await serious_accessibility_findings(self.page)
        assert findings == [], f"{self.name} on {label}: {findings}"
        self.checked.append(label)
        if self.shots is not None:
            slug = label.strip("/").split("?")[0].split(" ")[0].replace("/", "-") or "start"
            taken = sum(1 for _ in self.shots.glob(f"{self.name}-{slug}-*.png"))
            path = self.shots / f"{self.name}-{slug}-{taken + 1}.png"
            await self.page.screenshot(path=str(path), full_page=True)

    async def log_in(self) -> None:
        await self.go("/inloggen")
        await self.page.get_by_label("Naam").fill(self.name)
        await self.page.get_by_label("Wachtwoord").fill(PASSWORD)
        await self.page.get_by_role("button", name="Inloggen").click()
        await expect(self.page.get_by_role("button", name="Uitloggen")).to_be_visible()

    async def outcome(self, expected: str) -> str:
        """The outcome of the action just sent, once the answering event came (the page refreshes)."""
        outcome = self.page.locator("#uitkomst:not([data-wacht])")  # no longer waiting
        await expect(outcome).to_contain_text(re.compile(expected, re.IGNORECASE), timeout=30_000)
        await self.check(self.page.url.removeprefix(self.base))
        return await outcome.inner_text()


async def visitor(browser: Browser, base: str, name: str, shots: Path | None) -> Visitor:
    context = await browser.new_context(locale="nl-NL", viewport={"width": 1100, "height": 900})
    return Visitor(await context.new_page(), base, name, shots)


async def refer(partner: Visitor, number: int) -> None:
    page = partner.page
    await partner.go("/aanmelden")
    await page.get_by_label("Uw aanmeldnummer").fill(f"WEB-{number:04d}")
    await page.get_by_label("Personeelsnummer").fill(f"EMP-W{number:04d}")
    await page.get_by_label("Voornaam").fill(f"Webdeelnemer{number}")
    await page.get_by_label("Achternaam").fill("de Vries")
    await page.get_by_label("Cursus").select_option("klik-en-tik")
    await page.get_by_label("Niveau").select_option("1")
    await page.get_by_label("Taalgroep").select_option("NT1")
    await page.get_by_label("Gemeente waar de medewerker woont").fill("Gouda")
    await page.get_by_label("Ja", exact=True).check()
    await page.get_by_label("De medewerker geeft toestemming").check()
    await page.get_by_label("Naam contactpersoon").fill("Sanne de Wit")
    await page.get_by_label("E-mailadres contactpersoon").fill("sanne.dewit@promen.example")
    await page.get_by_role("button", name="Aanmelding versturen").click()
    await partner.outcome("wachtlijst")


async def add_partner_user(database_url: str, name: str, partner_id: str) -> None:
    """`taalhuis-console add-user` as operations run it, the password on standard input."""
    done = subprocess.run(
        [sys.executable, "-m", "console.entrypoints.users", "add-user", name, "--role", "partner",
         "--partner", partner_id],
        input=PASSWORD + "\n", capture_output=True, text=True, check=False,
        env={**os.environ, "DATABASE_URL": database_url},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"Gebruiker {name} is toegevoegd" in done.stdout


async def test_a_coordinator_and_a_partner_run_a_course_from_the_console(
    system: System, databases: Databases, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    system.database_urls["console"] = await databases.create("console")
    system.env.update({"HTTP_PORT": str(port), "SESSION_COOKIE_SECURE": "false", "DEMO_PASSWORD": PASSWORD})
    await add_partner_user(system.database_urls["console"], "gouwe", "gouwe")
    tap = await open_tap(rabbit, namespace, ["#"])
    await system.start("enrolment", "scheduling", "notifications", "console")
    shots = Path(os.environ["SCREENSHOTS"]) if os.environ.get("SCREENSHOTS") else None

    async with chromium() as browser:
        coordinator = await visitor(browser, base, "coordinator", shots)
        promen = await visitor(browser, base, "promen", shots)
        gouwe = await visitor(browser, base, "gouwe", shots)
        await coordinator.log_in()
        await coordinator.check("/overzicht")

        # Room for one group, from a Monday a few weeks ahead.
        start = date.today() + timedelta(days=28 - date.today().weekday())
        await coordinator.go("/ruimte")
        page = coordinator.page
        await page.get_by_label("Cursus").select_option("klik-en-tik")
        await page.get_by_label("Aantal groepen").fill("1")
        await page.get_by_label("Eerste lesdag vanaf").fill(start.isoformat())
        await page.get_by_label("Locaties (één per regel)").fill(PLACE)
        await page.get_by_role("button", name="Ruimte openen").click()
        await expect(page.locator("#uitkomst")).to_be_visible()
        await coordinator.check("/acties (ruimte)")

        # The partner refers two employees; they wait.
        await promen.log_in()
        for number in (1, 2):
            await refer(promen, number)
        await promen.go("/aanmeldingen")
        await expect(promen.page.get_by_text("WEB-0002")).to_be_visible()

        # Two are too few for a group: the coordinator's early closure is refused, and says why.
        await coordinator.go("/wachtlijsten")
        await page.get_by_role("button", name="Groep nu vormen").click()
        refused = await coordinator.outcome("niet")
        assert "te weinig" in refused.lower() or "minstens" in refused.lower(), refused

        # A third referral, and the early closure forms the group; scheduling plans its course.
        await refer(promen, 3)
        await coordinator.go("/wachtlijsten")
        await page.get_by_role("button", name="Groep nu vormen").click()
        formed = await coordinator.outcome("groep")
        assert "3" in formed, formed
        courses = await tap.wait_for("CourseScheduled", 1, timeout=60)
        await coordinator.go("/groepen")
        await expect(page.get_by_text("Webdeelnemer3", exact=False)).to_be_visible()

        # The timetable shows the first session; the coordinator cancels it there.
        first = min(datetime.fromisoformat(s["start"]) for s in courses[0]["data"]["sessions"])
        session_id = next(
            s["session_id"]
            for s in courses[0]["data"]["sessions"]
            if datetime.fromisoformat(s["start"]) == first
        )
        await coordinator.go(f"/rooster?week={first.date().isoformat()}")
        card = page.locator(f"#les-{session_id}")
        await expect(card).to_contain_text("les 1")
        await card.get_by_role("button", name="Les afzeggen").click()
        cancelled = await coordinator.outcome("afgezegd")
        assert cancelled
        answer = await tap.wait_for("SessionCancelled", 1, timeout=30)
        assert answer[0]["data"]["session"]["session_id"] == session_id
        # The session is no longer on its old day: scheduling gave it a catch-up date.
        await coordinator.go(f"/rooster?week={first.date().isoformat()}")
        await expect(page.locator(f"#les-{session_id}")).to_have_count(0)
        for path in ("/maatregelen", "/logboek", "/overzicht"):
            await coordinator.go(path)

        # The term timetable, linked from the week's: one line per session, with its status.
        await coordinator.go(f"/rooster?week={first.date().isoformat()}")
        await page.get_by_role("link", name="Rooster voor twaalf weken vanaf deze week").click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Rooster van")
        await expect(page.locator("tbody tr").first).to_be_visible()
        await coordinator.check("/rooster/periode")

        # A referral's history, from the groups page: accepted, placed, lesson dates, oldest first.
        await coordinator.go("/groepen")
        await page.get_by_role("link", name="WEB-0001").click()
        history = page.locator("tbody")
        await expect(history).to_contain_text("Aangenomen")
        await expect(history).to_contain_text("Lesdagen gepland")
        await coordinator.check("/aanmeldingen/promen/WEB-0001")
        text = await history.inner_text()
        order = [text.index(line) for line in ("Aangenomen", "In een groep geplaatst", "Lesdagen gepland")]
        assert order == sorted(order), text

        # What a measure would cancel, before it is announced (nothing is sent).
        await coordinator.go("/maatregelen")
        await page.get_by_label("Vanaf", exact=True).fill(first.date().isoformat())
        await page.get_by_label("Reden").fill("Griep in de bibliotheek")
        await page.get_by_role("button", name="Bekijk wat dit afzegt").click()
        await expect(page.get_by_role("heading", name="Wat deze maatregel afzegt")).to_be_visible()
        await expect(page.get_by_role("button", name="Maatregel aankondigen")).to_be_visible()
        await coordinator.check("/maatregelen/bekijken")
        assert not tap.distinct("MeasuresAnnounced")

        # The other partner sees none of promen's referrals, and no coordinator's page.
        await gouwe.log_in()
        await gouwe.go("/aanmeldingen")
        body = await gouwe.page.locator("main").inner_text()
        assert "WEB-000" not in body and "Webdeelnemer" not in body
        response = await gouwe.page.goto(base + "/wachtlijsten")
        assert response is not None and response.status in (403, 404), response and response.status
        await gouwe.go("/aanmelden")

    assert len(tap.distinct("GroupFilled")) == 1
    # The console's read model, rebuilt from a replay of every event it consumed, is the live one.
    live = system.database_urls["console"]
    fresh = await replayed(consumed(tap), live, databases)
    assert await read_model(fresh) == await read_model(live)
    assert {
        "/inloggen", "/ruimte", "/aanmelden", "/aanmeldingen", "/wachtlijsten", "/groepen",
        "/rooster/periode", "/aanmeldingen/promen/WEB-0001", "/maatregelen/bekijken",
    } <= set(coordinator.checked + promen.checked + gouwe.checked)  # fmt: skip
