"""The committed AsyncAPI document is the one the code generates, and it documents every event."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_committed_asyncapi_document_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/generate_asyncapi.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_document_has_a_schema_for_every_event_in_the_flow() -> None:
    document = yaml.safe_load((ROOT / "docs" / "asyncapi.yaml").read_text())
    schemas = document["components"]["schemas"]
    for event in (
        "ReferralSubmitted",
        "ReferralAccepted",
        "ReferralRejected",
        "GroupFilled",
        "CourseScheduled",
    ):
        assert f"{event}V1" in schemas, f"{event} has no schema"
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert {"ReferralSubmitted", "GroupFilled", "CourseScheduled"} <= addresses
