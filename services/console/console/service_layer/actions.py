"""What a person does on the console: log in, and send a command as an event through the outbox.

A command, its outbox row and its audit line commit in one transaction; the relay publishes it
afterwards as the console's RabbitMQ user. The acting person travels in the event as the
CloudEvents extension attribute `actor` (the console user name).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from taalhuis_shared.clock import Clock
from taalhuis_shared.events import EventData, new_event
from taalhuis_shared.messaging.unit_of_work import UnitOfWork

from ..adapters.repository import ConsoleRepository
from ..domain.model import CommandKind, User, login_refused

SOURCE = "urn:taalhuis:console"
HASHER = PasswordHasher()
# Verified against when the user does not exist, so that an unknown name takes as long as a known one.
_NOBODY = HASHER.hash("nobody-has-this-password")

Uow = UnitOfWork[ConsoleRepository]


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    message: str = ""


@dataclass
class Actions:
    unit_of_work: Callable[[], Uow]
    clock: Clock
    max_failures: int
    failure_window: float

    async def log_in(self, name: str, password: str) -> LoginResult:
        name = name.strip()
        async with self.unit_of_work() as uow:
            now = self.clock.now()
            failures = await uow.repository.failures_since(name, now - timedelta(seconds=self.failure_window))
            if login_refused(failures, self.max_failures):
                await uow.repository.audit(now, name[:100], "login", "refused-throttled")
                minutes = round(self.failure_window / 60)
                return LoginResult(
                    None,
                    "U heeft te vaak een verkeerd wachtwoord gebruikt. "
                    f"Probeer het over {minutes} minuten opnieuw.",
                )
            found = await uow.repository.user(name)
            if found is not None and _verifies(found[1], password):
                await uow.repository.clear_failures(name)
                await uow.repository.audit(now, name, "login", "ok")
                return LoginResult(found[0])
            if found is None:
                _verifies(_NOBODY, password)
            await uow.repository.record_failure(name[:100], now)
            await uow.repository.audit(now, name[:100], "login", "wrong-password")
        return LoginResult(None, "De naam of het wachtwoord klopt niet.")

    async def audit(self, user: User, action: str, outcome: str, subject: str | None = None) -> None:
        async with self.unit_of_work() as uow:
            await uow.repository.audit(self.clock.now(), user.name, action, outcome, subject)

    async def send(
        self,
        user: User,
        kind: CommandKind,
        data: EventData,
        *,
        correlation: str,
        label: str,
        partner_id: str | None = None,
    ) -> str:
        """Publish `data` as the console, acting for `user`; returns the command (event) id."""
        event: dict[str, Any] = new_event(
            data, source=SOURCE, event_id=str(uuid.uuid4()), time=self.clock.now()
        )
        event["actor"] = user.name
        async with self.unit_of_work() as uow:
            now = self.clock.now()
            await uow.publish(event)
            await uow.repository.add_command(
                event["id"], kind, user.name, correlation, label, now, partner_id=partner_id
            )
            await uow.repository.audit(now, user.name, kind.value, "sent", event["id"])
        return str(event["id"])


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def _verifies(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
