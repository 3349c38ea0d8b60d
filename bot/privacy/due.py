"""What of privacy falls due, for the scheduler: erased people's chats go once their
goodbye is out, and the retention rules run once a day."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.work import Work
from bot.infra.scheduler import Chore, Round
from bot.privacy import rights
from bot.privacy.retention import Retention

RETAIN_EVERY = timedelta(hours=24)


def rounds(retention: Retention) -> list[Round]:
    """Both before any message is sent in a round."""

    async def purge(work: Work) -> None:
        await rights.purge_erased_chats(work.session)

    async def retain(work: Work) -> None:
        await rights.apply_retention(work.session, retention, work.now)

    return [Chore("erased chats", purge), Chore("retention", retain, every=RETAIN_EVERY)]
