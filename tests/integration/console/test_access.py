"""Login, CSRF and roles of the console, each tried by someone who wants to get past them."""

from __future__ import annotations

from sqlalchemy import select

from console.adapters.tables import audit
from console.settings import Settings
from tests.integration.console.conftest import Browser, connected, csrf_of, log_in, outbox_count, post_form

REFERRAL_FORM = {
    "aanmeldnummer": "PRM-0001",
    "personeelsnummer": "EMP-0001",
    "voornaam": "Ahmed",
    "achternaam": "Bakker",
    "cursus": "klik-en-tik",
    "niveau": "1",
    "taalgroep": "NT1",
    "woongemeente": "Gouda",
    "werkgemeente": "",
    "lezen_schrijven": "ja",
    "toestemming": "ja",
    "voorkeurslocatie": "",
    "contact_naam": "Sanne de Wit",
    "contact_email": "sanne.dewit@promen.example",
}


async def test_login_works_and_a_wrong_password_is_refused(browser: Browser) -> None:
    client = browser()
    refused = await log_in(client, "coordinator", "niet-het-wachtwoord")
    assert refused.status_code == 401
    assert "De naam of het wachtwoord klopt niet." in refused.text
    assert (await client.get("/overzicht")).status_code == 303  # still logged out: to the login page

    welcome = await log_in(client, "coordinator")
    assert welcome.status_code == 303
    overview = await client.get("/overzicht")
    assert overview.status_code == 200
    assert "Hier is actie nodig" in overview.text
    cookie = welcome.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


async def test_after_five_wrong_passwords_even_the_right_one_is_refused(
    browser: Browser, console_settings: Settings
) -> None:
    client = browser()
    for _ in range(console_settings.login_max_failures):
        assert (await log_in(client, "promen", "fout-fout-fout")).status_code == 401
    locked = await log_in(client, "promen")
    assert locked.status_code == 401
    assert "te vaak een verkeerd wachtwoord" in locked.text
    # Kept in the database, so another process (or browser) agrees.
    assert (await log_in(browser(), "promen")).status_code == 401
    # Another user is not affected.
    assert (await log_in(browser(), "gouwe")).status_code == 303
    async with connected(console_settings) as connection:
        outcomes = (
            (await connection.execute(select(audit.c.outcome).where(audit.c.actor == "promen")))
            .scalars()
            .all()
        )
    assert outcomes.count("wrong-password") == 5 and "refused-throttled" in outcomes


async def test_a_post_without_or_with_a_wrong_csrf_token_is_refused(
    browser: Browser, console_settings: Settings
) -> None:
    client = browser()
    await log_in(client, "coordinator")
    closure = {"cursus": "klik-en-tik", "niveau": "1", "taalgroep": "NT1"}
    missing = await client.post("/wachtlijsten/groep-vormen", data=closure)
    assert missing.status_code == 403
    assert "Dit formulier is verlopen of niet geldig" in missing.text
    wrong = await client.post("/wachtlijsten/groep-vormen", data={**closure, "csrf_token": "geraden"})
    assert wrong.status_code == 403
    # Another browser's token is no good either.
    other = browser()
    other_token = csrf_of(await other.get("/inloggen"))
    assert (
        await client.post("/wachtlijsten/groep-vormen", data={**closure, "csrf_token": other_token})
    ).status_code == 403
    # A login without the token is refused too.
    assert (
        await browser().post("/inloggen", data={"naam": "coordinator", "wachtwoord": "x"})
    ).status_code == 403
    assert await outbox_count(console_settings) == 0
    # With the token of its own page it goes through.
    sent = await post_form(client, "/wachtlijsten", "/wachtlijsten/groep-vormen", closure)
    assert sent.status_code == 303 and sent.headers["location"].startswith("/acties/")
    assert await outbox_count(console_settings) == 1


async def test_a_partner_cannot_act_for_another_partner(browser: Browser, console_settings: Settings) -> None:
    client = browser()
    await log_in(client, "promen")
    forged = await post_form(client, "/aanmelden", "/aanmelden", {**REFERRAL_FORM, "partner_id": "gouwe"})
    assert forged.status_code == 403
    assert "alleen medewerkers van uw eigen organisatie" in forged.text
    withdrawal = await post_form(
        client, "/aanmeldingen", "/aanmeldingen/afmelden", {"partner_id": "gouwe", "aanmelding": "GW-1"}
    )
    assert withdrawal.status_code == 403
    assert await outbox_count(console_settings) == 0

    # Its own referral goes out; another partner cannot see the outcome page of it.
    own = await post_form(client, "/aanmelden", "/aanmelden", {**REFERRAL_FORM, "partner_id": "promen"})
    assert own.status_code == 303
    outcome_page = own.headers["location"]
    assert (await client.get(outcome_page)).status_code == 200
    gouwe = browser()
    await log_in(gouwe, "gouwe")
    assert (await gouwe.get(outcome_page)).status_code == 404
    assert "PRM-0001" not in (await gouwe.get("/aanmeldingen")).text
    # Nor the coordinator's pages.
    assert (await gouwe.get("/wachtlijsten")).status_code == 403


async def test_a_viewer_reads_the_timetable_and_cannot_post(
    browser: Browser, console_settings: Settings
) -> None:
    client = browser()
    await log_in(client, "docent")
    timetable = await client.get("/rooster")
    assert timetable.status_code == 200
    assert "Les afzeggen" not in timetable.text
    token = csrf_of(timetable)
    refused = await client.post(
        "/rooster/afzeggen", data={"sessie": "s-1", "reden": "teacher-ill", "csrf_token": token}
    )
    assert refused.status_code == 403
    assert "U heeft geen toegang" in refused.text
    assert (await client.get("/aanmelden")).status_code == 403
    assert await outbox_count(console_settings) == 0
