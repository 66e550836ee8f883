"""Calendar invitations for staff (RFC 5545, iTIP RFC 5546, iMIP RFC 6047), built with icalendar.

A calendar keeps an invitation as one object with one UID (CalDAV, RFC 4791 §4.1): an object of
five events with five UIDs is refused by a CalDAV server, and Outlook reads only the first. So
a course is one recurring event per staff member: one UID (the course and the person), the
sessions' first dates as its recurrence set (DTSTART and RDATE), each session as an override
(RECURRENCE-ID: the session's first date, for good) with its real times, place and number, and
a cancelled session excluded (EXDATE). Every invitation carries the whole series as known at
that moment, with a SEQUENCE that grows with every change (`groups.series_for`): whether a
calendar replaces the stored object with it (a CalDAV PUT) or merges its components (iTIP),
it ends with the same sessions, none twice. A series whose sessions are all cancelled (a
paused course) is a CANCEL of the whole event; when it resumes a REQUEST brings it back.

Why not one message per session: a new course would be five mails, a lockdown twenty-five to
one teacher, where one mail per person is the rule. Why the person in the UID: a volunteer works
at some sessions of a course, not all; each person's calendar holds their own sessions.

A staff notice carries the person's series (`series` in its payload, from `groups.series_for`);
notices written before series existed have none, and their mail goes without an invitation.

Outside the library a session starts for its staff with the set-up and ends with the packing
up (as long as the set-up); the description says when the lesson itself is. Times are in
Europe/Amsterdam with its VTIMEZONE, the text in the attendee's language.
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from icalendar import Calendar, Event, vCalAddress, vText

from .notices import one_line

if TYPE_CHECKING:
    from .wording import Words

PRODID = "-//Taalhuis//notifications//NL"


def _person(address: str, name: str | None) -> vCalAddress:
    person = vCalAddress(f"mailto:{address}")
    if name:
        # A parameter value cannot hold a double quote.
        person.params["cn"] = vText(one_line(name).replace('"', "'"))
    return person


def series_uid(course_id: str, attendee: str) -> str:
    """One course in one person's calendar; the address only as a digest (a UID is shown and copied)."""
    person = hashlib.sha256(attendee.casefold().encode()).hexdigest()[:12]
    return f"{course_id}-{person}@taalhuis"


def _latest_series(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each course's series once: the newest the batch holds (the highest sequence, else the last)."""
    found: dict[str, dict[str, Any]] = {}
    for item in items:
        series = item.get("series")
        if not series:
            continue
        known = found.get(series["course_id"])
        if known is None or series["sequence"] >= known["sequence"]:
            found[series["course_id"]] = series
    return list(found.values())


def invitations(
    items: Sequence[dict[str, Any]],
    *,
    organizer: str,
    attendee: str,
    attendee_name: str | None,
    words: Words,
    now: datetime,
) -> list[bytes]:
    """The .ics objects for one staff mail: one per course it concerns; none for a pause or a group change."""
    found = []
    for series in _latest_series(items):
        calendar = _calendar("REQUEST" if _active(series) else "CANCEL")
        for component in _series(series, organizer, attendee, attendee_name, words=words, now=now):
            calendar.add_component(component)
        found.append(_finished(calendar, series, words))
    return found


def feed(
    everything: Sequence[dict[str, Any]],
    *,
    organizer: str,
    attendee: str,
    attendee_name: str | None,
    words: Words,
    now: datetime,
) -> bytes:
    """One person's calendar feed: every course series of theirs with a session still to give.

    The same events (UIDs, overrides) as their invitations, so a calendar app that has both
    shows each session once per calendar; no iTIP method (a feed is read, not answered).
    """
    calendar = _calendar(None)
    calendar.add("x-wr-calname", words.t.gettext("Taalhuis: my sessions"))
    first_years = []
    for series in everything:
        if not _active(series):
            continue
        for component in _series(series, organizer, attendee, attendee_name, words=words, now=now):
            calendar.add_component(component)
        first_years.append(min(_at(s["first_start"], words) for s in series["sessions"]).year)
    if first_years:
        calendar.add_missing_timezones(date(min(first_years) - 1, 1, 1), date(max(first_years) + 2, 1, 1))
    return bytes(calendar.to_ical())


def feed_token(secret: str, address: str) -> str:
    """The secret part of a person's feed URL: whoever has it reads that person's sessions."""
    return hmac.new(secret.encode(), address.casefold().encode(), hashlib.sha256).hexdigest()[:32]


def holder_of(token: str, addresses: Iterable[str], secret: str) -> str | None:
    """Whose feed the token opens, if anyone's (compared in constant time)."""
    return next((a for a in sorted(addresses) if hmac.compare_digest(feed_token(secret, a), token)), None)


@dataclass(frozen=True)
class FeedLinks:
    """Where the staff's feeds are served (`FEED_BASE_URL`) and the secret their tokens come from."""

    base_url: str
    secret: str

    def url_for(self, address: str) -> str:
        return f"{self.base_url.rstrip('/')}/agenda/{feed_token(self.secret, address)}.ics"


def _calendar(method: str | None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    if method is not None:
        calendar.add("method", method)
    return calendar


def _finished(calendar: Calendar, series: dict[str, Any], words: Words) -> bytes:
    first = min(_at(s["first_start"], words) for s in series["sessions"])
    # The zone's rules around the course only: from 1970 on, the VTIMEZONE lists 60 years.
    calendar.add_missing_timezones(date(first.year - 1, 1, 1), date(first.year + 2, 1, 1))
    return bytes(calendar.to_ical())


def _active(series: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in series["sessions"] if not s["cancelled"]]


def _at(iso: str, words: Words) -> datetime:
    return datetime.fromisoformat(iso).astimezone(words.timezone)


def _series(
    series: dict[str, Any],
    organizer: str,
    attendee: str,
    attendee_name: str | None,
    *,
    words: Words,
    now: datetime,
) -> list[Event]:
    """The series' events: the course itself, then each session still to give as an override."""
    sessions = series["sessions"]
    active = _active(series)

    def at(iso: str) -> datetime:
        return _at(iso, words)

    def common(event: Event) -> Event:
        event.add("uid", series_uid(series["course_id"], attendee))
        event.add("sequence", series["sequence"])
        event.add("dtstamp", now.astimezone(UTC))  # when the invitation was made, by the service's clock
        event.add("organizer", _person(organizer_address(organizer), "Taalhuis"))
        person = _person(attendee, attendee_name)
        person.params["role"] = vText("REQ-PARTICIPANT")
        person.params["rsvp"] = vText("FALSE")
        event.add("attendee", person)
        return event

    title = words.title(series["course"])
    first = min(at(s["first_start"]) for s in sessions)
    master = common(Event())
    master.add("summary", title)
    master.add("dtstart", first)
    if not active:
        master.add("status", "CANCELLED")
        return [master]
    lesson = active[0]
    master.add("dtend", first + (at(lesson["end"]) - at(lesson["start"])))
    master.add("location", words.place(lesson))
    master.add("status", "CONFIRMED")
    others = sorted({at(s["first_start"]) for s in sessions} - {first})
    if others:
        master.add("rdate", others)
    cancelled = sorted(at(s["first_start"]) for s in sessions if s["cancelled"])
    if cancelled:
        master.add("exdate", cancelled)
    return [master, *(_occurrence(common(Event()), session, title, words, at) for session in active)]


def _occurrence(event: Event, session: dict[str, Any], title: str, words: Words, at: Any) -> Event:
    """One session as an override of the series: its real times, number, place and what to bring."""
    start, end = at(session["start"]), at(session["end"])
    lines = [words.t.gettext("Lesson from %(start)s to %(end)s.") % {
        "start": words.time(session["start"]),
        "end": words.time(session["end"]),
    }]
    if session.get("setup_start"):
        # Set-up before the lesson and packing up after it, as long as the set-up: blocked too.
        setup = at(session["setup_start"])
        end = end + (start - setup)
        lines.append(words.t.gettext("Set-up from %(start)s, packing up until %(end)s.") % {
            "start": words.time(session["setup_start"]),
            "end": words.time(end.isoformat()),
        })
        start = setup
    if session.get("ipads"):
        lines.append(
            words.t.ngettext("Bring %(num)d iPad.", "Bring %(num)d iPads.", session["ipads"])
            % {"num": session["ipads"]}
        )
    event.add("recurrence-id", at(session["first_start"]))
    event.add("dtstart", start)
    event.add("dtend", end)
    number = words.t.gettext("session %(number)s") % {"number": session["number"]}
    event.add("summary", f"{title}, {number}" if session["number"] else title)
    event.add("location", words.place(session))
    event.add("description", "\n".join(lines))
    event.add("status", "CONFIRMED")
    return event


def organizer_address(mail_from: str) -> str:
    return email.utils.parseaddr(mail_from)[1]


def method_of(ics: bytes) -> str:
    """The iTIP method of an invitation made here, read off its header lines (parsing the whole
    object back cost a sixth of composing a lockdown's mails)."""
    head = ics.split(b"BEGIN:VEVENT", 1)[0]
    found = re.search(rb"^METHOD:(\w+)\r?$", head, re.MULTILINE)
    return found.group(1).decode() if found else "PUBLISH"
