"""What is wrong with an event's data, in plain words for a partner's contact person.

`describe_errors` turns pydantic's field errors into short Dutch (B1) and English sentences that
name the field as a person knows it ("de achternaam van de deelnemer") and say what is wrong and
what is allowed. It never repeats the value that was sent: that may be personal data, and the
reader has it already.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from .common import MAX_TEXT

# A field's name in Dutch and English, by its path in `data` (list positions left out).
FIELDS: dict[tuple[str, ...], tuple[str, str]] = {
    ("partner_id",): ("de code van de partner", "the partner id"),
    ("partner_referral_id",): ("het aanmeldnummer van de partner", "the partner's referral id"),
    ("participant",): ("het onderdeel 'deelnemer'", "the 'participant' part"),
    ("participant", "employee_reference"): (
        "het personeelsnummer van de deelnemer",
        "the participant's employee reference",
    ),
    ("participant", "given_name"): ("de voornaam van de deelnemer", "the participant's given name"),
    ("participant", "family_name"): ("de achternaam van de deelnemer", "the participant's family name"),
    ("course",): ("de cursus", "the course"),
    ("course", "type"): ("de soort cursus", "the type of course"),
    ("course", "level"): ("het niveau van de cursus", "the course level"),
    ("municipality_of_residence",): (
        "de gemeente waar de deelnemer woont",
        "the municipality the participant lives in",
    ),
    ("municipality_of_work",): (
        "de gemeente waar de deelnemer werkt",
        "the municipality the participant works in",
    ),
    ("can_read_and_write_a_little",): (
        "het antwoord op de vraag of de deelnemer een beetje kan lezen en schrijven",
        "the answer whether the participant can read and write a little",
    ),
    ("consent_to_share_data",): (
        "het antwoord op de vraag of de deelnemer toestemming geeft om gegevens te delen",
        "the answer whether the participant consents to sharing data",
    ),
    ("language_group",): ("de taalgroep", "the language group"),
    ("preferred_locations",): ("de lijst met voorkeurslocaties", "the list of preferred locations"),
    ("preferred_locations", "*"): ("een voorkeurslocatie", "a preferred location"),
    ("contact",): ("de contactpersoon", "the contact person"),
    ("contact", "name"): ("de naam van de contactpersoon", "the contact person's name"),
    ("contact", "email"): ("het e-mailadres van de contactpersoon", "the contact person's e-mail address"),
}

# What the value should have been, for wrong-type errors.
_EXPECTED: dict[str, tuple[str, str]] = {
    "string_type": ("tekst", "text"),
    "int_type": ("een heel getal", "a whole number"),
    "int_parsing": ("een heel getal", "a whole number"),
    "int_from_float": ("een heel getal", "a whole number"),
    "bool_type": ("ja of nee (true of false)", "yes or no (true or false)"),
    "bool_parsing": ("ja of nee (true of false)", "yes or no (true or false)"),
    "list_type": ("een lijst", "a list"),
    "dict_type": ("een groep velden", "a group of fields"),
    "model_type": ("een groep velden", "a group of fields"),
    "model_attributes_type": ("een groep velden", "a group of fields"),
    "date_type": ("een datum", "a date"),
    "date_parsing": ("een datum (JJJJ-MM-DD)", "a date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": ("een datum (JJJJ-MM-DD)", "a date (YYYY-MM-DD)"),
}

MAX_SENTENCES = 10


def describe_errors(error: ValidationError) -> tuple[str, str]:
    """The field errors of `error` in plain Dutch and in English, at most `MAX_TEXT` characters.

    Locations may start with `data` (a whole CloudEvent was validated) or not (only its data).
    """
    dutch: list[str] = []
    english: list[str] = []
    for problem in error.errors(include_url=False, include_input=False):
        nl, en = _sentence(problem)
        if nl not in dutch:
            dutch.append(nl)
            english.append(en)
    left_out = max(0, len(dutch) - MAX_SENTENCES)
    dutch, english = dutch[:MAX_SENTENCES], english[:MAX_SENTENCES]
    if left_out:
        dutch.append(f"En nog {left_out} andere fout(en).")
        english.append(f"And {left_out} more error(s).")
    return _bounded(dutch), _bounded(english)


def _bounded(sentences: Sequence[str]) -> str:
    text = " ".join(sentences)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _field(loc: Sequence[int | str]) -> tuple[str, str]:
    path = [str(part) for part in loc]
    if path and path[0] == "data":
        path = path[1:]
    if not path:
        return ("de aanmelding", "the referral")
    named = tuple("*" if part.isdigit() else part for part in path)
    if named in FIELDS:
        return FIELDS[named]
    without_positions = tuple(part for part in named if part != "*")
    if without_positions in FIELDS:
        return FIELDS[without_positions]
    dotted = ".".join(path)
    return (f"het veld '{dotted}'", f"the field '{dotted}'")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sentence(problem: Any) -> tuple[str, str]:
    kind: str = problem["type"]
    context: dict[str, Any] = problem.get("ctx") or {}
    nl, en = _field(problem["loc"])
    Nl, En = _capital(nl), _capital(en)  # noqa: N806 - the same words at the start of a sentence
    if kind == "missing":
        return f"{Nl} ontbreekt.", f"{En} is missing."
    if kind == "municipality_missing":
        return (
            "De gemeente waar de deelnemer woont of werkt ontbreekt: geef minstens één van de twee.",
            "The municipality the participant lives or works in is missing: give at least one.",
        )
    if kind == "string_too_long":
        limit = context.get("max_length")
        return (
            f"{Nl} is te lang (hoogstens {limit} tekens).",
            f"{En} is too long (at most {limit} characters).",
        )
    if kind == "string_too_short":
        return f"{Nl} is leeg.", f"{En} is empty."
    if kind == "too_long" and context.get("field_type") == "List":
        limit = context.get("max_length")
        return (
            f"{Nl} is te lang: er mogen er hoogstens {limit} in staan.",
            f"{En} is too long: it may hold at most {limit}.",
        )
    if kind == "too_long":  # a limit pydantic checked after another check, such as an e-mail's
        limit = context.get("max_length")
        return (
            f"{Nl} is te lang (hoogstens {limit} tekens).",
            f"{En} is too long (at most {limit} characters).",
        )
    if kind == "too_short":
        limit = context.get("min_length")
        return (
            f"{Nl} is te kort: er moeten er minstens {limit} in staan.",
            f"{En} is too short: it must hold at least {limit}.",
        )
    if kind == "control_characters":
        return (
            f"{Nl} bevat tekens die niet zijn toegestaan, zoals onzichtbare stuurtekens.",
            f"{En} contains characters that are not allowed, such as invisible control characters.",
        )
    if kind == "whitespace":
        return f"{Nl} mag geen spaties bevatten.", f"{En} must not contain spaces."
    if kind == "value_error" and "email" in str(problem.get("msg", "")):
        return f"{Nl} is geen geldig e-mailadres.", f"{En} is not a valid e-mail address."
    if kind == "literal_error":
        allowed = str(context.get("expected", ""))
        toegestaan = allowed.replace(" or ", " of ")
        return (
            f"{Nl} heeft een waarde die niet is toegestaan. Toegestaan is: {toegestaan}.",
            f"{En} has a value that is not allowed. Allowed: {allowed}.",
        )
    if kind in ("less_than_equal", "less_than"):
        limit = context.get("le", context.get("lt"))
        return f"{Nl} is te groot (hoogstens {limit}).", f"{En} is too large (at most {limit})."
    if kind in ("greater_than_equal", "greater_than"):
        limit = context.get("ge", context.get("gt"))
        return f"{Nl} is te klein (minstens {limit}).", f"{En} is too small (at least {limit})."
    if kind in _EXPECTED:
        want_nl, want_en = _EXPECTED[kind]
        return (
            f"{Nl} heeft niet de goede vorm: verwacht is {want_nl}.",
            f"{En} has the wrong form: expected {want_en}.",
        )
    return f"{Nl} is niet goed ingevuld.", f"{En} is not valid."
