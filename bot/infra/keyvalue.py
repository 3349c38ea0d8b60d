"""Small named values adapters keep across restarts (a sync token), in the database."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.domain.models import KeyValue


class StateStore:
    """Get and set one value at a time, each write committed on its own."""

    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    @property
    def sessions(self) -> async_sessionmaker:
        """The database the values live in, for an adapter's other small tables."""
        return self._sessions

    async def get(self, key: str) -> str | None:
        async with self._sessions() as session:
            row = await session.get(KeyValue, key)
            return row.value if row else None

    async def set(self, key: str, value: str) -> None:
        async with self._sessions.begin() as session:
            row = await session.get(KeyValue, key)
            if row is None:
                session.add(KeyValue(key=key, value=value, updated_at=datetime.now(UTC)))
            else:
                row.value, row.updated_at = value, datetime.now(UTC)
