"""The unit of work a use case runs in: the open transaction and the moment it happens.

Services take a ``Work`` and plain arguments and return plain results. Handlers get theirs
from ``ctx.work``; the scheduler, the command line and a future web page build one around
their own session, so every caller runs the same use case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class Work:
    """One transaction and its "now"; messages go through the outbox in the same session."""

    session: AsyncSession
    now: datetime
