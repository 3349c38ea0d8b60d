"""What of the newsletter falls due, for the scheduler: each due issue, and unconfirmed
subscriptions that expired."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.work import Work
from bot.infra.scheduler import Chore, Round
from bot.newsletter import issues, subscriptions


def rounds(base_url: str) -> list[Round]:
    """``base_url``: the bot's public web address, for the unsubscribe links."""

    async def send(work: Work) -> int:
        return await issues.send_due(work, base_url)

    return [
        Chore("newsletter", send),
        Chore("newsletter expiry", subscriptions.expire_unconfirmed, every=timedelta(hours=1)),
    ]
