"""The mails' wording: gettext message catalogues, and Babel's dates, times, lists and plurals.

The catalogues are `locale/<language>/LC_MESSAGES/messages.po`, read with Babel the first time a
language is needed (no compile step: the install stays `pip install`). Message ids are plain
English; Dutch (B1) speaks to staff with `je` (context "staff") and to partners' contact persons
and the coordinator with `u`. `scripts/update_mail_catalogues.py` adds new messages to both files.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

Language = Literal["nl", "en"]
LANGUAGES: tuple[Language, ...] = ("nl", "en")
LOCALE = Path(__file__).resolve().parent.parent / "locale"

Day = date  # `Words.date` hides the type's name inside the class

# Names of the courses, the same in every language.
COURSE_NAMES = {"klik-en-tik": "Klik & Tik", "digisterker": "Digisterker"}


def catalogue_path(language: Language) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "messages.po"


@cache
def translations(language: Language) -> Translations:
    """The language's catalogue, read from its .po file once."""
    with catalogue_path(language).open("rb") as po:
        catalogue = read_po(po, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(compiled)


@cache
def locale_of(language: Language) -> Locale:
    """Babel's locale, parsed once: Babel parses a locale given by name again on every date."""
    return Locale.parse(language)


class Words:
    """Dates, times, lists, course and group names in one language and time zone, for the templates."""

    def __init__(self, language: Language, timezone: ZoneInfo) -> None:
        self.language, self.timezone = language, timezone
        self.t = translations(language)
        self.locale = locale_of(language)

    def moment(self, iso: str) -> datetime:
        return datetime.fromisoformat(iso).astimezone(self.timezone)

    def _day(self, value: str | Day) -> Day:
        if isinstance(value, str):
            return self.moment(value).date() if "T" in value else Day.fromisoformat(value)
        return value

    def date(self, value: str | Day) -> str:
        """`dinsdag 8 december 2026` / `Tuesday 8 December 2026`, from a moment or a day."""
        return format_date(self._day(value), "EEEE d MMMM y", locale=self.locale)

    def day(self, value: str | Day) -> str:
        """`dinsdag 8 december`: a date in a subject line."""
        return format_date(self._day(value), "EEEE d MMMM", locale=self.locale)

    def time(self, iso: str) -> str:
        return format_time(self.moment(iso), "HH:mm", locale=self.locale)

    def when(self, iso: str) -> str:
        """`dinsdag 8 december 2026 om 13:30`."""
        return self.t.gettext("%(date)s at %(time)s") % {"date": self.date(iso), "time": self.time(iso)}

    def session(self, session: dict[str, Any]) -> str:
        """`les 1: dinsdag 8 december 2026, 13:30 tot 15:30`."""
        start, end = session["start"], session["end"]
        return self.t.gettext("Session %(number)s: %(date)s, %(start)s to %(end)s") % {
            "number": session["number"],
            "date": self.date(start),
            "start": self.time(start),
            "end": self.time(end),
        }

    def short(self, session: dict[str, Any]) -> str:
        """`les 3: dinsdag 22 december 2026 om 13:30`, for sessions that need no more."""
        return self.t.gettext("Session %(number)s: %(when)s") % {
            "number": session["number"],
            "when": self.when(session["start"]),
        }

    def room(self, room: str) -> str:
        return self.t.gettext("room %(room)s") % {"room": room}

    def place(self, session: dict[str, Any]) -> str:
        room = session.get("room")
        return f"{session['location']}, {session['address']}" + (f", {self.room(room)}" if room else "")

    def title(self, course: dict[str, Any]) -> str:
        """`Klik & Tik niveau 1`; an unknown course type is shown as it came."""
        name = COURSE_NAMES.get(course["type"], course["type"])
        return self.t.gettext("%(course)s level %(level)s") % {"course": name, "level": course["level"]}

    def group(self, course: dict[str, Any], group: dict[str, Any] | None) -> str:
        """`Klik & Tik niveau 1, NT1, Wijkgebouw De Mozaïek, vanaf dinsdag 8 december 2026`.

        A group as a person knows it: course, level, language group, place and first date, as
        far as they are known (a group not yet planned has no place or date).
        """
        group = group or {}
        parts = [self.title(course)]
        if group.get("language_group"):
            parts.append(str(group["language_group"]))
        if group.get("location"):
            parts.append(str(group["location"]))
        if group.get("first_start"):
            parts.append(self.t.gettext("from %(date)s") % {"date": self.date(group["first_start"])})
        return ", ".join(parts)

    def list(self, items: list[str]) -> str:
        """`Ahmed B., Fatima E. en Kees V.`."""
        return format_list(list(items), locale=self.locale) if items else ""
