"""The mails' message catalogues: every message of the templates and code translated, nl and en."""

from __future__ import annotations

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from notifications.catalogues import extracted
from notifications.domain.wording import LANGUAGES, Language, catalogue_path


def catalogue(language: Language) -> Catalog:
    with catalogue_path(language).open("rb") as po:
        return read_po(po, locale=language)


def test_the_templates_and_code_use_messages_at_all() -> None:
    ids = {message.id for message in extracted() if message.id}
    assert "Dear coordinator," in ids
    assert ("Bring %(num)d iPad.", "Bring %(num)d iPads.") in ids
    assert "Answer to your referrals" in ids  # from the code: a subject


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_has_a_translation(language: Language) -> None:
    known = catalogue(language)
    missing = []
    for message in extracted():
        if not message.id:
            continue
        found = known.get(message.id, message.context)
        strings = found.string if found is not None else None
        complete = (
            found is not None
            and not found.fuzzy
            and all(strings if isinstance(strings, tuple) else [strings])
        )
        if not complete:
            missing.append((message.context, message.id))
    assert not missing, (
        f"{catalogue_path(language)}: no translation for {missing}; run scripts/update_mail_catalogues.py"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_catalogue_keeps_messages_nothing_uses(language: Language) -> None:
    used = {(m.context, m.id) for m in extracted() if m.id}
    kept = {(m.context, m.id) for m in catalogue(language) if m.id}
    assert kept <= used, f"not used any more: {kept - used}; run scripts/update_mail_catalogues.py"


def test_the_dutch_catalogue_speaks_to_staff_with_je_and_to_others_with_u() -> None:
    dutch = catalogue("nl")
    staff = dutch.get("Any question? Just reply to this e-mail.", "staff")
    others = dutch.get("Any question? Just reply to this e-mail.")
    assert staff is not None and others is not None
    assert "je" in str(staff.string).split() and "u" in str(others.string).split()
