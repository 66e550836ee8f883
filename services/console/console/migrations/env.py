"""Alembic environment for console: migrations run on the connection the service hands over."""

from taalhuis_shared.db import run_migrations

run_migrations()
