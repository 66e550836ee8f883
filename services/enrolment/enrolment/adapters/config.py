"""Reads the enrolment file: the courses the library offers and the partners who may refer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from ..domain.model import Contact, CourseOffer, Partner, Policy


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Course(_Strict):
    type: str = Field(min_length=1)
    levels: int = Field(ge=1)
    group_capacity: int = Field(default=5, ge=1)
    minimum_group_size: int = Field(default=3, ge=1)


# A domain name such as `promen.nl`: letters, digits, hyphens, at least one dot; no `@`.
Domain = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[\w-]+(\.[\w-]+)+$")
]


class _Contact(_Strict):
    name: str = Field(min_length=1)
    email: EmailStr


class _Partner(_Strict):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    amqp_user: str | None = None
    municipalities: list[str] | None = None
    courses: list[str] | None = None
    # Where mail about the partner's employees may go; a partner without contacts is refused.
    contacts: list[_Contact] = Field(min_length=1)
    # Any address in these domains is the partner's too (exactly the domain, not subdomains).
    contact_domains: list[Domain] = Field(default_factory=list)


class _File(_Strict):
    retake_after_months: int = Field(default=12, ge=0)
    courses: list[_Course] = Field(min_length=1)
    default_municipalities: list[str] = Field(min_length=1)
    partners: list[_Partner]


def load_policy(path: Path) -> Policy:
    """The enrolment policy; a mistake in the file stops the service at start, with the reason."""
    document = _File.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    courses = {
        c.type: CourseOffer(c.type, c.levels, c.group_capacity, min(c.minimum_group_size, c.group_capacity))
        for c in document.courses
    }
    partners = {}
    for p in document.partners:
        unknown = set(p.courses or []) - set(courses)
        if unknown:
            raise ValueError(f"partner {p.id}: unknown courses {sorted(unknown)}")
        partners[p.id] = Partner(
            id=p.id,
            name=p.name,
            amqp_user=p.amqp_user or p.id,
            municipalities=frozenset(
                m.strip().casefold() for m in p.municipalities or document.default_municipalities
            ),
            courses=frozenset(p.courses or courses),
            contacts=tuple(Contact(c.name.strip(), str(c.email)) for c in p.contacts),
            contact_domains=frozenset(d.casefold() for d in p.contact_domains),
        )
    return Policy(courses, partners, document.retake_after_months)
