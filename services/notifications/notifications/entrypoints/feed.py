"""The staff's calendar feeds over HTTP: `GET /agenda/<token>.ics` gives one person's sessions.

A teacher or volunteer subscribes to their feed in their calendar app (the link is in their
course mail), so a lost or unread mail does not mean a missed session: the app reads the feed
again by itself and shows every session as notifications knows it now. The token is an HMAC of
the address (`FEED_SECRET`), so the URL says nothing about whose it is and cannot be guessed; an
unknown token gets 404, the same as a person with no sessions (nothing tells them apart).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from taalhuis_shared.clock import Clock

from ..adapters.repository import known_groups
from ..domain import calendar, groups
from ..domain.notices import Audience
from ..domain.wording import Words


def feed_app(
    engine: AsyncEngine,
    links: calendar.FeedLinks,
    *,
    audience: Audience,
    mail_from: str,
    timezone: ZoneInfo,
    clock: Clock,
) -> Starlette:
    async def agenda(request: Request) -> Response:
        token = str(request.path_params["token"])
        async with engine.connect() as connection:
            known = await known_groups(connection)
        names = {person["email"].casefold(): person["name"] for _, staff in known for person in staff}
        address = calendar.holder_of(token, groups.staff_addresses(group for group, _ in known), links.secret)
        found = [series for group, _ in known if address and (series := groups.series_for(group, address))]
        if address is None or not found:
            return PlainTextResponse("Deze agenda bestaat niet (meer).", status_code=404)
        body = calendar.feed(
            found,
            organizer=mail_from,
            attendee=address,
            attendee_name=names.get(address),
            words=Words(audience.language_of(address), timezone),
            now=clock.now(),
        )
        # No caching in between: the app asks again and gets what is known now.
        return Response(body, media_type="text/calendar", headers={"Cache-Control": "no-store"})

    return Starlette(routes=[Route("/agenda/{token}.ics", agenda, methods=["GET"])])
