"""Calendar invitations for staff (RFC 5545, iTIP RFC 5546), built with the icalendar package.

One VEVENT per session with a stable UID, so that a calendar program updates the event it has:
a new or moved session is a REQUEST, a cancelled one a CANCEL; SEQUENCE is the session's
revision, which scheduling raises each time the session moves or is cancelled.
"""

from __future__ import annotations

import email.utils
from collections.abc import Sequence
from datetime import UTC, datetime
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


def _latest(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each session once, in its latest revision, by start."""
    sessions: dict[str, dict[str, Any]] = {}
    for item in items:
        for session in item.get("sessions", []):
            known = sessions.get(session["uid"])
            if known is None or session["sequence"] >= known["sequence"]:
                sessions[session["uid"]] = {**session, "course": item["course"]}
    return sorted(sessions.values(), key=lambda s: s["start"])


def invitation(
    kind: str,
    items: Sequence[dict[str, Any]],
    *,
    organizer: str,
    attendee: str,
    attendee_name: str | None,
    words: Words,
    now: datetime,
) -> bytes | None:
    """The .ics for one staff mail; None when it concerns no session (a pause, a group change).

    `words` speak the attendee's language: the course's title, "les 3", the room, the iPads.
    """
    sessions = _latest(items)
    if not sessions:
        return None
    method = method_for(kind)
    cancel = method == "CANCEL"
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    stamp = now.astimezone(UTC)  # DTSTAMP: when the invitation was made, by the service's clock
    for session in sessions:
        event = Event()
        event.add("uid", session["uid"])
        event.add("sequence", session["sequence"])
        event.add("dtstamp", stamp)
        event.add("dtstart", datetime.fromisoformat(session["start"]).astimezone(UTC))
        event.add("dtend", datetime.fromisoformat(session["end"]).astimezone(UTC))
        number = words.t.gettext("session %(number)s") % {"number": session["number"]}
        event.add("summary", f"{words.title(session['course'])}, {number}")
        event.add("location", words.place(session))
        if session.get("ipads"):
            ipads = words.t.ngettext("Bring %(num)d iPad.", "Bring %(num)d iPads.", session["ipads"])
            event.add("description", ipads % {"num": session["ipads"]})
        event.add("status", "CANCELLED" if cancel else "CONFIRMED")
        event.add("organizer", _person(organizer_address(organizer), "Taalhuis"))
        attendee_address = _person(attendee, attendee_name)
        attendee_address.params["role"] = vText("REQ-PARTICIPANT")
        attendee_address.params["partstat"] = vText("NEEDS-ACTION")
        event.add("attendee", attendee_address)
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def organizer_address(mail_from: str) -> str:
    return email.utils.parseaddr(mail_from)[1]


def method_for(kind: str) -> str:
    """The iTIP method of a kind of mail's invitation: a cancellation cancels, the rest invite."""
    return "CANCEL" if kind == "cancellation" else "REQUEST"
