"""Print a RabbitMQ `password_hash` for definitions.json: `python hash_password.py PASSWORD`.

The scheme is `rabbit_password_hashing_sha256`: base64(salt + sha256(salt + password)), with a
random 4-byte salt. A definitions file cannot carry clear-text passwords.
"""

from __future__ import annotations

import base64
import hashlib
import os
import sys


def password_hash(password: str, salt: bytes | None = None) -> str:
    salt = os.urandom(4) if salt is None else salt
    digest = hashlib.sha256(salt + password.encode("utf-8")).digest()
    return base64.b64encode(salt + digest).decode("ascii")


def matches(password: str, hashed: str) -> bool:
    raw = base64.b64decode(hashed)
    return password_hash(password, raw[:4]) == hashed


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python hash_password.py PASSWORD")
    print(password_hash(sys.argv[1]))
