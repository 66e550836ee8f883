"""Value objects that several events share."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, EmailStr, Field


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CourseRef(_Part):
    """Which course a referral or group is for: `klik-en-tik` or `digisterker`, and a level."""

    type: str = Field(min_length=1, max_length=50, examples=["klik-en-tik"])
    level: int = Field(ge=1, le=9, examples=[1])


class ContactPerson(_Part):
    """The partner's contact person for the library: the one who tells participants at work."""

    name: str = Field(min_length=1, max_length=200)
    email: EmailStr


class GroupMember(_Part):
    """A participant as others need to see them: a short name, never a full personal record."""

    referral_id: str
    partner_id: str
    partner_referral_id: str
    display_name: str = Field(description="Given name and the first letter of the family name")


class PartnerContact(_Part):
    partner_id: str
    contact: ContactPerson
