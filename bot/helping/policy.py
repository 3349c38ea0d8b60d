"""The deployment's rules for asking volunteers ([volunteers] config)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import VolunteersSection


@dataclass(frozen=True)
class MatchingPolicy:
    """How many volunteers are asked at once, when more are asked, when staff take over."""

    offer_to: int = 3
    widen_after: timedelta = timedelta(hours=4)
    escalate_after: timedelta = timedelta(hours=24)

    @classmethod
    def from_settings(cls, section: VolunteersSection) -> MatchingPolicy:
        """The rules as the [volunteers] section sets them."""
        return cls(
            offer_to=section.offer_to,
            widen_after=timedelta(hours=section.widen_after_hours),
            escalate_after=timedelta(hours=section.escalate_after_hours),
        )
