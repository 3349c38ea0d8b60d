"""Incoming Telegram updates in flight: each chat in order, chats in parallel, and an offset
that confirms to Telegram only what is finished.

getUpdates(offset) makes Telegram forget every update below the offset. So the offset stays
at the oldest update not yet committed while newer ones are already being handled; updates
that come back again meanwhile are recognised here and skipped. A failed update stops its
chat: it and the chat's later updates are fetched again, in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from telegram import Update

log = logging.getLogger(__name__)


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
