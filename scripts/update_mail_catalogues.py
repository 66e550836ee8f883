"""Brings the mails' message catalogues up to date with the templates and the code.

Run after changing a mail's wording: `.venv/bin/python scripts/update_mail_catalogues.py`. It
extracts every message (Babel: Jinja2's extractor for the templates, Python's for the code),
adds new ones to `locale/nl` and `locale/en` with an empty translation, keeps the existing
translations and drops messages no longer used. Then fill in the empty ones: the unit test
tests/unit/notifications/test_catalogues.py fails while one is empty.
"""

from __future__ import annotations

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from notifications.catalogues import extracted
from notifications.domain.wording import LANGUAGES, catalogue_path


def update() -> None:
    template = extracted()
    for language in LANGUAGES:
        path = catalogue_path(language)
        if path.exists():
            with path.open("rb") as po:
                catalogue = read_po(po, locale=language)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalogue = Catalog(locale=language, project="taalhuis-notifications")
        catalogue.update(template, no_fuzzy_matching=True)
        catalogue.obsolete.clear()
        catalogue.fuzzy = False
        with path.open("wb") as po:
            write_po(po, catalogue, omit_header=False, sort_output=False, width=100)
        empty = [
            m.id
            for m in catalogue
            if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])
        ]
        print(f"{path}: {len(catalogue)} messages, {len(empty)} without a translation")


if __name__ == "__main__":
    update()
