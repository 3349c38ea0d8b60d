"""The Telegram pacing lets an answer to someone who just wrote go before a backlog."""

from __future__ import annotations

import asyncio

from bot.delivery.limits import ChatRateLimiter, Slots


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


async def test_an_urgent_send_takes_the_next_free_sending_slot() -> None:
    """Telegram sends one message at a time (``max_in_flight``); an answer waits for the
    send under way, not for every backlog message queued before it."""
    slots = Slots(1)
    order: list[str] = []
    release = asyncio.Event()

    async def send(name: str, urgent: bool = False) -> None:
        async with slots.hold(urgent):
            order.append(name)
            if name == "first":
                await release.wait()

    first = asyncio.create_task(send("first"))
    await asyncio.sleep(0)
    backlog = [asyncio.create_task(send(f"backlog-{n}")) for n in range(5)]
    await asyncio.sleep(0)
    answer = asyncio.create_task(send("erika", urgent=True))
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(first, *backlog, answer)
    assert order == ["first", "erika", *(f"backlog-{n}" for n in range(5))]


async def test_a_cancelled_wait_gives_no_slot_away() -> None:
    slots = Slots(1)
    release = asyncio.Event()
    done: list[str] = []

    async def send(name: str) -> None:
        async with slots.hold():
            await release.wait()
            done.append(name)

    holder = asyncio.create_task(send("a"))
    await asyncio.sleep(0)
    waiting = asyncio.create_task(send("b"))
    await asyncio.sleep(0)
    waiting.cancel()
    release.set()
    await holder
    await asyncio.gather(waiting, return_exceptions=True)
    await asyncio.wait_for(send("c"), 5)  # the slot is free again
    assert done == ["a", "c"]
