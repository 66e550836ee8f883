"""The keyed hash that recognises a person for the retake rule once their reference is gone."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from pydantic import ValidationError

from enrolment.domain.model import person_key
from enrolment.settings import Settings

SECRET = "test-secret"


def test_the_key_is_hmac_sha256_of_partner_and_reference_in_hex() -> None:
    expected = hmac.new(SECRET.encode(), b"promen\nemp-7", hashlib.sha256).hexdigest()
    assert person_key(SECRET, "promen", "EMP-7") == expected


def test_case_and_unicode_variants_of_one_reference_give_one_key() -> None:
    key = person_key(SECRET, "promen", "EMP-7")
    assert person_key(SECRET, "promen", "emp-7") == key
    assert person_key(SECRET, "promen", "\uff25\uff2d\uff30\uff0d\uff17") == key  # full-width forms, NFKC
    assert person_key(SECRET, "promen", "Straße-1") == person_key(SECRET, "promen", "STRASSE-1")


def test_another_partner_reference_or_secret_gives_another_key() -> None:
    key = person_key(SECRET, "promen", "EMP-7")
    assert person_key(SECRET, "gouwe", "EMP-7") != key
    assert person_key(SECRET, "promen", "EMP-8") != key
    assert person_key("another-secret", "promen", "EMP-7") != key


def test_enrolment_refuses_an_empty_secret() -> None:
    with pytest.raises(ValidationError, match="PERSON_KEY_SECRET"):
        Settings(database_url="postgresql+asyncpg://nowhere/enrolment", person_key_secret=" ")
