"""Matrix messages the bot could not decrypt yet: kept in the database until their key comes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.domain.models import UndecryptedEvent


@dataclass(frozen=True, slots=True)
class Held:
    """One kept event, as the adapter needs it."""

    room_id: str
    event_id: str
    sender: str
    session_id: str
    source: dict[str, Any]
    received_at: datetime
    tries: int
    next_try_at: datetime


class HeldEvents:
    """Keep, list, reschedule and drop undecrypted events; each call commits on its own."""

    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def keep(
        self,
        *,
        room_id: str,
        event_id: str,
        sender: str,
        session_id: str,
        source: dict[str, Any],
        now: datetime,
    ) -> bool:
        """Keep an event once; False when it was kept already (a sync seen again)."""
        try:
            async with self._sessions.begin() as session:
                session.add(
                    UndecryptedEvent(
                        room_id=room_id[:255],
                        event_id=event_id[:255],
                        sender=sender[:255],
                        session_id=session_id[:255],
                        source=source,
                        received_at=now,
                        tries=0,
                        next_try_at=now,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def all(self) -> list[Held]:
        async with self._sessions() as session:
            rows = await session.scalars(select(UndecryptedEvent).order_by(UndecryptedEvent.id))
            return [
                Held(
                    r.room_id,
                    r.event_id,
                    r.sender,
                    r.session_id,
                    r.source,
                    r.received_at,
                    r.tries,
                    r.next_try_at,
                )
                for r in rows
            ]

    async def tried(self, event_id: str, tries: int, next_try_at: datetime) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(UndecryptedEvent)
                .where(UndecryptedEvent.event_id == event_id)
                .values(tries=tries, next_try_at=next_try_at)
            )

    async def drop(self, event_id: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                delete(UndecryptedEvent).where(UndecryptedEvent.event_id == event_id)
            )
