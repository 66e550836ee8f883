"""A real CalDAV server (Radicale, run by the test) and a calendar client that applies invitations.

What a staff member's calendar does with the invitations in their mails: a REQUEST stores the
event (a CalDAV PUT of the object, by its UID; the server checks it as CalDAV requires: one UID
per object), a CANCEL of the whole event deletes it. What the calendar then shows is the
server's copy expanded into occurrences (`recurring_ical_events`, which applies RDATE, EXDATE
and RECURRENCE-ID overrides as RFC 5545 says).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote

import httpx
import recurring_ical_events
from icalendar import Calendar

from .smtp import free_port

CALENDAR = "/teacher/course-calendar/"


@dataclass
class CalDavServer:
    url: str

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, auth=("teacher", "any"), timeout=10)


@contextmanager
def radicale() -> Iterator[CalDavServer]:
    """Radicale on a free port of 127.0.0.1, storing in a temporary folder; one calendar made."""
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "radicale",
                "--server-hosts",
                f"127.0.0.1:{port}",
                "--storage-filesystem-folder",
                str(Path(folder) / "collections"),
                "--auth-type",
                "none",
                "--rights-type",
                "owner_only",
                "--logging-level",
                "warning",
            ],
        )
        try:
            found = CalDavServer(f"http://127.0.0.1:{port}")
            deadline = time.monotonic() + 30
            while True:
                try:
                    with found.client() as client:
                        made = client.request("MKCALENDAR", CALENDAR)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(0.1)
            assert made.status_code == 201, made.text
            yield found
        finally:
            server.terminate()
            server.wait(timeout=10)


def apply(server: CalDavServer, invitation: Calendar) -> None:
    """What a calendar app does with an invitation: store it by its UID, or delete what it cancels."""
    method = str(invitation["method"])
    uid = str(invitation.walk("VEVENT")[0]["uid"])
    path = f"{CALENDAR}{quote(uid, safe='')}.ics"
    with server.client() as client:
        if method == "CANCEL":
            response = client.delete(path)
            assert response.status_code in (200, 204, 404), response.text
            return
        assert method == "REQUEST", method
        stored = Calendar.from_ical(invitation.to_ical())
        del stored["method"]  # a stored calendar object carries no iTIP method (RFC 4791 §4.1)
        response = client.put(path, content=stored.to_ical(), headers={"Content-Type": "text/calendar"})
        assert response.status_code in (201, 204), response.text


def occurrences(server: CalDavServer, start: date, end: date) -> list[tuple[str, datetime, datetime, str]]:
    """Every event occurrence the calendar shows in the period: UID, start, end, summary; by start."""
    with server.client() as client:
        response = client.get(CALENDAR)
    assert response.status_code == 200, response.text
    calendar = Calendar.from_ical(response.content)
    shown = recurring_ical_events.of(calendar).between(start, end)
    return sorted(
        ((str(e["uid"]), e.decoded("dtstart"), e.decoded("dtend"), str(e["summary"])) for e in shown),
        key=lambda occurrence: occurrence[1],
    )
