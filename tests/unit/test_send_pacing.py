"""The Telegram pacing lets an answer to someone who just wrote go before a backlog."""

from __future__ import annotations

import asyncio

from bot.delivery.limits import ChatRateLimiter


async def test_an_urgent_send_goes_before_the_sends_already_waiting() -> None:
    limiter = ChatRateLimiter(overall=(1, 0.02), private=(1, 1.0), group=(20, 60.0), margin=0)
    order: list[str] = []

    async def send(chat: str, urgent: bool = False) -> None:
        await limiter.acquire(chat, False, urgent)
        order.append(chat)

    backlog = [asyncio.create_task(send(f"backlog-{n}")) for n in range(6)]
    await asyncio.sleep(0)  # they all wait for the overall window now
    while not order:  # noqa: ASYNC110
        await asyncio.sleep(0.005)
    answer = asyncio.create_task(send("erika", urgent=True))
    await asyncio.gather(*backlog, answer)
    # One backlog send may have been booked meanwhile; the answer is next at the latest.
    assert order.index("erika") <= 2
    assert sorted(order) == sorted([f"backlog-{n}" for n in range(6)] + ["erika"])
