"""Generate `docs/asyncapi.yaml`, the AsyncAPI document of the whole system, from the code.

    python scripts/generate_asyncapi.py          # write the document
    python scripts/generate_asyncapi.py --check  # exit 1 when the committed one is out of date

Each service's router (its subscriber and the events it publishes) is included into one broker,
so the document shows every event with its schema, its publisher and its consumers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml
from faststream import FastStream
from faststream.rabbit import RabbitBroker
from faststream.specification import AsyncAPI

from console.entrypoints import messaging as console
from enrolment.entrypoints import messaging as enrolment
from notifications.entrypoints import messaging as notifications
from scheduling.entrypoints import messaging as scheduling
from taalhuis_shared.messaging.consumer import Consumer
from taalhuis_shared.messaging.decoding import MAX_DEPTH, MAX_DIGITS, MAX_MESSAGE_BYTES
from taalhuis_shared.messaging.topology import Topology
from taalhuis_shared.messaging.trust import Publishers

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "asyncapi.yaml"
EXCHANGE = "taalhuis.events"


def _documentation_only(*args: Any) -> Any:
    raise NotImplementedError("this router exists only to describe the contract")


def build_document() -> str:
    broker = RabbitBroker(
        "amqp://rabbitmq:5672/",
        description="One durable topic exchange, `taalhuis.events`; the routing key is the event type.",
    )
    for service, module in (
        ("enrolment", enrolment),
        ("scheduling", scheduling),
        ("notifications", notifications),
        ("console", console),
    ):
        consumer = Consumer(
            broker,
            Topology(EXCHANGE, "", service),
            handlers=dict.fromkeys(module.CONSUMES, _documentation_only),
            unit_of_work=_documentation_only,
            publishers=Publishers(),
            healthy=_documentation_only,
        )
        broker.include_router(module.build_router(consumer))
    app = FastStream(
        broker,
        specification=AsyncAPI(
            title="Taalhuis events",
            version="1.0.0",
            description=(
                "Events between the Taalhuis services and partners' systems. Every message is a "
                "CloudEvent 1.0 in JSON structured mode (content type application/cloudevents+json); "
                "the AMQP message_id is the CloudEvents id. The data contract version is the "
                "`dataversion` extension attribute. Limits: a message body is at most "
                f"{MAX_MESSAGE_BYTES // 1024} KiB of UTF-8 JSON, nests at most {MAX_DEPTH} levels "
                f"deep, and has no integer of more than {MAX_DIGITS} digits (nor NaN or Infinity); "
                "otherwise it is parked unread. Every string and list has the maximum its schema "
                "gives. Ids, codes and names contain no control characters (free text may hold "
                "line breaks and tabs); ids and codes contain no spaces. Ids are normalised (Unicode "
                "NFKC, invisible format characters such as zero-width spaces removed, surrounding "
                "white space stripped), and enrolment compares partner referral ids and employee "
                "references without regard to case."
            ),
        ),
    )
    specification: dict[str, Any] = app.schema.to_specification().to_jsonable()
    return yaml.safe_dump(specification, sort_keys=True, allow_unicode=True, width=100)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true", help="fail when docs/asyncapi.yaml is out of date")
    args = parser.parse_args()
    document = build_document()
    if args.check:
        if not DOCUMENT.exists() or DOCUMENT.read_text(encoding="utf-8") != document:
            print(f"{DOCUMENT} is out of date: run python scripts/generate_asyncapi.py", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.write_text(document, encoding="utf-8")
    print(f"wrote {DOCUMENT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
