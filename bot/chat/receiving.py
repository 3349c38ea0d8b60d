"""Whether each platform is receiving, and the supervision that keeps it so.

A receiving loop (Telegram's getUpdates, the webhook server, Matrix's sync) that ends or
keeps failing leaves the bot deaf on that platform while it still sends and looks alive.
So every receiving loop runs under ``supervise``: an error or an unexpected end is logged in
one line (what failed, where, when it is tried again) and retried with exponential backoff;
``ReceiveStatus`` holds the platform's state for /health, which answers 503 while a platform
that should receive does not.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

RUNNING = "running"
STOPPED = "stopped"
STARTING = "starting"
# Retries start after a second and double up to this cap: an outage of hours costs a
# request every five minutes, and a short one is over within seconds.
FIRST_DELAY = 1.0
MAX_DELAY = 300.0


class Backoff:
    """Exponential delays: 1, 2, 4 … seconds up to a cap; ``reset`` after a success."""

    def __init__(self, first: float = FIRST_DELAY, cap: float = MAX_DELAY) -> None:
        self._first = first
        self._cap = cap
        self._next = first

    def next(self, cap: float | None = None) -> float:
        """The delay before the next try (``cap`` may lower the ceiling for this one)."""
        delay = min(self._next, self._cap if cap is None else min(cap, self._cap))
        self._next = min(self._next * 2, self._cap)
        return delay

    def reset(self) -> None:
        self._next = self._first


def short_reason(exc: BaseException) -> str:
    """The error in a few words for /health and the log: its type and first line, without
    anything a request might carry (URLs are masked by the log filter anyway)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(exc).__name__
    return f"{name}: {text[:120]}" if text else name


class ReceiveStatus:
    """One platform's receiving: wanted (this process should receive now) and its state."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.wanted = False
        self.state = STOPPED
        # When the platform last answered a receive request (getUpdates, sync), as
        # time.time(); None before the first answer.
        self.last_ok: float | None = None

    @property
    def healthy(self) -> bool:
        return not self.wanted or self.state == RUNNING

    def starting(self) -> None:
        self.wanted = True
        if self.state != RUNNING:
            self.state = STARTING

    def running(self) -> None:
        self.last_ok = time.time()
        if self.wanted and self.state != RUNNING:
            if self.state.startswith("retrying"):
                log.warning("%s: receiving again", self.platform)
            self.state = RUNNING

    def retrying(self, what: str, reason: str, delay: float) -> None:
        """Record and log, in one line, a failure that is tried again in ``delay`` seconds."""
        self.state = f"retrying: {reason}"
        log.error(
            "%s: %s failed (%s); not receiving, next try in %.0f s",
            self.platform,
            what,
            reason,
            delay,
        )

    def stopped(self) -> None:
        self.wanted = False
        self.state = STOPPED


async def supervise(
    status: ReceiveStatus,
    what: str,
    run: Callable[[], Awaitable[None]],
    *,
    stopping: Callable[[], bool],
    backoff: Backoff | None = None,
) -> None:
    """Run a receiving loop until ``stopping()``; when it raises or ends on its own, log
    one line, wait (exponential backoff) and run it again. Cancelling ends it."""
    backoff = backoff or Backoff()
    while True:
        try:
            await run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            reason = short_reason(exc)
        else:
            if stopping():
                return
            reason = "ended unexpectedly"
        if stopping():
            return
        if status.state == RUNNING:
            backoff.reset()  # it worked for a while: this is a new failure, not the same one
        delay = backoff.next()
        status.retrying(what, reason, delay)
        await asyncio.sleep(delay)
