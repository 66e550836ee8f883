"""The console's web pages (FastAPI, Jinja2, plain HTML forms): login, coordinator, partner, viewer.

Every POST carries the session's CSRF token; every page checks the role of the person logged in.
Actions are sent through `Actions.send` (outbox), and the browser is sent on to `/acties/<id>`,
which shows the answer once it arrived in the read model; until then a small script looks again
every few seconds and updates only the status region (no page reload: WCAG 2.2.1).
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.middleware.sessions import SessionMiddleware

from taalhuis_shared.events import (
    EarlyClosureRequested,
    IntakeOpened,
    MeasuresAnnounced,
    MeasuresLifted,
    ReferralSubmitted,
    ReferralWithdrawn,
    SessionCancellationRequested,
)
from taalhuis_shared.events.problems import describe_errors

from ..domain import model
from ..domain.model import CommandKind, Role, User, correlation
from ..service_layer.actions import Actions, Uow
from ..settings import Settings

PACKAGE = Path(__file__).resolve().parent.parent
LIBRARY_ZONE = ZoneInfo("Europe/Amsterdam")
PENDING_REFRESH_SECONDS = 2
# After this long without an answer the page says what may have gone wrong.
ANSWER_EXPECTED_WITHIN = timedelta(minutes=2)
SESSION_HOURS = 8
TERM_WEEKS = 12  # the term timetable by default: this week and the next eleven
MAX_TERM_DAYS = 366


class Redirect(Exception):  # noqa: N818 - a control-flow signal, not an error
    def __init__(self, url: str) -> None:
        self.url = url


class Refused(Exception):  # noqa: N818
    """The page says, in Dutch, why this is not allowed; nothing happened."""

    def __init__(self, message: str, status: int = 403) -> None:
        self.message = message
        self.status = status


def build_web(settings: Settings, actions: Actions, unit_of_work: Callable[[], Uow]) -> FastAPI:
    app = FastAPI(title="Taalhuis console", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=str(PACKAGE / "templates"))
    templates.env.globals.update(
        course_name=model.course_name,
        language_name=model.language_name,
        dutch_date=model.dutch_date,
        local=lambda moment: moment.astimezone(LIBRARY_ZONE),
        referral_status=model.REFERRAL_STATUS,
        group_status=model.GROUP_STATUS,
        kind_titles=model.KIND_TITLES,
    )
    app.mount("/static", StaticFiles(directory=str(PACKAGE / "static")), name="static")

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
        return response

    # Added last, so it runs first: the session is there for everything above.
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret,
        session_cookie="taalhuis_console",
        max_age=SESSION_HOURS * 3600,
        same_site="strict",
        https_only=settings.session_cookie_secure,
    )

    @app.exception_handler(Redirect)
    async def redirect(request: Request, exc: Redirect) -> Response:
        return RedirectResponse(exc.url, status_code=303)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        user = await _current_user(request, unit_of_work)
        return page(request, "error.html", user, {"message": exc.message}, status=exc.status)

    def csrf_token(request: Request) -> str:
        token = request.session.get("csrf")
        if not isinstance(token, str):
            token = secrets.token_urlsafe(32)
            request.session["csrf"] = token
        return token

    def page(
        request: Request, template: str, user: User | None, context: dict[str, Any], status: int = 200
    ) -> Response:
        return templates.TemplateResponse(
            request,
            template,
            {"user": user, "csrf_token": csrf_token(request), **context},
            status_code=status,
        )

    async def checked_form(request: Request) -> FormData:
        """The posted form, after its CSRF token matched the session's."""
        form = await request.form()
        sent = form.get("csrf_token")
        expected = request.session.get("csrf")
        if not (
            isinstance(sent, str) and isinstance(expected, str) and secrets.compare_digest(sent, expected)
        ):
            raise Refused(
                "Dit formulier is verlopen of niet geldig. Laad de pagina opnieuw en probeer het nog eens.",
                403,
            )
        return form

    async def logged_in(request: Request, *roles: Role) -> User:
        user = await _current_user(request, unit_of_work)
        if user is None:
            raise Redirect("/inloggen")
        if roles and user.role not in roles:
            raise Refused("U heeft geen toegang tot deze pagina of actie.")
        return user

    async def acting(request: Request, *roles: Role) -> tuple[User, FormData]:
        """A POST by a logged-in user of one of `roles`: CSRF first, then the role."""
        form = await checked_form(request)
        user = await logged_in(request, *roles)
        return user, form

    def sent(command_id: str) -> Response:
        return RedirectResponse(f"/acties/{command_id}", status_code=303)

    # --- login ------------------------------------------------------------------------------------

    @app.get("/inloggen", response_class=HTMLResponse)
    async def login_page(request: Request) -> Response:
        return page(request, "login.html", None, {"message": ""})

    @app.post("/inloggen")
    async def login(request: Request) -> Response:
        form = await checked_form(request)
        name, password = _text(form, "naam"), _text(form, "wachtwoord", strip=False)
        result = await actions.log_in(name, password)
        if result.user is None:
            return page(request, "login.html", None, {"message": result.message, "naam": name}, status=401)
        request.session.clear()  # a new session at login: nothing from before carries over
        request.session["user"] = result.user.name
        return RedirectResponse("/", status_code=303)

    @app.post("/uitloggen")
    async def logout(request: Request) -> Response:
        await checked_form(request)
        user = await _current_user(request, unit_of_work)
        if user is not None:
            await actions.audit(user, "logout", "ok")
        request.session.clear()
        return RedirectResponse("/inloggen", status_code=303)

    @app.get("/")
    async def home(request: Request) -> Response:
        user = await logged_in(request)
        start = {Role.COORDINATOR: "/overzicht", Role.PARTNER: "/aanmeldingen", Role.VIEWER: "/rooster"}
        return RedirectResponse(start[user.role], status_code=303)

    # --- coordinator --------------------------------------------------------------------------------

    @app.get("/overzicht", response_class=HTMLResponse)
    async def overview(request: Request) -> Response:
        user = await logged_in(request, Role.COORDINATOR)
        async with unit_of_work() as uow:
            notices = await uow.repository.notices()
            commands = await uow.repository.commands_of(None, limit=20)
        return page(request, "overview.html", user, {"notices": notices, "commands": commands})

    @app.get("/wachtlijsten", response_class=HTMLResponse)
    async def waiting_lists(request: Request) -> Response:
        user = await logged_in(request, Role.COORDINATOR)
        async with unit_of_work() as uow:
            waiting = await uow.repository.waiting()
        lists: dict[tuple[str, int, str | None], list[Any]] = {}
        for row in waiting:
            lists.setdefault((row.course_type, row.level, row.language_group), []).append(row)
        now = actions.clock.now()
        return page(request, "waiting.html", user, {"lists": lists, "waited": lambda s: model.waited(s, now)})

    @app.post("/wachtlijsten/groep-vormen")
    async def close_early(request: Request) -> Response:
        user, form = await acting(request, Role.COORDINATOR)
        language = _text(form, "taalgroep") or None
        data = _valid(
            EarlyClosureRequested,
            {
                "course": {"type": _text(form, "cursus"), "level": _text(form, "niveau")},
                "language_group": language,
            },
        )
        label = f"{model.course_name(data.course.type, data.course.level)} ({model.language_name(language)})"
        key = correlation(data.course.type, data.course.level, data.language_group)
        return sent(await actions.send(user, CommandKind.EARLY_CLOSURE, data, correlation=key, label=label))

    @app.get("/aanmeldingen/{partner_id}/{partner_referral_id:path}", response_class=HTMLResponse)
    async def referral_history(request: Request, partner_id: str, partner_referral_id: str) -> Response:
        user = await logged_in(request, Role.COORDINATOR)
        key = correlation(partner_referral_id)
        async with unit_of_work() as uow:
            referral = await uow.repository.referral(partner_id, key)
            history = await uow.repository.referral_history(partner_id, key)
            group = await uow.repository.group(referral.group_id) if referral and referral.group_id else None
        if referral is None and not history:
            raise Refused("Deze aanmelding staat niet in de console.", 404)
        return page(
            request,
            "referral_history.html",
            user,
            {"partner_id": partner_id, "partner_referral_id": referral.partner_referral_id if referral
             else partner_referral_id, "referral": referral, "history": history, "group": group},
        )  # fmt: skip

    @app.get("/ruimte", response_class=HTMLResponse)
    async def intakes_page(request: Request) -> Response:
        user = await logged_in(request, Role.COORDINATOR)
        async with unit_of_work() as uow:
            intakes = await uow.repository.intakes()
        return page(
            request, "intakes.html", user, {"intakes": intakes, "course_types": settings.course_types}
        )

    @app.post("/ruimte")
    async def open_intake(request: Request) -> Response:
        user, form = await acting(request, Role.COORDINATOR)
        course_type, from_date = _text(form, "cursus"), _text(form, "vanaf")
        locations = [line.strip() for line in _text(form, "locaties").splitlines() if line.strip()]
        data = _valid(
            IntakeOpened,
            {
                "intake_id": f"{course_type}-{from_date}-{uuid.uuid4().hex[:6]}",
                "course_type": course_type,
                "groups": _text(form, "groepen"),
                "from_date": from_date,
                "locations": locations,
            },
        )
        course = model.course_name(data.course_type)
        label = f"{data.groups} groep(en) {course} vanaf {model.dutch_date(data.from_date)}"
        return sent(
            await actions.send(
                user, CommandKind.INTAKE, data, correlation=correlation(data.intake_id), label=label
            )
        )

    @app.get("/groepen", response_class=HTMLResponse)
    async def groups_page(request: Request) -> Response:
        user = await logged_in(request, Role.COORDINATOR)
        async with unit_of_work() as uow:
            groups = await uow.repository.groups()
            sessions = {
                g.course_id: await uow.repository.sessions_of_course(g.course_id)
                for g in groups
                if g.course_id
            }
        return page(request, "groups.html", user, {"groups": groups, "sessions": sessions})

    @app.get("/rooster", response_class=HTMLResponse)
    async def timetable(request: Request) -> Response:
        user = await logged_in(request)
        week = _week(request.query_params.get("week"))
        filters = _filters(request)
        async with unit_of_work() as uow:
            if week is None:
                today = actions.clock.now().astimezone(LIBRARY_ZONE).date()
                week = model.monday_of(today)
                start = datetime.combine(week, time(0), LIBRARY_ZONE)
                if not await uow.repository.sessions_between(start, start + timedelta(days=7)):
                    upcoming = await uow.repository.next_session_after(start)
                    if upcoming is not None:
                        week = model.monday_of(upcoming.astimezone(LIBRARY_ZONE).date())
            start = datetime.combine(week, time(0), LIBRARY_ZONE)
            rows = await uow.repository.sessions_between(start, start + timedelta(days=7))
            places, teachers, volunteers = await uow.repository.staff_names()
        rows = _filtered(rows, filters)
        days: dict[date, list[Any]] = {}
        for row in rows:
            days.setdefault(row.starts_at.astimezone(LIBRARY_ZONE).date(), []).append(row)
        return page(
            request,
            "timetable.html",
            user,
            {
                "week": week,
                "previous": week - timedelta(days=7),
                "next": week + timedelta(days=7),
                "days": days,
                "filters": filters,
                "places": places,
                "teachers": teachers,
                "volunteers": volunteers,
                "reasons": model.CANCELLATION_REASONS,
                "now": actions.clock.now(),
            },
        )

    @app.get("/rooster/periode", response_class=HTMLResponse)
    async def term_timetable(request: Request) -> Response:
        user = await logged_in(request, Role.COORDINATOR)
        today = actions.clock.now().astimezone(LIBRARY_ZONE).date()
        first, last = _term(request.query_params.get("van"), request.query_params.get("tot"), today)
        filters = _filters(request)
        async with unit_of_work() as uow:
            rows = await uow.repository.sessions_between(
                datetime.combine(first, time(0), LIBRARY_ZONE),
                datetime.combine(last + timedelta(days=1), time(0), LIBRARY_ZONE),
            )
            places, teachers, volunteers = await uow.repository.staff_names()
        return page(
            request,
            "term.html",
            user,
            {"first": first, "last": last, "rows": _filtered(rows, filters), "filters": filters,
             "places": places, "teachers": teachers, "volunteers": volunteers},
        )  # fmt: skip

    @app.post("/rooster/afzeggen")
    async def cancel_session(request: Request) -> Response:
        user, form = await acting(request, Role.COORDINATOR)
        session_id, reason_code = _text(form, "sessie"), _text(form, "reden")
        if reason_code not in model.CANCELLATION_REASONS:
            raise Refused("Kies een reden om de les af te zeggen.", 400)
        async with unit_of_work() as uow:
            session = await uow.repository.session(session_id)
        if session is None:
            raise Refused("Deze les staat niet in het rooster.", 404)
        data = _valid(
            SessionCancellationRequested,
            {
                "session_id": session_id,
                "reason_code": reason_code,
                "reason": model.CANCELLATION_REASONS[reason_code],
            },
        )
        day = model.dutch_date(session.starts_at.astimezone(LIBRARY_ZONE).date(), weekday=True)
        label = f"Les {session.number} op {day}, {session.location}"
        key = correlation(session_id)
        return sent(
            await actions.send(user, CommandKind.SESSION_CANCELLATION, data, correlation=key, label=label)
        )

    @app.get("/maatregelen", response_class=HTMLResponse)
    async def measures_page(request: Request) -> Response:
        user = await logged_in(request, Role.COORDINATOR)
        async with unit_of_work() as uow:
            measures = await uow.repository.measures()
        return page(request, "measures.html", user, {"measures": measures, "values": {}, "preview": None})

    @app.post("/maatregelen")
    async def announce_measures(request: Request) -> Response:
        user, form = await acting(request, Role.COORDINATOR)
        locations = [part.strip() for part in _text(form, "locaties").split(",") if part.strip()]
        data = _valid(
            MeasuresAnnounced,
            {
                "measure_id": f"maatregel-{uuid.uuid4().hex[:8]}",
                "from_date": _text(form, "vanaf"),
                "until_date": _text(form, "tot") or None,
                "locations": locations,
                "reason": _text(form, "reden"),
            },
        )
        label = f"Maatregel vanaf {model.dutch_date(data.from_date)}"
        key = correlation(data.measure_id)
        return sent(await actions.send(user, CommandKind.MEASURES, data, correlation=key, label=label))

    @app.post("/maatregelen/bekijken", response_class=HTMLResponse)
    async def preview_measures(request: Request) -> Response:
        """What the measure would cancel, from the read model; nothing is sent."""
        user, form = await acting(request, Role.COORDINATOR)
        values = {key: _text(form, key) for key in ("vanaf", "tot", "locaties", "reden")}
        first = _date(values["vanaf"])
        if first is None:
            raise Refused("Vul bij 'Vanaf' een datum in (JJJJ-MM-DD).", 400)
        last = _date(values["tot"]) if values["tot"] else None
        if values["tot"] and last is None:
            raise Refused("De datum bij 'Tot en met' klopt niet. Schrijf hem als JJJJ-MM-DD.", 400)
        if last is not None and last < first:
            raise Refused("'Tot en met' ligt voor 'Vanaf'. Kies een latere einddatum.", 400)
        locations = [part.strip() for part in values["locaties"].split(",") if part.strip()]
        now = actions.clock.now()
        start = max(now, datetime.combine(first, time(0), LIBRARY_ZONE))
        async with unit_of_work() as uow:
            end = (
                datetime.combine(last + timedelta(days=1), time(0), LIBRARY_ZONE)
                if last is not None
                else await uow.repository.last_session_end()
            )
            rows = await uow.repository.sessions_between(start, end) if end and end > start else []
            measures = await uow.repository.measures()
            known = set((await uow.repository.staff_names())[0])
        touched = model.touched_by_measure(rows, locations)
        return page(
            request,
            "measures.html",
            user,
            {"measures": measures, "values": values, "preview": model.per_course(touched),
             "touched": len(touched), "unknown": [p for p in locations if p not in known],
             "first": first, "last": last},
        )  # fmt: skip

    @app.post("/maatregelen/opheffen")
    async def lift_measures(request: Request) -> Response:
        user, form = await acting(request, Role.COORDINATOR)
        data = _valid(
            MeasuresLifted, {"measure_id": _text(form, "maatregel"), "from_date": _text(form, "vanaf")}
        )
        label = f"Maatregel opheffen vanaf {model.dutch_date(data.from_date)}"
        key = correlation(data.measure_id)
        return sent(await actions.send(user, CommandKind.MEASURES_LIFTED, data, correlation=key, label=label))

    @app.get("/logboek", response_class=HTMLResponse)
    async def audit_page(request: Request) -> Response:
        user = await logged_in(request, Role.COORDINATOR)
        async with unit_of_work() as uow:
            trail = await uow.repository.audit_trail()
        return page(request, "audit.html", user, {"trail": trail})

    # --- partner ------------------------------------------------------------------------------------

    def referral_form(
        request: Request, user: User, values: dict[str, str], errors: str, status: int = 200
    ) -> Response:
        return page(
            request,
            "referral_form.html",
            user,
            {"values": values, "errors": errors, "course_types": settings.course_types,
             "levels": range(1, settings.course_levels + 1)},
            status=status,
        )  # fmt: skip

    @app.get("/aanmelden", response_class=HTMLResponse)
    async def referral_page(request: Request) -> Response:
        user = await logged_in(request, Role.PARTNER)
        return referral_form(request, user, {"lezen_schrijven": "ja"}, "")

    @app.post("/aanmelden")
    async def refer(request: Request) -> Response:
        user, form = await acting(request, Role.PARTNER)
        partner_id = _text(form, "partner_id")
        if not user.may_act_for(partner_id):
            await actions.audit(user, "referral", "refused-other-partner")
            raise Refused(
                "U kunt alleen medewerkers van uw eigen organisatie aanmelden. Er is niets verstuurd."
            )
        values = {key: _text(form, key) for key in REFERRAL_FIELDS}
        try:
            data = ReferralSubmitted.model_validate(_referral_data(partner_id, values))
        except ValidationError as error:
            return referral_form(request, user, values, describe_errors(error)[0], status=400)
        key = correlation(partner_id, data.partner_referral_id)
        label = f"Aanmelding {data.partner_referral_id}"
        return sent(
            await actions.send(
                user, CommandKind.REFERRAL, data, correlation=key, label=label, partner_id=partner_id
            )
        )

    @app.get("/aanmeldingen", response_class=HTMLResponse)
    async def referrals_page(request: Request) -> Response:
        user = await logged_in(request, Role.PARTNER)
        assert user.partner_id is not None
        async with unit_of_work() as uow:
            own = await uow.repository.referrals_of(user.partner_id)
            waiting = await uow.repository.waiting()
            commands = [c for c in await uow.repository.commands_of(user.partner_id) if c.outcome is None]
            dates = {}
            for referral in own:
                if referral.group_id and referral.status in ("placed", "completed"):
                    group = await uow.repository.group(referral.group_id)
                    if group is not None and group.course_id:
                        dates[referral.group_id] = await uow.repository.sessions_of_course(group.course_id)
        return page(
            request,
            "referrals.html",
            user,
            {"referrals": own, "positions": _positions(waiting), "pending": commands, "dates": dates},
        )

    @app.post("/aanmeldingen/afmelden")
    async def withdraw(request: Request) -> Response:
        user, form = await acting(request, Role.PARTNER)
        partner_id = _text(form, "partner_id")
        if not user.may_act_for(partner_id):
            await actions.audit(user, "withdrawal", "refused-other-partner")
            raise Refused(
                "U kunt alleen aanmeldingen van uw eigen organisatie afmelden. Er is niets verstuurd."
            )
        data = _valid(
            ReferralWithdrawn, {"partner_id": partner_id, "partner_referral_id": _text(form, "aanmelding")}
        )
        key = correlation(partner_id, data.partner_referral_id)
        label = f"Afmelding {data.partner_referral_id}"
        return sent(
            await actions.send(
                user, CommandKind.WITHDRAWAL, data, correlation=key, label=label, partner_id=partner_id
            )
        )

    # --- outcome of an action --------------------------------------------------------------------------

    @app.get("/acties/{command_id}", response_class=HTMLResponse)
    async def outcome(request: Request, command_id: str) -> Response:
        user = await logged_in(request, Role.COORDINATOR, Role.PARTNER)
        async with unit_of_work() as uow:
            command = await uow.repository.command(command_id)
        if command is None or not (user.is_coordinator or command.partner_id == user.partner_id):
            raise Refused("Deze actie bestaat niet, of u mag haar niet zien.", 404)
        kind = CommandKind(command.kind)
        late = command.outcome is None and actions.clock.now() - command.sent_at > ANSWER_EXPECTED_WITHIN
        return page(
            request,
            "command.html",
            user,
            {"command": command, "kind": kind, "pending": model.pending_text(kind), "late": late,
             "refresh": PENDING_REFRESH_SECONDS if command.outcome is None else None},
        )  # fmt: skip

    return app


async def _current_user(request: Request, unit_of_work: Callable[[], Uow]) -> User | None:
    name = request.session.get("user") if "session" in request.scope else None
    if not isinstance(name, str):
        return None
    async with unit_of_work() as uow:
        found = await uow.repository.user(name)
    return found[0] if found else None


def _text(form: FormData, name: str, strip: bool = True) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    return value.strip() if strip else value


def _valid(model_class: Any, data: dict[str, Any]) -> Any:
    try:
        return model_class.model_validate(data)
    except ValidationError as error:
        raise Refused(f"Dit is niet goed ingevuld: {describe_errors(error)[0]}", 400) from error


def _week(value: str | None) -> date | None:
    day = _date(value)
    return None if day is None else model.monday_of(day)


def _date(value: str | None) -> date | None:
    if value and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _term(first_text: str | None, last_text: str | None, today: date) -> tuple[date, date]:
    """The term timetable's first and last day: by default this week and the next eleven."""
    first = _date(first_text) if first_text else model.monday_of(today)
    if first is None:
        raise Refused("De datum bij 'Van' klopt niet. Schrijf hem als JJJJ-MM-DD.", 400)
    last = _date(last_text) if last_text else first + timedelta(weeks=TERM_WEEKS, days=-1)
    if last is None:
        raise Refused("De datum bij 'Tot en met' klopt niet. Schrijf hem als JJJJ-MM-DD.", 400)
    if last < first:
        raise Refused("'Tot en met' ligt voor 'Van'. Kies een latere einddatum.", 400)
    if (last - first).days > MAX_TERM_DAYS:
        raise Refused("Kies een periode van hoogstens een jaar.", 400)
    return first, last


def _filters(request: Request) -> dict[str, str]:
    return {key: request.query_params.get(key, "") for key in ("plaats", "docent", "vrijwilliger")}


def _filtered(rows: Any, filters: dict[str, str]) -> list[Any]:
    """The timetable's sessions of the chosen place, teacher and volunteer (empty: all)."""
    return [
        r for r in rows
        if (not filters["plaats"] or r.location == filters["plaats"])
        and (not filters["docent"] or r.teacher == filters["docent"])
        and (not filters["vrijwilliger"] or filters["vrijwilliger"] in r.volunteers)
    ]  # fmt: skip


def _positions(waiting: Any) -> dict[tuple[str, str], int]:
    """Each waiting referral's place on its list now: (partner id, partner referral key) -> N."""
    positions: dict[tuple[str, str], int] = {}
    counts: dict[tuple[Any, ...], int] = {}
    for row in waiting:
        key = (row.course_type, row.level, row.language_group)
        counts[key] = counts.get(key, 0) + 1
        positions[(row.partner_id, row.partner_referral_key)] = counts[key]
    return positions


REFERRAL_FIELDS = (
    "aanmeldnummer", "personeelsnummer", "voornaam", "achternaam", "cursus", "niveau", "taalgroep",
    "woongemeente", "werkgemeente", "lezen_schrijven", "toestemming", "voorkeurslocatie",
    "contact_naam", "contact_email",
)  # fmt: skip


def _referral_data(partner_id: str, values: dict[str, str]) -> dict[str, Any]:
    """The form, as the same `ReferralSubmitted` a partner's own system sends."""
    return {
        "partner_id": partner_id,
        "partner_referral_id": values["aanmeldnummer"],
        "participant": {
            "employee_reference": values["personeelsnummer"],
            "given_name": values["voornaam"],
            "family_name": values["achternaam"],
        },
        "course": {"type": values["cursus"], "level": values["niveau"]},
        "municipality_of_residence": values["woongemeente"] or None,
        "municipality_of_work": values["werkgemeente"] or None,
        "can_read_and_write_a_little": values["lezen_schrijven"] == "ja",
        "consent_to_share_data": values["toestemming"] == "ja",
        "language_group": values["taalgroep"] or None,
        "preferred_locations": [values["voorkeurslocatie"]] if values["voorkeurslocatie"] else [],
        "contact": {"name": values["contact_naam"], "email": values["contact_email"]},
    }
