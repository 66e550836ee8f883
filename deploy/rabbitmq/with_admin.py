"""Write RabbitMQ's definitions with the admin user from the environment, then start the server.

`python3 with_admin.py SOURCE TARGET COMMAND...`: reads the definitions in SOURCE (the repository's
`definitions.json`, which has no admin), adds the user `RABBITMQ_ADMIN_USER` (default `admin`,
tag `administrator`, all permissions on `/`) with a salted hash of `RABBITMQ_ADMIN_PASSWORD`,
writes the result to TARGET (what `load_definitions` in rabbitmq.conf names) and executes
COMMAND (the image's entrypoint). The compose `rabbitmq` service runs it as its entrypoint, so the
admin password lives only in the operator's `.env`.

Without a password the admin user is written with an empty password hash, no tag and no
permissions: RabbitMQ lets no one log in as it. So an admin left in an old data volume (the import
at boot overwrites users, it never deletes them) stops working too, rather than keeping its
old password.

RABBITMQ_DEFAULT_USER / RABBITMQ_DEFAULT_PASS cannot do this: RabbitMQ creates that default user
only on a node that has no definitions to load at boot, and ours always has.
Standard library only: it runs on the python3 that the `rabbitmq:*-management` image ships.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from hash_password import password_hash

ADMIN_TAG = "administrator"
VHOST = "/"
# The name goes into a JSON document and a log line: keep it to plain characters.
USER_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def with_admin(definitions: dict[str, Any], user: str, password: str) -> dict[str, Any]:
    """The definitions plus the admin user; without a password, an admin no one can log in as."""
    if not USER_NAME.match(user):
        raise ValueError(f"RABBITMQ_ADMIN_USER must match {USER_NAME.pattern}")
    if any(u["name"] == user for u in definitions.get("users", [])):
        raise ValueError(f"the definitions already have a user {user!r}: choose another admin name")
    admin: dict[str, Any] = {
        "name": user,
        "password_hash": password_hash(password) if password else "",
        "hashing_algorithm": "rabbit_password_hashing_sha256",
        "tags": [ADMIN_TAG] if password else [],
        "limits": {},
    }
    permissions = [p for p in definitions.get("permissions", []) if p["user"] != user]
    if password:
        permissions.append({"user": user, "vhost": VHOST, "configure": ".*", "write": ".*", "read": ".*"})
    return {**definitions, "users": [*definitions.get("users", []), admin], "permissions": permissions}


def write_definitions(source: Path, target: Path, environ: dict[str, str]) -> None:
    user = environ.get("RABBITMQ_ADMIN_USER") or "admin"
    password = environ.get("RABBITMQ_ADMIN_PASSWORD", "")
    if not password:
        print(
            f"with_admin: RABBITMQ_ADMIN_PASSWORD is not set, so nobody can log in as {user!r} "
            "(set it in .env to use the management UI)",
            file=sys.stderr,
        )
    definitions = with_admin(json.loads(source.read_text(encoding="utf-8")), user, password)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Readable by the server only: the file holds the admin's password hash.
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(definitions, file, indent=2)
    os.chmod(target, 0o600)  # an existing file keeps its old mode through O_CREAT
    if os.geteuid() == 0:
        # The image's entrypoint steps down from root to the user `rabbitmq` before the server starts.
        shutil.chown(target, "rabbitmq", "rabbitmq")


def main(argv: list[str]) -> None:
    if len(argv) < 4:
        sys.exit("usage: python3 with_admin.py SOURCE TARGET COMMAND...")
    write_definitions(Path(argv[1]), Path(argv[2]), dict(os.environ))
    # The server needs the password no more: keep it out of its environment.
    os.environ.pop("RABBITMQ_ADMIN_PASSWORD", None)
    # The command replaces this process, so it gets the container's signals directly.
    os.execvp(argv[3], argv[3:])  # noqa: S606 (the command the compose file gives, no shell)


if __name__ == "__main__":
    main(sys.argv)
