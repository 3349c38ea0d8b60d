"""The deployment's rules for asking volunteers ([volunteers] config)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class MatchingPolicy:
    """How many volunteers are asked at once, when more are asked, when staff take over."""

    offer_to: int = 3
    widen_after: timedelta = timedelta(hours=4)
    escalate_after: timedelta = timedelta(hours=24)
