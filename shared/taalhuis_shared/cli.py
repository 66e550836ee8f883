"""`taalhuis`: publish events from a JSON or YAML file, for partners and operations.

    taalhuis publish referrals.yaml --source urn:partner:promen
    taalhuis intake klik-en-tik --groups 2 --from 2027-01-04 --location "De Chocoladefabriek"
    taalhuis close-early klik-en-tik 1 --language NT1

For `publish`, the file holds one event's data or a list of them (the `data` part only, or whole CloudEvents).
Every item is checked against the contract before anything is sent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml
from faststream.rabbit import ExchangeType, RabbitBroker, RabbitExchange
from pydantic import ValidationError

from .events import CATALOGUE, CONTENT_TYPE, CloudEvent, event_key, new_event


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
    # The user_id is the connection's user (RabbitMQ refuses any other): it tells enrolment who
    # really sent a referral.
    user = urlparse(amqp_url).username or "guest"
    # declare=False: a partner user may write to the exchange, not configure it.
    exchange = RabbitExchange(exchange_name, type=ExchangeType.TOPIC, durable=True, declare=False)
    async with RabbitBroker(amqp_url, logger=None) as broker:
        await broker.declare_exchange(exchange)
        for event in events:
            # Publisher confirms are on: each publish returns once RabbitMQ has the message.
            await broker.publish(
                json.dumps(event, ensure_ascii=False).encode(),
                exchange=exchange,
                routing_key=event["type"],
                message_id=event["id"],
                message_type=event["type"],
                content_type=CONTENT_TYPE,
                persist=True,
                user_id=user,
            )
            print(f"verstuurd: {event['type']} {event['id']}")


def coordinator_item(args: argparse.Namespace) -> dict[str, Any]:
    """The data of a coordinator's command, from the command line."""
    if args.command == "intake":
        return {
            "intake_id": args.intake_id or f"{args.course}-{args.from_date}",
            "course_type": args.course,
            "groups": args.groups,
            "from_date": args.from_date,
            "locations": args.location or [],
        }
    return {"course": {"type": args.course, "level": args.level}, "language_group": args.language}


COORDINATOR_TYPES = {"intake": "IntakeOpened", "close-early": "EarlyClosureRequested"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="taalhuis", description="Taalhuis-berichten versturen")
    # Where to send, accepted after every command.
    broker = argparse.ArgumentParser(add_help=False)
    broker.add_argument(
        "--amqp-url", default=os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    )
    broker.add_argument("--exchange", default=os.environ.get("EVENTS_EXCHANGE", "taalhuis.events"))
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
        "intake", parents=[broker], help="ruimte openen voor nieuwe groepen (coördinator)"
    )
    intake.add_argument("course", help="cursus, bijvoorbeeld klik-en-tik of digisterker")
    intake.add_argument("--groups", type=int, required=True, help="hoeveel groepen erbij kunnen")
    intake.add_argument("--from", dest="from_date", required=True, help="eerste lesweek, JJJJ-MM-DD")
    intake.add_argument("--location", action="append", help="locatie (mag vaker)")
    intake.add_argument("--intake-id", help="eigen naam voor deze instroom (standaard: cursus-datum)")

    early = commands.add_parser(
        "close-early", parents=[broker], help="een groep nu vormen met wie er wacht (coördinator)"
    )
    early.add_argument("course", help="cursus, bijvoorbeeld klik-en-tik")
    early.add_argument("level", type=int, help="niveau")
    early.add_argument("--language", choices=["NT1", "NT2"], help="taalgroep van de wachtlijst")
    args = parser.parse_args(argv)

    try:
        if args.command == "publish":
            events = to_events(load(args.file), args.type, args.source)
        else:
            events = to_events(
                [coordinator_item(args)], COORDINATOR_TYPES[args.command], "urn:taalhuis:coordinator"
            )
    except (OSError, ValueError, yaml.YAMLError) as error:
        # ValidationError is a ValueError; its text names the fields, which is what is needed.
        kind = "ongeldig" if isinstance(error, ValidationError) else "fout"
        print(f"{kind}: {error}", file=sys.stderr)
        return 2
    try:
        asyncio.run(publish(events, args.amqp_url, args.exchange))
    except Exception as error:  # the broker's answer, said plainly; nothing more was sent
        print(f"niet verstuurd: RabbitMQ weigert of is niet bereikbaar ({error})", file=sys.stderr)
        return 1
    print(f"{len(events)} bericht(en) verstuurd naar {args.exchange}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
