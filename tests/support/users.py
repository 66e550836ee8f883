"""RabbitMQ users of the tests' own, beside `guest`, so that validated user ids can be forged-tested.

RabbitMQ sets and checks `user_id` per connection: a message really from another user needs a
connection as that user. The users are made once with `rabbitmqctl` (the tests run as root on
the machine that runs RabbitMQ) and kept; their password is not a secret of any deployment.
"""

from __future__ import annotations

import subprocess

from yarl import URL

PARTNER = "taalhuis-test-partner"  # partner werkbedrijf in tests/support/enrolment.yaml
COORDINATOR = "taalhuis-test-coordinator"
PASSWORD = "taalhuis-test"


def _rabbitmqctl(*args: str) -> str:
    return subprocess.run(
        ["rabbitmqctl", "-q", *args], capture_output=True, text=True, check=True, timeout=60
    ).stdout


def ensure_users() -> None:
    existing = {line.split("\t")[0] for line in _rabbitmqctl("list_users").splitlines()}
    for user in (PARTNER, COORDINATOR):
        if user not in existing:
            _rabbitmqctl("add_user", user, PASSWORD)
        # The tests declare exchanges and queues of their own, so the users may do anything here.
        _rabbitmqctl("set_permissions", "-p", "/", user, ".*", ".*", ".*")


def url_as(amqp_url: str, user: str) -> str:
    return str(URL(amqp_url).with_user(user).with_password(PASSWORD))
