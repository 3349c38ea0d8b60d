"""A clock tests move by hand, so nothing in the suite sleeps to let time pass."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment


class RunningClock(FakeClock):
    """Starts on the fake clock's day and runs on with real time: for a bot whose retries
    wait for time to pass (the sender's back-off while a new Matrix room syncs)."""

    def __init__(self, start: datetime | None = None) -> None:
        super().__init__(start)
        self._started = time.monotonic()

    def now(self) -> datetime:
        return self._now + timedelta(seconds=time.monotonic() - self._started)
