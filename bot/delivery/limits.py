"""Sliding-window rate limits, so the bot paces itself below a platform's limits instead of
collecting 429 answers."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager


class SlidingWindow:
    """At most ``limit`` events in any ``period`` seconds.

    Each event's time is a mutable cell, so a booking made at departure can be moved to the
    moment the answer came back: the server counted it somewhere in between.
    """

    __slots__ = ("limit", "period", "times")

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self.times: deque[list[float]] = deque()

    def wait_time(self, now: float) -> float:
        while self.times and self.times[0][0] <= now - self.period:
            self.times.popleft()
        if len(self.times) < self.limit:
            return 0.0
        return self.times[0][0] + self.period - now

    def record(self, now: float) -> list[float]:
        cell = [now]
        self.times.append(cell)
        return cell


Booking = tuple[list[float], list[float]]


class ChatRateLimiter:
    """One overall window plus one window per chat (private and group chats differ).

    ``acquire`` waits until a send to that chat fits every window, then books it. A 429
    pauses the chat, or everything when several chats are refused at once.
    """

    def __init__(
        self,
        *,
        overall: tuple[int, float],
        private: tuple[int, float],
        group: tuple[int, float],
        margin: float = 0.04,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # The server counts arrivals, we count departures: a margin of seconds on every
        # window absorbs the difference in network delay between two requests.
        self._overall = SlidingWindow(overall[0], overall[1] + margin)
        self._private = (private[0], private[1] + margin)
        self._group = (group[0], group[1] + margin)
        self._chats: dict[str, SlidingWindow] = {}
        self._paused_chat: dict[str, float] = {}
        self._paused_all = 0.0
        self._recent_429: deque[tuple[float, str]] = deque()
        self._clock = clock
        # Urgent sends waiting for the overall window, and whether there are none.
        self._urgent = 0
        self._no_urgent = asyncio.Event()
        self._no_urgent.set()

    def set_overall(self, limit: int) -> None:
        """A new overall limit (its period stays); sends already counted still count."""
        self._overall.limit = limit

    def _window(self, chat_id: str, is_group: bool) -> SlidingWindow:
        window = self._chats.get(chat_id)
        if window is None:
            limit, period = self._group if is_group else self._private
            window = self._chats[chat_id] = SlidingWindow(limit, period)
            if len(self._chats) > 50_000:
                self._forget_idle()
        return window

    def _forget_idle(self) -> None:
        now = self._clock()
        for chat_id in [c for c, w in self._chats.items() if w.wait_time(now) == 0 and not w.times]:
            del self._chats[chat_id]

    def delay(self, chat_id: str, is_group: bool) -> float:
        """Seconds until a send to this chat would fit; 0 when it fits now."""
        now = self._clock()
        return max(
            self._overall.wait_time(now),
            self._window(chat_id, is_group).wait_time(now),
            self._paused_all - now,
            self._paused_chat.get(chat_id, 0.0) - now,
            0.0,
        )

    def chat_delay(self, chat_id: str, is_group: bool) -> float:
        """Seconds until this chat's own window and pause allow a send (overall ignored)."""
        now = self._clock()
        return max(
            self._window(chat_id, is_group).wait_time(now),
            self._paused_chat.get(chat_id, 0.0) - now,
            0.0,
        )

    async def wait_chat(self, chat_id: str, is_group: bool) -> None:
        """Wait until the chat itself is ready, without booking anything."""
        while (wait := self.chat_delay(chat_id, is_group)) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)

    async def acquire(self, chat_id: str, is_group: bool, urgent: bool = False) -> Booking:
        """Wait until a send fits every window and book it; pass the booking to ``done``.

        An urgent send (an answer to someone who just wrote) waits for its chat's own window
        first, then goes before every other send waiting for the overall window, so a
        backlog of hundreds does not stand between a person and the answer."""
        if urgent:
            await self.wait_chat(chat_id, is_group)
            self._urgent += 1
            self._no_urgent.clear()
        try:
            while True:
                if not urgent and self._urgent:
                    await self._no_urgent.wait()
                    continue
                wait = self.delay(chat_id, is_group)
                if wait <= 0:
                    now = self._clock()
                    return (self._overall.record(now), self._window(chat_id, is_group).record(now))
                await asyncio.sleep(wait)
        finally:
            if urgent:
                self._urgent -= 1
                if not self._urgent:
                    self._no_urgent.set()

    def done(self, booking: Booking) -> None:
        """The answer came back: count the send from now, the latest it can have arrived.

        A slow first request (a new connection) otherwise lets the next window's sends
        reach the server closer together than we counted.
        """
        now = self._clock()
        for cell in booking:
            cell[0] = max(cell[0], now)

    def refused(self, chat_id: str, retry_after: float) -> str:
        """Note a 429; returns the scope paused: "chat" or "all"."""
        now = self._clock()
        self._recent_429.append((now, chat_id))
        while self._recent_429 and self._recent_429[0][0] < now - 1.0:
            self._recent_429.popleft()
        self._paused_chat[chat_id] = now + retry_after
        if len({chat for _, chat in self._recent_429}) >= 3:
            # Several chats refused within a second: the bot-wide limit was hit.
            self._paused_all = now + retry_after
            return "all"
        return "chat"


class Slots:
    """At most ``limit`` sends at once (``Adapter.max_in_flight``); waiting urgent sends (an
    answer to someone who just wrote) get the next free slot before the others, which keep
    their order among themselves."""

    def __init__(self, limit: int) -> None:
        self._free = limit
        self._waiting: dict[bool, deque[asyncio.Future[None]]] = {True: deque(), False: deque()}
        self._keyed: dict[object, asyncio.Future[None]] = {}  # waiting, by key (a chat)

    @asynccontextmanager
    async def hold(self, urgent: bool = False, key: object = None) -> AsyncIterator[None]:
        await self._acquire(urgent, key)
        try:
            yield
        finally:
            self._release()

    def promote(self, key: object) -> None:
        """The send waiting under ``key`` became urgent (its chat was hurried after it was
        claimed): it moves to the urgent ones."""
        future = self._keyed.get(key)
        if future is not None and future in self._waiting[False]:
            self._waiting[False].remove(future)
            self._waiting[True].append(future)

    async def _acquire(self, urgent: bool, key: object = None) -> None:
        if self._free > 0 and not self._waiting[True] and not self._waiting[False]:
            self._free -= 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[urgent].append(future)
        if key is not None:
            self._keyed[key] = future
        try:
            await future
        except asyncio.CancelledError:
            if future.cancelled():
                for queue in self._waiting.values():
                    if future in queue:
                        queue.remove(future)
            else:
                self._release()  # handed over just as the wait was cancelled
            raise
        finally:
            if key is not None and self._keyed.get(key) is future:
                del self._keyed[key]

    def _release(self) -> None:
        for urgent in (True, False):
            queue = self._waiting[urgent]
            while queue:
                future = queue.popleft()
                if not future.done():
                    future.set_result(None)  # the slot passes on directly
                    return
        self._free += 1
