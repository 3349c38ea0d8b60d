"""Incoming Telegram updates in flight: each chat in order, chats in parallel, and an offset
that confirms to Telegram only what is finished.

getUpdates(offset) makes Telegram forget every update below the offset. So the offset stays
at the oldest update not yet committed while newer ones are already being handled; updates
that come back again meanwhile are recognised here and skipped. A failed update stops its
chat: it and the chat's later updates are fetched again, in order.

A webhook's button press is read straight from its JSON (``press_from_json``): it is the
most frequent update, and ``Update.de_json`` of the whole message it carries costs more
than the rest of reading it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update

from bot.chat.types import ChatRef, Incoming, Sender

log = logging.getLogger(__name__)


def press_from_json(data: dict[str, Any]) -> Incoming | None:
    """A plain button press as ``translate`` would give it, without building the Update;
    None for any other update (or an odd one), which then takes the full way."""
    try:
        query = data["callback_query"]
        message, user, key = query["message"], query["from"], query["data"]
        chat = message["chat"]
        if not message.get("date") or not isinstance(key, str):
            return None  # an inaccessible message (date 0): translate decides
        first, last = user["first_name"], user.get("last_name")
        return Incoming(
            chat=ChatRef(
                "telegram",
                str(chat["id"]),
                "direct" if chat["type"] == "private" else "group",
                chat.get("title") or "",
            ),
            # The same fields PTB's User.full_name and language_code give.
            sender=Sender(
                str(user["id"]),
                f"{first} {last}" if last else first,
                user.get("language_code"),
                bool(user.get("is_bot")),
            ),
            button_key=key,
            event_id=str(data["update_id"]),
            raw_meta={"callback_query_id": str(query["id"])},
        )
    except (KeyError, TypeError):
        return None


class Intake:
    def __init__(self, handle: Callable[[Update], Awaitable[None]]) -> None:
        self._handle = handle
        self._pending: set[int] = set()  # accepted, not finished
        self._failed: set[int] = set()  # to be fetched and handled again
        self._done: set[int] = set()  # finished, but not yet below the confirmed offset
        self._highest = -1
        self._queues: dict[int | str, deque[Update]] = {}
        self._workers: dict[int | str, asyncio.Task[None]] = {}
        self._progress = asyncio.Event()

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    @property
    def failed(self) -> bool:
        return bool(self._failed)

    def offset(self) -> int | None:
        """The offset for the next getUpdates: nothing unfinished is confirmed."""
        waiting = self._pending | self._failed
        if waiting:
            offset = min(waiting)
        elif self._highest >= 0:
            offset = self._highest + 1
        else:
            return None
        # Telegram forgets what lies below the offset; so can we.
        self._done = {i for i in self._done if i >= offset}
        return offset

    def accept(self, updates: list[Update]) -> int:
        """Start handling the updates not seen yet; returns how many were new."""
        new = 0
        for update in updates:
            uid = update.update_id
            if uid in self._pending or uid in self._done:
                continue
            self._failed.discard(uid)
            self._pending.add(uid)
            self._highest = max(self._highest, uid)
            chat = update.effective_chat
            key: int | str = chat.id if chat else f"u{uid}"
            self._queues.setdefault(key, deque()).append(update)
            if key not in self._workers:
                self._workers[key] = asyncio.create_task(self._work(key))
            new += 1
        return new

    async def wait_progress(self, timeout: float) -> None:  # noqa: ASYNC109
        self._progress.clear()
        try:
            await asyncio.wait_for(self._progress.wait(), timeout)
        except TimeoutError:
            pass

    async def stop(self) -> None:
        for task in list(self._workers.values()):
            task.cancel()
        await asyncio.gather(*self._workers.values(), return_exceptions=True)

    async def _work(self, key: int | str) -> None:
        queue = self._queues[key]
        try:
            while queue:
                update = queue[0]
                try:
                    await self._handle(update)
                except Exception as exc:
                    # Not committed: this update and the chat's later ones come again.
                    log.error(
                        "update %s not committed, fetching it again: %r", update.update_id, exc
                    )
                    for waiting in queue:
                        self._pending.discard(waiting.update_id)
                        self._failed.add(waiting.update_id)
                    queue.clear()
                    break
                queue.popleft()
                self._pending.discard(update.update_id)
                self._done.add(update.update_id)
                self._progress.set()
        finally:
            del self._workers[key]
            if not queue:
                self._queues.pop(key, None)
            self._progress.set()
