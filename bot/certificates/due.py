"""What of certificates falls due, for the scheduler: in December, once a year, staff hear
that certificates can be made."""

from __future__ import annotations

from bot.certificates import document
from bot.domain.work import Work
from bot.infra.scheduler import Chore, Round


async def _remind(work: Work) -> int:
    return await document.yearly_reminder(work.session, work.now)


def rounds() -> list[Round]:
    """Looked at every round; the reminder itself remembers whom it told which year."""
    return [Chore("certificate reminder", _remind)]
