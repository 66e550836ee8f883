"""Example referrals, as a partner would send them."""

from __future__ import annotations

from typing import Any

from taalhuis_shared.events import ReferralSubmitted, new_event


def referral_data(number: int, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "partner_id": "promen",
        "partner_referral_id": f"PRM-{number:04d}",
        "participant": {
            "employee_reference": f"EMP-{number:04d}",
            "given_name": f"Deelnemer{number}",
            "family_name": "van der Berg",
        },
        "course": {"type": "klik-en-tik", "level": 1},
        "municipality_of_residence": "Gouda",
        "can_read_and_write_a_little": True,
        "consent_to_share_data": True,
        "language_group": "NT1",
        "contact": {"name": "Sanne de Wit", "email": "sanne.dewit@promen.example"},
    }
    data.update(changes)
    return data


def referral_event(number: int, **changes: Any) -> dict[str, Any]:
    return new_event(
        ReferralSubmitted.model_validate(referral_data(number, **changes)), source="urn:partner:promen"
    )
