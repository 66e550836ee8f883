"""`taalhuis-notifications` as an operator runs it: all three lists without an argument, and a
missing or wrong DATABASE_URL said in one Dutch line (exit 2), never a traceback."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

COMMANDS = {
    "taalhuis-notifications": [],
    "taalhuis-enrolment": ["ruimte"],
    "taalhuis-report": ["--van", "2027-01-01", "--tot", "2027-06-30"],
}


async def run(command: str, args: list[str], database_url: str | None) -> tuple[int, str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name(command)), *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_without_an_argument_the_mail_view_shows_all_three_lists(database_url: str) -> None:
    code, out, err = await run("taalhuis-notifications", [], database_url)
    assert (code, err) == (0, "")
    for heading in ("Verzonden", "Wachtend op verzenden", "Mislukt"):
        assert heading in out

    code, out, err = await run("taalhuis-notifications", ["mislukt"], database_url)
    assert code == 0 and "Mislukt" in out and "Verzonden" not in out


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(
    ("database_url", "said"),
    [
        (None, "DATABASE_URL ontbreekt"),
        ("geen-adres", "DATABASE_URL klopt niet"),
        ("postgresql://postgres@127.0.0.1/x", "DATABASE_URL moet beginnen met postgresql+asyncpg://"),
        ("postgresql+asyncpg://postgres@127.0.0.1:1/x", "De database is niet te lezen: "),
    ],
)
async def test_a_missing_or_wrong_database_url_is_one_dutch_line(
    command: str, database_url: str | None, said: str
) -> None:
    code, _, err = await run(command, COMMANDS[command], database_url)
    assert code == 2
    assert err.startswith(said), err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err


async def test_a_database_that_does_not_exist_is_one_dutch_line(database_url: str) -> None:
    missing = database_url.rsplit("/", 1)[0] + "/bestaat_niet_0"
    for command, args in COMMANDS.items():
        code, _, err = await run(command, args, missing)
        assert code == 2, command
        assert err.strip() == 'De database is niet te lezen: database "bestaat_niet_0" does not exist', err
