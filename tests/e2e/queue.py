"""Putting messages into the bot's outbox from a test, as a feature would, and waking the sender."""

from __future__ import annotations

from bot.bootstrap import App
from bot.chat.types import ChatRef, Outgoing
from bot.delivery.outbox import enqueue
from bot.domain import people


async def queue(app: App, chat: ChatRef, *messages: tuple[str, Outgoing]) -> None:
    """Queue ``(dedup_key, message)`` pairs for one chat in one transaction."""
    async with app.sessions.begin() as session:
        now = app.clock.now()
        row = await people.get_or_create_chat(session, chat, now)
        for dedup_key, outgoing in messages:
            await enqueue(session, row, outgoing, dedup_key=dedup_key, now=now)
    app.sender.wake()
