"""Reading and writing the console's database: the read model, users, login failures, audit, commands."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.model import CommandKind, Role, User
from .tables import (
    audit,
    commands,
    groups,
    intakes,
    login_failures,
    measures,
    notices,
    referral_events,
    referrals,
    sessions,
    users,
)


class ConsoleRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    # --- users, login and audit ----------------------------------------------------------------

    async def user(self, name: str) -> tuple[User, str] | None:
        row = (await self.connection.execute(select(users).where(users.c.name == name))).first()
        if row is None:
            return None
        return User(row.name, Role(row.role), row.partner_id), row.password_hash

    async def add_user(self, user: User, password_hash: str) -> bool:
        """False when a user of that name exists (nothing changes)."""
        added = await self.connection.execute(
            pg_insert(users)
            .values(
                name=user.name, role=user.role.value, partner_id=user.partner_id, password_hash=password_hash
            )
            .on_conflict_do_nothing()
            .returning(users.c.name)
        )
        return added.first() is not None

    async def failures_since(self, name: str, since: datetime) -> int:
        result = await self.connection.execute(
            select(func.count())
            .select_from(login_failures)
            .where(login_failures.c.user_name == name, login_failures.c.failed_at > since)
        )
        return int(result.scalar_one())

    async def record_failure(self, name: str, at: datetime) -> None:
        await self.connection.execute(insert(login_failures).values(user_name=name, failed_at=at))

    async def clear_failures(self, name: str) -> None:
        await self.connection.execute(delete(login_failures).where(login_failures.c.user_name == name))

    async def audit(
        self, at: datetime, actor: str, action: str, outcome: str, subject: str | None = None
    ) -> None:
        await self.connection.execute(
            insert(audit).values(at=at, actor=actor, action=action, outcome=outcome, subject=subject)
        )

    async def audit_trail(self, limit: int = 100) -> Sequence[Row[Any]]:
        result = await self.connection.execute(select(audit).order_by(audit.c.id.desc()).limit(limit))
        return result.all()

    # --- commands and their answers --------------------------------------------------------------

    async def add_command(
        self,
        command_id: str,
        kind: CommandKind,
        actor: str,
        correlation: str,
        label: str,
        sent_at: datetime,
        partner_id: str | None = None,
    ) -> None:
        await self.connection.execute(
            insert(commands).values(
                id=command_id,
                kind=kind.value,
                actor=actor,
                partner_id=partner_id,
                correlation=correlation,
                label=label,
                sent_at=sent_at,
            )
        )

    async def command(self, command_id: str) -> Row[Any] | None:
        return (await self.connection.execute(select(commands).where(commands.c.id == command_id))).first()

    async def answer(
        self, kind: CommandKind, correlation: str, outcome: str, text: str, at: datetime
    ) -> None:
        """The oldest command of this kind and key still waiting gets this answer (if there is one)."""
        waiting = (
            select(commands.c.id)
            .where(commands.c.kind == kind.value, commands.c.correlation == correlation)
            .where(commands.c.outcome.is_(None))
            .order_by(commands.c.sent_at, commands.c.id)
            .limit(1)
            .with_for_update()
            .scalar_subquery()
        )
        await self.connection.execute(
            update(commands)
            .where(commands.c.id == waiting)
            .values(outcome=outcome, outcome_text=text, answered_at=at)
        )

    async def commands_of(self, partner_id: str | None, limit: int = 50) -> Sequence[Row[Any]]:
        query = select(commands).order_by(commands.c.sent_at.desc()).limit(limit)
        if partner_id is not None:
            query = query.where(commands.c.partner_id == partner_id)
        return (await self.connection.execute(query)).all()

    # --- read model: intakes ------------------------------------------------------------------------

    async def add_intake(
        self,
        intake_id: str,
        course_type: str,
        groups_total: int,
        from_date: date,
        locations: list[str],
        at: datetime,
    ) -> None:
        await self.connection.execute(
            pg_insert(intakes)
            .values(
                intake_id=intake_id,
                course_type=course_type,
                groups=groups_total,
                groups_used=0,
                from_date=from_date,
                locations=locations,
                opened_at=at,
            )
            .on_conflict_do_nothing()
        )

    async def use_intake(self, course_type: str) -> None:
        """A group formed: it used room of the oldest intake with room, as enrolment counts it."""
        oldest = (
            select(intakes.c.intake_id)
            .where(intakes.c.course_type == course_type, intakes.c.groups_used < intakes.c.groups)
            .order_by(intakes.c.opened_at, intakes.c.intake_id)
            .limit(1)
            .scalar_subquery()
        )
        await self.connection.execute(
            update(intakes).where(intakes.c.intake_id == oldest).values(groups_used=intakes.c.groups_used + 1)
        )

    async def intakes(self) -> Sequence[Row[Any]]:
        return (await self.connection.execute(select(intakes).order_by(intakes.c.opened_at))).all()

    # --- read model: referrals ----------------------------------------------------------------------

    async def referral(self, partner_id: str, key: str) -> Row[Any] | None:
        query = select(referrals).where(
            referrals.c.partner_id == partner_id, referrals.c.partner_referral_key == key
        )
        return (await self.connection.execute(query)).first()

    async def put_referral(self, partner_id: str, key: str, values: dict[str, Any]) -> None:
        statement = pg_insert(referrals).values(partner_id=partner_id, partner_referral_key=key, **values)
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=["partner_id", "partner_referral_key"], set_=values
            )
        )

    async def update_referral(self, partner_id: str, key: str, values: dict[str, Any]) -> None:
        await self.connection.execute(
            update(referrals)
            .where(referrals.c.partner_id == partner_id, referrals.c.partner_referral_key == key)
            .values(**values)
        )

    async def update_referral_by_id(self, referral_id: str, values: dict[str, Any]) -> None:
        await self.connection.execute(
            update(referrals).where(referrals.c.referral_id == referral_id).values(**values)
        )

    async def referrals_of(self, partner_id: str | None) -> Sequence[Row[Any]]:
        query = select(referrals).order_by(referrals.c.updated_at.desc(), referrals.c.partner_referral_id)
        if partner_id is not None:
            query = query.where(referrals.c.partner_id == partner_id)
        return (await self.connection.execute(query)).all()

    async def add_referral_event(
        self, event_id: str, partner_id: str, key: str, at: datetime, kind: str, description: str
    ) -> None:
        await self.connection.execute(
            pg_insert(referral_events)
            .values(event_id=event_id, partner_id=partner_id, partner_referral_key=key, at=at, kind=kind,
                    description=description)
            .on_conflict_do_nothing()
        )  # fmt: skip

    async def referral_history(self, partner_id: str, key: str) -> Sequence[Row[Any]]:
        """What happened to one referral, oldest first."""
        query = (
            select(referral_events)
            .where(referral_events.c.partner_id == partner_id, referral_events.c.partner_referral_key == key)
            .order_by(referral_events.c.at, referral_events.c.event_id)
        )
        return (await self.connection.execute(query)).all()

    async def waiting(self) -> Sequence[Row[Any]]:
        """Everyone waiting, per list (course type, level, language group), in arrival order."""
        query = (
            select(referrals)
            .where(referrals.c.status == "waiting")
            .order_by(
                referrals.c.course_type,
                referrals.c.level,
                referrals.c.language_group.nulls_first(),
                referrals.c.waiting_since,
                referrals.c.referral_id,
            )
        )
        return (await self.connection.execute(query)).all()

    # --- read model: groups, sessions -------------------------------------------------------------

    async def put_group(self, group_id: str, values: dict[str, Any]) -> bool:
        """False when the group was known already (nothing changes)."""
        added = await self.connection.execute(
            pg_insert(groups)
            .values(group_id=group_id, **values)
            .on_conflict_do_nothing()
            .returning(groups.c.group_id)
        )
        return added.first() is not None

    async def update_group(self, group_id: str, values: dict[str, Any]) -> None:
        await self.connection.execute(update(groups).where(groups.c.group_id == group_id).values(**values))

    async def group(self, group_id: str) -> Row[Any] | None:
        return (await self.connection.execute(select(groups).where(groups.c.group_id == group_id))).first()

    async def groups(self) -> Sequence[Row[Any]]:
        return (
            await self.connection.execute(select(groups).order_by(groups.c.formed_at, groups.c.group_id))
        ).all()

    async def put_session(self, session_id: str, values: dict[str, Any]) -> None:
        statement = pg_insert(sessions).values(session_id=session_id, **values)
        await self.connection.execute(
            statement.on_conflict_do_update(index_elements=["session_id"], set_=values)
        )

    async def update_session(self, session_id: str, values: dict[str, Any]) -> None:
        await self.connection.execute(
            update(sessions).where(sessions.c.session_id == session_id).values(**values)
        )

    async def session(self, session_id: str) -> Row[Any] | None:
        return (
            await self.connection.execute(select(sessions).where(sessions.c.session_id == session_id))
        ).first()

    async def sessions_between(self, start: datetime, end: datetime) -> Sequence[Row[Any]]:
        query = (
            select(sessions, groups.c.course_type, groups.c.level, groups.c.language_group)
            .join(groups, groups.c.group_id == sessions.c.group_id, isouter=True)
            .where(sessions.c.starts_at >= start, sessions.c.starts_at < end)
            .order_by(sessions.c.starts_at, sessions.c.location, sessions.c.session_id)
        )
        return (await self.connection.execute(query)).all()

    async def sessions_of_course(self, course_id: str) -> Sequence[Row[Any]]:
        query = select(sessions).where(sessions.c.course_id == course_id).order_by(sessions.c.number)
        return (await self.connection.execute(query)).all()

    async def next_session_after(self, moment: datetime) -> datetime | None:
        result = await self.connection.execute(
            select(func.min(sessions.c.starts_at)).where(sessions.c.starts_at >= moment)
        )
        first: datetime | None = result.scalar_one()
        return first

    async def last_session_end(self) -> datetime | None:
        """Just after the last session in the read model starts (None: there are none)."""
        result = await self.connection.execute(select(func.max(sessions.c.starts_at)))
        last: datetime | None = result.scalar_one()
        return None if last is None else last + timedelta(seconds=1)

    async def staff_names(self) -> tuple[list[str], list[str], list[str]]:
        """Places, teachers and volunteers that occur in the timetable (for its filters)."""
        rows = (
            await self.connection.execute(
                select(sessions.c.location, sessions.c.teacher, sessions.c.volunteers)
            )
        ).all()
        places = sorted({r.location for r in rows})
        teachers = sorted({r.teacher for r in rows})
        volunteers = sorted({v for r in rows for v in r.volunteers})
        return places, teachers, volunteers

    # --- read model: notices, measures ------------------------------------------------------------

    async def add_notice(self, event_id: str, kind: str, at: datetime, subject: str, reason: str) -> None:
        await self.connection.execute(
            pg_insert(notices)
            .values(event_id=event_id, kind=kind, at=at, subject=subject, reason=reason)
            .on_conflict_do_nothing()
        )

    async def notices(self, since: timedelta | None = None) -> Sequence[Row[Any]]:
        return (await self.connection.execute(select(notices).order_by(notices.c.at.desc()).limit(100))).all()

    async def add_measure(self, values: dict[str, Any]) -> None:
        await self.connection.execute(pg_insert(measures).values(**values).on_conflict_do_nothing())

    async def lift_measure(self, measure_id: str, from_date: date) -> None:
        await self.connection.execute(
            update(measures).where(measures.c.measure_id == measure_id).values(lifted_from=from_date)
        )

    async def measures(self) -> Sequence[Row[Any]]:
        return (await self.connection.execute(select(measures).order_by(measures.c.from_date.desc()))).all()
