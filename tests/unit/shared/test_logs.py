"""Exceptions in log lines show type, place and trace, never the values their texts quote."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from aiosmtplib import SMTPRecipientRefused
from pydantic import ValidationError

from taalhuis_shared.events import ReferralSubmitted
from taalhuis_shared.logs import FORMAT, WithoutExceptionTexts
from tests.support.referrals import referral_data


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger writing through the filter, as a service's handlers do, into a buffer."""
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(WithoutExceptionTexts())
    logger = logging.getLogger("tests.logs")
    logger.addHandler(handler)
    logger.propagate = False
    yield logger, output
    logger.removeHandler(handler)


def invalid_referral() -> ValidationError:
    data = referral_data(1, contact={"name": "Quirijn Zwanenburgh", "email": "quirijn@@promen.example"})
    data["participant"]["employee_reference"] = ["EMP-QX-4711"]
    with pytest.raises(ValidationError) as caught:
        ReferralSubmitted.model_validate(data)
    return caught.value


def test_a_validation_error_is_logged_by_its_fields_not_its_input(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, output = logged
    error = invalid_referral()
    assert "EMP-QX-4711" in str(error)  # what would be logged without the filter
    try:
        raise RuntimeError("handling failed") from error
    except RuntimeError as failure:
        # The way FastStream logs a failing handler: the exception's text in the message too.
        logger.error(f"{type(failure.__cause__).__name__}: {failure.__cause__}", exc_info=failure)
    text = output.getvalue()
    for value in ("EMP-QX-4711", "Zwanenburgh", "quirijn@", "Deelnemer1"):
        assert value not in text
    assert "builtins.RuntimeError: (text left out of the log)" in text
    assert "ValidationError: participant.employee_reference: string_type; contact.email: value_error" in text
    assert "Traceback (most recent call last)" in text and "test_logs.py" in text


def test_an_smtp_refusal_in_a_line_keeps_its_code_not_the_address(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, output = logged
    address = "qx.contact@partner.example"
    refusal = SMTPRecipientRefused(550, f"No such user: {address}", address)
    logger.warning("mail not sent: %s", refusal)
    assert output.getvalue().rstrip().endswith("mail not sent: SMTPRecipientRefused: SMTP reply 550")


def test_network_errors_keep_their_text(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, output = logged
    try:
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")
    except ConnectionRefusedError:
        logger.exception("database unreachable")
    assert "ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 5432)" in output.getvalue()


def test_a_stored_smtp_error_keeps_the_reply_codes_and_never_the_address() -> None:
    import aiosmtplib

    from taalhuis_shared.logs import stored_error

    refused = aiosmtplib.SMTPRecipientsRefused(
        [
            aiosmtplib.SMTPRecipientRefused(
                550, "5.1.1 <jan.smit@gemiva.example> unknown", "jan.smit@gemiva.example"
            )
        ]
    )
    stored = stored_error(refused)
    assert "550" in stored and "SMTPRecipientsRefused" in stored
    assert "jan.smit" not in stored
    no_tls = aiosmtplib.SMTPException("SMTP STARTTLS extension not supported by server.")
    assert "STARTTLS" in stored_error(no_tls)
