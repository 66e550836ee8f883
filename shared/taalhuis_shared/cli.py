"""`taalhuis`: publish events from a JSON or YAML file, for partners and operations.

    taalhuis publish referrals.yaml --source urn:partner:promen
    taalhuis intake klik-en-tik --groups 2 --from 2027-01-04 --location "De Chocoladefabriek"
    taalhuis close-early klik-en-tik 1 --language NT1
    taalhuis measures announce --id corona-2026-12 --from 2026-12-15 --reason "Coronamaatregelen"
    taalhuis measures lift --id corona-2026-12 --from 2027-02-01
    taalhuis session cancel 6f1c... --reason-code teacher-ill --reason "De docent is ziek"

For `publish`, the file holds one event's data or a list of them (the `data` part only, or whole CloudEvents).
Every item is checked against the contract before anything is sent.

A coordinator's command waits for the event that answers it (answers.py) and says the outcome in
Dutch. Exit codes: 0 done (or sent, for what is not answered), 1 refused or unknown target,
2 invalid input, 3 no answer in time, 4 RabbitMQ refused or could not be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import aio_pika
import yaml
from aio_pika.abc import AbstractChannel, AbstractQueue
from pydantic import ValidationError

from .answers import RULES, WAITING, Rule, State, Verdict
from .events import CATALOGUE, CONTENT_TYPE, CloudEvent, EventData, event_key, new_event
from .messaging.trust import DEFAULT_USERS, Publishers

DONE, REFUSED, INVALID, NO_ANSWER, BROKER_FAILED = 0, 1, 2, 3, 4
DEFAULT_WAIT = 30.0


def load(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    items = document if isinstance(document, list) else [document]
    if not all(isinstance(item, dict) for item in items):
        raise ValueError("elk item moet een object zijn / every item must be an object")
    return items


def to_events(items: list[dict[str, Any]], event_type: str, source: str) -> list[dict[str, Any]]:
    """Wrap bare data in CloudEvents and check each against the catalogue."""
    events = []
    for number, item in enumerate(items, start=1):
        if "specversion" in item:
            event = item
        else:
            model = CATALOGUE.get(event_key(event_type, "1"))
            if model is None:
                raise ValueError(f"onbekend soort bericht: {event_type}")
            data = model.model_fields["data"].annotation.model_validate(item)  # type: ignore[union-attr]
            event = new_event(data, source=source)
        envelope = CloudEvent.model_validate(event)
        model = CATALOGUE.get(envelope.key)
        if model is None:
            raise ValueError(f"item {number}: onbekend soort bericht: {envelope.key}")
        model.model_validate(event)
        events.append(event)
    return events


async def publish(events: list[dict[str, Any]], amqp_url: str, exchange_name: str) -> None:
    """Send the events; nothing waits for an answer."""
    async with await aio_pika.connect(amqp_url) as connection:
        await _send(await connection.channel(), events, amqp_url, exchange_name)


async def _send(
    channel: AbstractChannel, events: list[dict[str, Any]], amqp_url: str, exchange_name: str
) -> None:
    # The user_id is the connection's user (RabbitMQ refuses any other): it tells enrolment who
    # really sent a referral.
    user = urlparse(amqp_url).username or "guest"
    # ensure=False: a partner user may write to the exchange, not configure it.
    exchange = await channel.get_exchange(exchange_name, ensure=False)
    for event in events:
        # Publisher confirms are on: each publish returns once RabbitMQ has the message.
        await exchange.publish(
            aio_pika.Message(
                json.dumps(event, ensure_ascii=False).encode(),
                message_id=event["id"],
                type=event["type"],
                content_type=CONTENT_TYPE,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                user_id=user,
            ),
            routing_key=event["type"],
        )
        print(f"verstuurd: {event['type']} {event['id']}")


async def send_and_wait(
    event: dict[str, Any], rule: Rule, amqp_url: str, exchange_name: str, wait: float, publishers: Publishers
) -> Verdict:
    """Send one command and read its answers until the rule is satisfied or `wait` seconds passed.

    The answer queue is declared and bound before the command goes out, so no answer is missed;
    it is server-named, exclusive and goes away with the connection.
    """
    command = data_of(event)
    assert command is not None, "the command was checked against the catalogue before"
    async with await aio_pika.connect(amqp_url) as connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        for answer_type in sorted(rule.answer_types):
            await queue.bind(exchange_name, routing_key=answer_type)
        await _send(channel, [event], amqp_url, exchange_name)
        return await _read_answers(queue, command, rule, wait, publishers)


async def _read_answers(
    queue: AbstractQueue, command: EventData, rule: Rule, wait: float, publishers: Publishers
) -> Verdict:
    answers: list[EventData] = []
    verdict = WAITING
    try:
        async with asyncio.timeout(wait), queue.iterator(no_ack=True) as messages:
            async for message in messages:
                # Only what the answering service may publish counts (the trust table, as the services
                # check it); RabbitMQ has validated the user_id.
                if message.user_id is None or not publishers.may_publish(message.user_id, message.type or ""):
                    continue
                answer = data_of(_json(message.body))
                if answer is None or not rule.matches(command, answer):
                    continue
                answers.append(answer)
                verdict = rule.verdict(command, answers)
                if verdict.finished:
                    return verdict
    except TimeoutError:
        pass
    return verdict


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def data_of(event: Any) -> EventData | None:
    """The typed `data` of an event the catalogue knows; None for anything else."""
    try:
        envelope = CloudEvent.model_validate(event)
        model = CATALOGUE.get(envelope.key)
        return None if model is None else model.model_validate(event).data
    except ValidationError:
        return None


def publishers_from_environment() -> Publishers:
    """Who may publish what: the PUBLISHERS setting the services read, or the compose users."""
    configured = os.environ.get("PUBLISHERS")
    return Publishers.of(json.loads(configured) if configured else DEFAULT_USERS)


def say(verdict: Verdict, rule: Rule) -> int:
    """Print the outcome in Dutch and give the exit code."""
    for line in verdict.lines:
        print(line)
    if verdict.state is State.REFUSED:
        return REFUSED
    if verdict.state is State.PENDING:
        print(
            f"nog geen antwoord: {rule.still_waiting_for}. Het bericht is wel verstuurd; het wordt "
            "verwerkt zodra de dienst draait. Kijk later in het overzicht, of wacht langer (--wacht).",
            file=sys.stderr,
        )
        return NO_ANSWER
    return DONE


COORDINATOR_SOURCE = "urn:taalhuis:coordinator"
COORDINATOR_TYPES = {
    "intake": "IntakeOpened",
    "close-early": "EarlyClosureRequested",
    "measures announce": "MeasuresAnnounced",
    "measures lift": "MeasuresLifted",
    "session cancel": "SessionCancellationRequested",
    "erase": "ErasureRequested",
}
# Namespace of the event ids made from a command's content (any fixed UUID will do).
COMMAND_IDS = uuid.UUID("6d0c3f52-3c1e-4a55-9a3e-1f2b7c0d4e8a")


def command_name(args: argparse.Namespace) -> str:
    """`intake`, or a command with its action: `measures lift`."""
    action = getattr(args, "action", None)
    return f"{args.command} {action}" if action else str(args.command)


def coordinator_item(args: argparse.Namespace) -> dict[str, Any]:
    """The data of a coordinator's command, from the command line."""
    name = command_name(args)
    if name == "intake":
        return {
            "intake_id": args.intake_id or f"{args.course}-{args.from_date}",
            "course_type": args.course,
            "groups": args.groups,
            "from_date": args.from_date,
            "locations": args.location or [],
        }
    if name == "measures announce":
        return {
            "measure_id": args.measure_id,
            "from_date": args.from_date,
            "until_date": args.until_date,
            "locations": args.location or [],
            "reason": args.reason,
        }
    if name == "measures lift":
        return {"measure_id": args.measure_id, "from_date": args.from_date}
    if name == "session cancel":
        return {"session_id": args.session_id, "reason_code": args.reason_code, "reason": args.reason}
    if name == "erase":
        return {
            "request_id": args.request_id,
            "partner_id": args.partner,
            "employee_reference": args.employee,
            "partner_referral_ids": args.referral or [],
            "requested_by": args.requested_by,
        }
    return {"course": {"type": args.course, "level": args.level}, "language_group": args.language}


def command_id(args: argparse.Namespace) -> str | None:
    """An event id made from what the command says, for commands that must not act twice.

    Run again (a lost answer, a double Enter), the same command is the same event, which the
    service's inbox recognises. Cancelling a catch-up session too needs a different reason.
    """
    name = command_name(args)
    if name == "measures lift":
        parts = [args.measure_id, args.from_date]
    elif name == "session cancel":
        parts = [args.session_id, args.reason_code, args.reason]
    else:
        return None  # announce, intake: the service knows the measure or intake id already
    return str(uuid.uuid5(COMMAND_IDS, "\n".join([name, *parts])))


def coordinator_events(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The checked event of a coordinator's command."""
    events = to_events([coordinator_item(args)], COORDINATOR_TYPES[command_name(args)], COORDINATOR_SOURCE)
    event_id = command_id(args)
    if event_id is not None:
        events[0]["id"] = event_id
    return events


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="taalhuis",
        description="Taalhuis-berichten versturen. Een opdracht van de coördinator wacht op het antwoord.",
        epilog="Afsluitcodes: 0 gelukt, 1 geweigerd of onbekend, 2 ongeldige invoer, 3 nog geen antwoord, "
        "4 RabbitMQ weigert of is niet bereikbaar.",
    )
    # Where to send, accepted after every command.
    broker = argparse.ArgumentParser(add_help=False)
    broker.add_argument(
        "--amqp-url", default=os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    )
    broker.add_argument("--exchange", default=os.environ.get("EVENTS_EXCHANGE", "taalhuis.events"))
    # How long a coordinator's command waits for its answer.
    waiting = argparse.ArgumentParser(add_help=False, parents=[broker])
    how_long = waiting.add_mutually_exclusive_group()
    how_long.add_argument(
        "--wacht",
        dest="wait",
        type=float,
        default=DEFAULT_WAIT,
        metavar="SECONDEN",
        help=f"hoe lang op het antwoord wachten (standaard {DEFAULT_WAIT:.0f})",
    )
    how_long.add_argument(
        "--niet-wachten", dest="wait", action="store_const", const=0.0, help="alleen versturen"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    send = commands.add_parser(
        "publish", parents=[broker], help="berichten uit een JSON- of YAML-bestand versturen"
    )
    send.add_argument("file", type=Path)
    send.add_argument(
        "--type", default="ReferralSubmitted", help="soort bericht (standaard ReferralSubmitted)"
    )
    send.add_argument("--source", default="urn:taalhuis:cli", help="afzender (CloudEvents source)")

    intake = commands.add_parser(
        "intake", parents=[waiting], help="ruimte openen voor nieuwe groepen (coördinator)"
    )
    intake.add_argument("course", help="cursus, bijvoorbeeld klik-en-tik of digisterker")
    intake.add_argument("--groups", type=int, required=True, help="hoeveel groepen erbij kunnen")
    intake.add_argument("--from", dest="from_date", required=True, help="eerste lesweek, JJJJ-MM-DD")
    intake.add_argument("--location", action="append", help="locatie (mag vaker)")
    intake.add_argument("--intake-id", help="eigen naam voor deze instroom (standaard: cursus-datum)")

    early = commands.add_parser(
        "close-early", parents=[waiting], help="een groep nu vormen met wie er wacht (coördinator)"
    )
    early.add_argument("course", help="cursus, bijvoorbeeld klik-en-tik")
    early.add_argument("level", type=int, help="niveau")
    early.add_argument("--language", choices=["NT1", "NT2"], help="taalgroep van de wachtlijst")

    measures = commands.add_parser("measures", help="coronamaatregelen aankondigen of opheffen (coördinator)")
    measure_actions = measures.add_subparsers(dest="action", required=True)
    text = "maatregel aankondigen: lessen vanaf een datum gaan niet door, de cursussen pauzeren"
    announce = measure_actions.add_parser("announce", parents=[waiting], help=text, description=text)
    announce.add_argument("--id", dest="measure_id", required=True, help="naam, zoals corona-2026-12")
    announce.add_argument(
        "--from", dest="from_date", required=True, help="eerste dag zonder lessen, JJJJ-MM-DD"
    )
    announce.add_argument(
        "--until", dest="until_date", help="laatste dag zonder lessen (weglaten: tot opheffen)"
    )
    announce.add_argument(
        "--location", action="append", help="id van een locatie (mag vaker; weglaten: alle)"
    )
    announce.add_argument("--reason", required=True, help="waarom, in gewone taal")
    text = "maatregel opheffen: de gepauzeerde cursussen krijgen nieuwe data voor de lessen die nog komen"
    lift = measure_actions.add_parser("lift", parents=[waiting], help=text, description=text)
    lift.add_argument("--id", dest="measure_id", required=True, help="naam van de maatregel")
    lift.add_argument("--from", dest="from_date", required=True, help="eerste dag met lessen, JJJJ-MM-DD")

    session = commands.add_parser("session", help="één bijeenkomst afzeggen (coördinator)")
    session_actions = session.add_subparsers(dest="action", required=True)
    text = (
        "bijeenkomst afzeggen; er komt een inhaalbijeenkomst na de laatste. Hetzelfde commando nog "
        "eens verandert niets; om ook de inhaalbijeenkomst af te zeggen, geef een andere reden."
    )
    cancel = session_actions.add_parser("cancel", parents=[waiting], help=text, description=text)
    cancel.add_argument("session_id", help="id van de bijeenkomst")
    cancel.add_argument(
        "--reason-code", required=True, help="soort reden, zoals teacher-ill of room-unavailable"
    )
    cancel.add_argument("--reason", required=True, help="waarom, in gewone taal")

    text = "alle gegevens van één deelnemer laten wissen (AVG artikel 17)"
    erase = commands.add_parser("erase", parents=[waiting], help=text, description=text)
    erase.add_argument("partner", help="partner, bijvoorbeeld promen")
    erase.add_argument("employee", help="personeelsnummer van de deelnemer bij de partner")
    erase.add_argument("--referral", action="append", help="aanmeldnummer van de partner (mag vaker)")
    erase.add_argument("--requested-by", help="wie erom vraagt, bijvoorbeeld het zaaknummer van de FG")
    erase.add_argument(
        "--request-id",
        default=None,
        help="eigen kenmerk van het verzoek (standaard een nieuw; taalhuis-enrolment wissen toont het)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "erase" and not args.request_id:
        args.request_id = f"wissen-{uuid.uuid4().hex[:12]}"
    try:
        if args.command == "publish":
            events = to_events(load(args.file), args.type, args.source)
        else:
            events = coordinator_events(args)
        publishers = publishers_from_environment()
    except (OSError, ValueError, yaml.YAMLError) as error:
        # ValidationError is a ValueError; its text names the fields, which is what is needed.
        kind = "ongeldig" if isinstance(error, ValidationError) else "fout"
        print(f"{kind}: {error}", file=sys.stderr)
        return INVALID
    rule = RULES.get(events[0]["type"]) if args.command != "publish" else None
    try:
        if rule is not None and args.wait > 0:
            if args.command == "erase":
                print(f"verzoek {args.request_id}: ook te volgen met 'taalhuis-enrolment wissen'")
            verdict = asyncio.run(
                send_and_wait(events[0], rule, args.amqp_url, args.exchange, args.wait, publishers)
            )
            return say(verdict, rule)
        asyncio.run(publish(events, args.amqp_url, args.exchange))
    except Exception as error:  # the broker's answer, said plainly; what follows was not sent
        print(
            f"gestopt: RabbitMQ weigert of is niet bereikbaar ({error}). "
            "Alleen wat hierboven als verstuurd staat, is aangekomen.",
            file=sys.stderr,
        )
        return BROKER_FAILED
    print(f"{len(events)} bericht(en) verstuurd naar {args.exchange}")
    if args.command == "intake":
        # Enrolment does not answer an intake (README, "Decisions"): say where to look instead.
        print("Enrolment bevestigt een instroom niet. Kijk met 'taalhuis-enrolment ruimte' of ze er is.")
    if args.command == "erase":
        print(f"verzoek {args.request_id}: volg het met 'taalhuis-enrolment wissen'")
    return DONE


if __name__ == "__main__":
    sys.exit(main())
