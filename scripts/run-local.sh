#!/usr/bin/env bash
# Run the three services on this machine with honcho (see the Procfile), against a local
# RabbitMQ, PostgreSQL and an SMTP server on 127.0.0.1:1025 (for example
# `.venv/bin/python -m aiosmtpd -n -l 127.0.0.1:1025`). Variables already set win.
# Each service creates its database if it is missing and migrates it at start.
set -euo pipefail
cd "$(dirname "$0")/.."

postgres="${POSTGRES_SERVER_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432}"
export ENROLMENT_DATABASE_URL="${ENROLMENT_DATABASE_URL:-$postgres/enrolment}"
export SCHEDULING_DATABASE_URL="${SCHEDULING_DATABASE_URL:-$postgres/scheduling}"
export NOTIFICATIONS_DATABASE_URL="${NOTIFICATIONS_DATABASE_URL:-$postgres/notifications}"
export AMQP_URL="${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/}"
export SMTP_HOST="${SMTP_HOST:-127.0.0.1}"
export SMTP_PORT="${SMTP_PORT:-1025}"
# The local broker has only guest: guest holds every role, and the demo partner publishes as
# guest (see that file).
guest_everywhere='{"coordinator": ["guest"], "enrolment": ["guest"], "scheduling": ["guest"], "notifications": ["guest"]}'
export PUBLISHERS="${PUBLISHERS:-$guest_everywhere}"
export ENROLMENT_FILE="${ENROLMENT_FILE:-$PWD/deploy/local/enrolment.yaml}"

# The project's virtualenv first, so that `python` and `honcho` are its own.
export PATH="$PWD/.venv/bin:$PATH"
exec honcho start "$@"
