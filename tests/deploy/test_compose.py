"""The deployment files agree with the code: compose file, RabbitMQ definitions, PostgreSQL init.

Static checks, no Docker engine needed. The compose file is validated against the Compose
Specification's JSON schema (the copy vendored in `check-jsonschema`, a dev requirement); the
rest reads the files with PyYAML/json and compares them with the services' Settings classes and
the shared Topology, so a setting renamed in code or a queue argument changed in one place only
fails here rather than at `docker compose up` (RabbitMQ would answer PRECONDITION_FAILED).
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic_settings import BaseSettings

from taalhuis_shared.cli import load, to_events
from taalhuis_shared.events import CATALOGUE
from taalhuis_shared.messaging.topology import Topology

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DEFINITIONS = ROOT / "deploy" / "rabbitmq" / "definitions.json"
INIT_SCRIPT = ROOT / "deploy" / "postgres" / "init-databases.sh"

PACKAGES = ("enrolment", "scheduling", "notifications")
# The event flow: what each service's queue is bound to on the events exchange.
BINDINGS = {
    "enrolment": {"ReferralSubmitted"},
    "scheduling": {"GroupFilled"},
    "notifications": {"CourseScheduled"},
}
PARTNER = "promen"
PARTNER_QUEUE = "partner.promen.replies"
PARTNER_REPLIES = {"ReferralAccepted", "ReferralRejected"}
# Set to 1 to let the schema check skip when check-jsonschema is not installed (never in CI).
ALLOW_NO_VALIDATOR = "ALLOW_NO_COMPOSE_VALIDATOR"

Service = dict[str, Any]


# --- reading the files -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def services() -> dict[str, Service]:
    document = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    found: dict[str, Service] = document["services"]
    return found


@pytest.fixture(scope="module")
def top_level() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return document


@pytest.fixture(scope="module")
def definitions() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DEFINITIONS.read_text(encoding="utf-8"))
    return document


def environment(service: Service) -> dict[str, str]:
    """A service's environment, as a mapping whichever of the two compose forms it uses."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) if "=" in item else (item, None) for item in raw)
    return {key: str(value) for key, value in raw.items() if value is not None}


def command(service: Service) -> list[str]:
    """The command a service runs: its own `command`, or its Dockerfile's CMD."""
    given = service.get("command")
    if given is not None:
        return shlex.split(given) if isinstance(given, str) else [str(part) for part in given]
    dockerfile = ROOT / service["build"]["context"] / service["build"]["dockerfile"]
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        if line.startswith("CMD "):
            cmd: list[str] = json.loads(line.removeprefix("CMD "))
            return cmd
    raise AssertionError(f"{dockerfile} has no CMD in exec form")


def packages_run(services: dict[str, Service]) -> dict[str, str]:
    """Compose service name -> the package it runs with `python -m`, for our three packages."""
    found = {}
    for name, service in services.items():
        if "build" not in service:
            continue
        argv = command(service)
        if argv[:2] == ["python", "-m"] and argv[2] in PACKAGES:
            found[name] = argv[2]
    return found


def settings_class(package: str) -> type[BaseSettings]:
    cls: type[BaseSettings] = importlib.import_module(f"{package}.settings").Settings
    return cls


def env_names(cls: type[BaseSettings]) -> dict[str, str]:
    """Environment variable name (upper case) -> field name, as pydantic-settings reads them."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    names = {}
    for field_name, field in cls.model_fields.items():
        env_name = field.validation_alias if isinstance(field.validation_alias, str) else None
        names[(env_name or prefix + field_name).upper()] = field_name
    return names


def settings_from(cls: type[BaseSettings], env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The settings a container with exactly this environment gets (nothing from the test's own)."""
    known = env_names(cls)
    for key in list(os.environ):
        if key.upper() in known:
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return cls()


def init_script_databases() -> set[str]:
    match = re.search(r'^DATABASES="([^"]*)"$', INIT_SCRIPT.read_text(encoding="utf-8"), re.MULTILINE)
    assert match, f"{INIT_SCRIPT} has no DATABASES=\"...\" line"
    return set(match.group(1).split())


def user(definitions: dict[str, Any], name: str) -> dict[str, Any]:
    users = {u["name"]: u for u in definitions["users"]}
    assert name in users, f"user {name!r} is not in definitions.json"
    found: dict[str, Any] = users[name]
    return found


def permissions(definitions: dict[str, Any], name: str) -> dict[str, str]:
    found: list[dict[str, str]] = [
        p for p in definitions["permissions"] if p["user"] == name and p["vhost"] == "/"
    ]
    assert len(found) == 1, f"user {name!r} needs exactly one permission entry on vhost /"
    return found[0]


def allows(pattern: str, resource: str) -> bool:
    # RabbitMQ matches permission regexes unanchored (re:run), as re.search does.
    return re.search(pattern, resource) is not None


def password_matches(password: str, user_entry: dict[str, Any]) -> bool:
    """rabbit_password_hashing_sha256: base64(salt(4 bytes) + sha256(salt + password))."""
    assert user_entry["hashing_algorithm"] == "rabbit_password_hashing_sha256"
    raw = base64.b64decode(user_entry["password_hash"])
    salt, digest = raw[:4], raw[4:]
    return hashlib.sha256(salt + password.encode("utf-8")).digest() == digest


def depends_on(service: Service) -> dict[str, str]:
    """Dependency -> condition (the short list form means service_started)."""
    raw = service.get("depends_on") or {}
    if isinstance(raw, list):
        return dict.fromkeys(raw, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in raw.items()}


def exposed_ports(service: Service) -> set[int]:
    return {int(str(port).split("/")[0]) for port in service.get("expose", [])}


def assert_reaches(services: dict[str, Service], client: str, host: str | None, port: int) -> None:
    """`client` connects to `host:port`: a service of this file that listens there, healthy first."""
    assert host in services, f"{client} connects to {host!r}, which is not a service in the compose file"
    exposed = exposed_ports(services[host])
    assert port in exposed, f"{client} connects to {host}:{port}; {host} exposes {sorted(exposed)}"
    assert depends_on(services[client]).get(host) == "service_healthy", (
        f"{client} must depend on {host} with condition service_healthy"
    )


# --- the compose file as a whole ----------------------------------------------------------------


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    if importlib.util.find_spec("check_jsonschema") is None:
        if os.environ.get(ALLOW_NO_VALIDATOR) == "1":
            pytest.skip(f"check-jsonschema is not installed and {ALLOW_NO_VALIDATOR}=1")
        pytest.fail(
            "check-jsonschema is not installed, so docker-compose.yml cannot be validated against the "
            "Compose Specification: `pip install -r requirements-dev.txt` "
            f"(or set {ALLOW_NO_VALIDATOR}=1 to skip this check)"
        )
    schema = ["--builtin-schema", "vendor.compose-spec"]
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", *schema, str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_docker_compose_accepts_the_file() -> None:
    """Where Docker Compose v2 is installed (a developer's machine), ask it too."""
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True).returncode:
        pytest.skip("no Docker Compose v2 here; the schema check above still ran")
    result = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE_FILE), "config", "--quiet"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_every_package_runs_in_a_compose_service(services: dict[str, Service]) -> None:
    assert set(packages_run(services).values()) == set(PACKAGES)


def test_dependencies_and_volumes_exist(services: dict[str, Service], top_level: dict[str, Any]) -> None:
    named_volumes = set(top_level.get("volumes") or {})
    for name, service in services.items():
        for dependency in depends_on(service):
            assert dependency in services, f"{name} depends on unknown service {dependency!r}"
        for volume in service.get("volumes", []):
            source = str(volume).split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which does not exist"
            else:
                assert source in named_volumes, f"{name} uses volume {source!r}, not declared at top level"
        if "build" in service:
            build = service["build"]
            assert build["context"] == ".", f"{name}: the build context is the repository root"
            assert (ROOT / build["dockerfile"]).is_file(), f"{name}: no {build['dockerfile']}"


def test_services_are_scalable_restarting_and_health_checked(services: dict[str, Service]) -> None:
    for name in packages_run(services):
        service = services[name]
        # A fixed container name or host port would stop `--scale NAME=2`.
        assert "container_name" not in service, name
        assert "ports" not in service, name
        assert service.get("restart") == "unless-stopped", name
        heartbeat = environment(service).get("HEARTBEAT_FILE")
        assert heartbeat, f"{name} sets no HEARTBEAT_FILE, so its health check cannot pass"
        assert service["healthcheck"]["test"] == [
            "CMD", "python", "-m", "taalhuis_shared.healthcheck", heartbeat
        ], name


# --- settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize("package", PACKAGES)
def test_service_sets_every_required_setting(services: dict[str, Service], package: str) -> None:
    cls = settings_class(package)
    required = {env for env, field in env_names(cls).items() if cls.model_fields[field].is_required()}
    assert required, f"{package}.settings.Settings has no required field; DATABASE_URL should be one"
    for name, runs in packages_run(services).items():
        if runs == package:
            missing = required - {key.upper() for key in environment(services[name])}
            assert not missing, f"compose service {name} does not set {sorted(missing)}"


@pytest.mark.parametrize("package", PACKAGES)
def test_every_variable_set_is_a_setting(services: dict[str, Service], package: str) -> None:
    known = env_names(settings_class(package))
    for name, runs in packages_run(services).items():
        if runs == package:
            unknown = {key for key in environment(services[name]) if key.upper() not in known}
            assert not unknown, f"compose service {name} sets {sorted(unknown)}: not settings of {package}"


@pytest.mark.parametrize("package", PACKAGES)
def test_settings_load_from_the_compose_environment(
    services: dict[str, Service], package: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, runs in packages_run(services).items():
        if runs == package:
            with monkeypatch.context() as patch:
                settings_from(settings_class(package), environment(services[name]), patch)


# --- where the services connect to ---------------------------------------------------------------


def test_amqp_urls_name_the_broker_and_a_user_of_it(
    services: dict[str, Service], definitions: dict[str, Any]
) -> None:
    clients = [name for name, service in services.items() if "AMQP_URL" in environment(service)]
    assert set(packages_run(services)) <= set(clients), "every service must set its own AMQP_URL"
    for name in clients:
        url = urlsplit(environment(services[name])["AMQP_URL"])
        assert url.scheme == "amqp"
        assert_reaches(services, name, url.hostname, url.port or 5672)
        assert str(services[url.hostname or ""]["image"]).startswith("rabbitmq:")
        assert url.username and url.password, f"{name}: AMQP_URL needs a user and password"
        assert url.username != "admin", f"{name} should not use the admin user"
        assert password_matches(url.password, user(definitions, url.username)), (
            f"{name}: the password in AMQP_URL does not match {url.username}'s password_hash"
        )


def test_database_urls_name_a_database_the_init_script_creates(services: dict[str, Service]) -> None:
    databases = init_script_databases()
    for name, package in packages_run(services).items():
        url = urlsplit(environment(services[name])["DATABASE_URL"])
        assert url.scheme == "postgresql+asyncpg", name
        assert_reaches(services, name, url.hostname, url.port or 5432)
        postgres = services[url.hostname or ""]
        assert str(postgres["image"]).startswith("postgres:")
        database = url.path.lstrip("/")
        assert database == package, f"{name}: the database of {package} is named {package}"
        assert database in databases, f"{INIT_SCRIPT.name} does not create database {database!r}"
        # The init script makes a login role named after the database, owning it, with the
        # password from <DATABASE>_DB_PASSWORD in the postgres service's environment.
        assert url.username == database, f"{name}: connect as the role {database}, which owns it"
        password_variable = f"{database.upper()}_DB_PASSWORD"
        assert environment(postgres).get(password_variable) == url.password, (
            f"{name}: DATABASE_URL's password differs from {password_variable} on {url.hostname}"
        )


def test_notifications_send_mail_to_mailpit(
    services: dict[str, Service], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, package in packages_run(services).items():
        if package == "notifications":
            settings = settings_from(settings_class(package), environment(services[name]), monkeypatch)
            assert_reaches(services, name, settings.smtp_host, settings.smtp_port)
            assert str(services[settings.smtp_host]["image"]).startswith("axllent/mailpit")


# --- RabbitMQ definitions against the shared topology ------------------------------------------


def topologies(services: dict[str, Service], monkeypatch: pytest.MonkeyPatch) -> list[Topology]:
    """The topology each compose service declares at start, from its settings in compose."""
    found = []
    for name, package in packages_run(services).items():
        with monkeypatch.context() as patch:
            settings = settings_from(settings_class(package), environment(services[name]), patch)
        found.append(
            Topology(settings.events_exchange, settings.queue_prefix, package, settings.delivery_limit)
        )
    return found


def queues_by_name(definitions: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {q["name"]: q for q in definitions["queues"] if q["vhost"] == "/"}


def bound_keys(definitions: dict[str, Any], exchange: str, queue: str) -> set[str]:
    return {
        b["routing_key"]
        for b in definitions["bindings"]
        if b["source"] == exchange and b["destination"] == queue and b["destination_type"] == "queue"
    }


def test_exchanges_are_declared_as_the_services_declare_them(
    services: dict[str, Service], definitions: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    exchanges = {e["name"]: e for e in definitions["exchanges"] if e["vhost"] == "/"}
    for topology in topologies(services, monkeypatch):
        for declared in (topology.exchange(), topology.dead_letter()):
            assert declared.name in exchanges, f"exchange {declared.name} is not in definitions.json"
            defined = exchanges[declared.name]
            assert defined["type"] == declared.type.value, declared.name
            assert defined["durable"] == declared.durable, declared.name
            assert defined["auto_delete"] == declared.auto_delete, declared.name
            assert defined.get("internal", False) is False, declared.name


def test_queue_arguments_equal_the_shared_topology(
    services: dict[str, Service], definitions: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    queues = queues_by_name(definitions)
    for topology in topologies(services, monkeypatch):
        for declared in (topology.queue(next(iter(BINDINGS[topology.service]))), topology.parking_queue()):
            assert declared.name in queues, f"queue {declared.name} is not in definitions.json"
            defined = queues[declared.name]
            # Any difference here is a PRECONDITION_FAILED when the service declares the queue.
            assert defined["arguments"] == declared.arguments, declared.name
            assert defined["durable"] == declared.durable, declared.name
            assert defined["auto_delete"] == declared.auto_delete, declared.name
        assert queues[topology.queue_name]["arguments"] == topology.queue_arguments()


def test_bindings_follow_the_event_flow(
    services: dict[str, Service], definitions: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for topology in topologies(services, monkeypatch):
        keys = bound_keys(definitions, topology.events_exchange, topology.queue_name)
        assert keys == BINDINGS[topology.service], topology.queue_name
        assert all(f"{key}.v1" in CATALOGUE for key in keys), f"{keys} are not all event types"
        parked = bound_keys(definitions, topology.dead_letter_exchange, topology.parking_queue_name)
        assert parked == {topology.queue_name}, topology.parking_queue_name
    events_exchange = topologies(services, monkeypatch)[0].events_exchange
    assert bound_keys(definitions, events_exchange, PARTNER_QUEUE) == PARTNER_REPLIES
    assert queues_by_name(definitions)[PARTNER_QUEUE]["arguments"] == {"x-queue-type": "quorum"}


def test_service_users_may_use_their_own_topology_only(
    services: dict[str, Service], definitions: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    all_topologies = topologies(services, monkeypatch)
    for topology in all_topologies:
        # The user a service connects with (checked above to be a definitions user).
        service_name = next(n for n, p in packages_run(services).items() if p == topology.service)
        username = urlsplit(environment(services[service_name])["AMQP_URL"]).username or ""
        granted = permissions(definitions, username)
        exchanges = [topology.events_exchange, topology.dead_letter_exchange]
        own_queues = [topology.queue_name, topology.parking_queue_name]
        # Topology.declare declares both exchanges and both queues (configure) and binds the
        # queues (write on the queue, read on the exchange); the service consumes its queue
        # (read), publishes events and parks unreadable messages (write on both exchanges).
        for resource in exchanges + own_queues:
            assert allows(granted["configure"], resource), f"{username} may not configure {resource}"
            assert allows(granted["write"], resource), f"{username} may not write {resource}"
        for resource in [*exchanges, topology.queue_name]:
            assert allows(granted["read"], resource), f"{username} may not read {resource}"
        for other in all_topologies:
            if other.service != topology.service:
                for kind in ("configure", "write", "read"):
                    assert not allows(granted[kind], other.queue_name), f"{username} may {kind} {other}"


def test_partner_may_only_publish_referrals_and_read_its_replies(definitions: dict[str, Any]) -> None:
    granted = permissions(definitions, PARTNER)
    events_exchange = "taalhuis.events"
    for resource in (events_exchange, f"{events_exchange}.dead-letter", PARTNER_QUEUE, *PACKAGES):
        assert not allows(granted["configure"], resource), f"{PARTNER} may configure {resource}"
    assert allows(granted["write"], events_exchange)
    assert not allows(granted["write"], f"{events_exchange}.dead-letter")
    assert allows(granted["read"], PARTNER_QUEUE)
    assert not any(allows(granted["read"], queue) for queue in PACKAGES)
    topic = [t for t in definitions["topic_permissions"] if t["user"] == PARTNER]
    assert [t["exchange"] for t in topic] == [events_exchange]
    assert allows(topic[0]["write"], "ReferralSubmitted")
    assert allows(topic[0]["write"], "ReferralWithdrawn")
    for other in ("ReferralAccepted", "GroupFilled", "CourseScheduled", "ReferralSubmittedX"):
        assert not allows(topic[0]["write"], other), f"{PARTNER} may publish {other}"


# --- the demo ----------------------------------------------------------------------------------


def test_demo_publishes_a_valid_file_that_fills_two_groups(
    services: dict[str, Service], monkeypatch: pytest.MonkeyPatch
) -> None:
    demo = services["demo"]
    argv = command(demo)
    assert argv[:2] == ["taalhuis", "publish"], argv
    source = argv[argv.index("--source") + 1]
    event_type = argv[argv.index("--type") + 1] if "--type" in argv else "ReferralSubmitted"
    # The file's path inside the container, back to the repository through the bind mount.
    inside = argv[2]
    host_path = None
    for volume in demo.get("volumes", []):
        host, container = str(volume).split(":")[:2]
        if inside.startswith(container.rstrip("/") + "/"):
            host_path = ROOT / host / inside[len(container.rstrip("/")) + 1 :]
    assert host_path is not None and host_path.is_file(), f"{inside} is not mounted from the repository"

    events = to_events(load(host_path), event_type, source)

    data = [event["data"] for event in events]
    assert {d["partner_id"] for d in data} == {PARTNER}
    assert urlsplit(environment(demo)["AMQP_URL"]).username == PARTNER
    assert len({d["partner_referral_id"] for d in data}) == len(data), "partner referral ids repeat"
    assert len({(d["course"]["type"], d["course"]["level"]) for d in data}) == 1, "one course"
    enrolment = next(n for n, p in packages_run(services).items() if p == "enrolment")
    capacity = settings_from(settings_class("enrolment"), environment(services[enrolment]), monkeypatch)
    assert len(data) == 2 * capacity.group_capacity
    assert set(depends_on(demo)) >= set(packages_run(services)), "the demo waits for the services"
