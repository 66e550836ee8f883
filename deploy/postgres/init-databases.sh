#!/bin/bash
# Runs once, when the postgres container starts on an empty data volume
# (mounted into /docker-entrypoint-initdb.d/). Creates one database per service, owned by a
# login role of the same name; the role's password comes from <SERVICE>_DB_PASSWORD.
# Each service runs its own migrations at start, as the owner of its database.
set -euo pipefail

DATABASES="enrolment scheduling notifications console"

for name in $DATABASES; do
    password_var="${name^^}_DB_PASSWORD"
    password="${!password_var:?$password_var is not set}"
    # psql variables (:"name" quotes an identifier, :'password' a literal) keep quoting right.
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        -v name="$name" -v password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
-- Services cannot connect to each other's database.
REVOKE CONNECT, TEMPORARY ON DATABASE :"name" FROM PUBLIC;
SQL
done
