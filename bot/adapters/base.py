"""What every adapter offers the core."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bot.types import Delivery, Incoming

# Returns True once the message's effects are committed; adapters acknowledge only then.
Dispatch = Callable[[Incoming], Awaitable[bool]]


class Adapter(Protocol):
    platform: str
    # Whether a delivery with edit_message_id changes that message; the sender drops edits
    # for platforms that cannot, rather than posting them again.
    supports_edit: bool

    async def start(self, dispatch: Dispatch) -> None:
        """Begin receiving; returns once receiving runs in the background."""

    async def stop(self) -> None:
        """Stop receiving and release connections."""

    # Optional: ``async def stop_receiving(self) -> None`` stops taking messages in but
    # keeps sending possible; the bot calls it first when stopping, lets the sender finish
    # what is due, and only then calls ``stop``.

    # Optional: ``status: bot.receiving.ReceiveStatus``, kept up to date by an adapter whose
    # loops know best whether receiving works (Telegram); otherwise the bot sets it from
    # starting and watching the adapter. ``receiving_task`` (or ``_task``): the background
    # receiving loop, which the bot restarts for leader-only adapters when it ends.

    async def send(self, delivery: Delivery) -> str:
        """Show one outbox message; returns the platform's message id."""
        ...

    def bot_username(self) -> str | None:
        """The bot's own user name on the platform, for "/cmd@name"."""
        ...


def numbered_choices(delivery: Delivery) -> str:
    """Buttons as text for platforms without them: "1 – Ich komme" lines and the hint."""
    if not delivery.buttons:
        return delivery.text
    lines = [delivery.text, ""]
    lines += [f"{n} – {button.label}" for n, button in enumerate(delivery.buttons, start=1)]
    if delivery.choice_hint:
        lines.append(delivery.choice_hint)
    return "\n".join(lines)


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Stop a background task (a polling or sync loop) and wait until it has."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
