"""Enrolment settings, from environment variables (documented in the README)."""

from __future__ import annotations

from taalhuis_shared.messaging.settings import ServiceSettings

MIDDEN_HOLLAND = "Gouda,Bodegraven-Reeuwijk,Krimpenerwaard,Waddinxveen,Zuidplas"


class Settings(ServiceSettings):
    database_url: str
    group_capacity: int = 5
    served_municipalities: str = MIDDEN_HOLLAND
    # course type:number of levels, comma separated
    courses: str = "klik-en-tik:3,digisterker:3"
