"""`taalhuis-console add-user NAME --role ... [--partner ID]`: console users, with a hashed password.

The password comes from standard input (one line) or, at a terminal, from a prompt asked twice.
Output in Dutch; a refusal exits non-zero and changes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path

from pydantic import ValidationError

from taalhuis_shared.clock import Clock
from taalhuis_shared.db import make_engine, upgrade_schema
from taalhuis_shared.messaging.unit_of_work import UnitOfWork

from ..adapters.repository import ConsoleRepository
from ..domain.model import Role, User
from ..service_layer.actions import hash_password
from ..settings import Settings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
MIN_PASSWORD = 10


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="taalhuis-console", description="Gebruikers van de Taalhuis-console."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser(
        "add-user", help="een gebruiker toevoegen (wachtwoord via standaardinvoer of vraag)"
    )
    add.add_argument("name", help="inlognaam")
    add.add_argument("--role", required=True, choices=[role.value for role in Role], help="rol")
    add.add_argument("--partner", help="code van de partner (alleen en verplicht bij rol partner)")
    return parser


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Wachtwoord: ")
        if getpass.getpass("Nog een keer: ") != first:
            raise ValueError("De twee wachtwoorden zijn niet gelijk.")
        return first
    return sys.stdin.readline().rstrip("\n")


async def add_user(database_url: str, user: User, password: str) -> bool:
    await upgrade_schema(database_url, MIGRATIONS)
    engine = make_engine(database_url)
    try:
        async with UnitOfWork(engine, ConsoleRepository) as uow:
            added = await uow.repository.add_user(user, hash_password(password))
            if added:
                await uow.repository.audit(Clock().now(), "taalhuis-console", "add-user", "ok", user.name)
            return added
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        user = User(arguments.name.strip(), Role(arguments.role), arguments.partner)
    except ValueError:
        print("Geef --partner bij rol partner, en alleen dan.", file=sys.stderr)
        return 2
    if not user.name or len(user.name) > 100:
        print("Een naam heeft 1 tot 100 tekens.", file=sys.stderr)
        return 2
    try:
        password = _read_password()
    except (ValueError, EOFError) as error:
        print(str(error) or "Geen wachtwoord gekregen.", file=sys.stderr)
        return 2
    if len(password) < MIN_PASSWORD:
        print(f"Het wachtwoord is te kort: minstens {MIN_PASSWORD} tekens.", file=sys.stderr)
        return 2
    try:
        settings = Settings()  # DATABASE_URL from the environment
    except ValidationError:
        print("DATABASE_URL ontbreekt of SESSION_SECRET is niet goed: zie de README.", file=sys.stderr)
        return 2
    if not asyncio.run(add_user(settings.database_url, user, password)):
        print(f"Er is al een gebruiker {user.name}. Er is niets veranderd.", file=sys.stderr)
        return 1
    partner = f" voor partner {user.partner_id}" if user.partner_id else ""
    print(f"Gebruiker {user.name} is toegevoegd met rol {user.role.value}{partner}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
