"""Dialog state per chat and person, kept in the database so a restart loses nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.models import ConversationState


async def get_state(
    session: AsyncSession, chat_id: int, person_id: int
) -> ConversationState | None:
    return await session.scalar(
        select(ConversationState).where(
            ConversationState.chat_id == chat_id, ConversationState.person_id == person_id
        )
    )


async def set_state(
    session: AsyncSession,
    chat_id: int,
    person_id: int,
    state: str,
    data: dict[str, Any],
    now: datetime,
) -> ConversationState:
    row = await get_state(session, chat_id, person_id)
    if row is None:
        row = ConversationState(chat_id=chat_id, person_id=person_id, state=state, data=data)
        session.add(row)
    row.state, row.data, row.updated_at = state, dict(data), now
    return row


async def clear_state(session: AsyncSession, chat_id: int, person_id: int) -> None:
    await session.execute(
        delete(ConversationState).where(
            ConversationState.chat_id == chat_id, ConversationState.person_id == person_id
        )
    )
