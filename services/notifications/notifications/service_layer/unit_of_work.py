"""Notifications' unit of work: the shared one, writing what the repository kept back before the commit."""

from __future__ import annotations

from taalhuis_shared.messaging.unit_of_work import UnitOfWork

from ..adapters.repository import NoticeRepository


class NoticeUnitOfWork(UnitOfWork[NoticeRepository]):
    """The repository keeps a batch's groups and notices back; they are written in a few
    statements just before the commit (and dropped with a rollback)."""

    async def __aenter__(self) -> NoticeUnitOfWork:
        await super().__aenter__()
        self.before_commit(self.repository.write_changes)
        return self
