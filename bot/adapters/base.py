"""What every adapter offers the core, and what it declares about its platform.

Capabilities are class attributes and methods with defaults here, so the core reads them
directly instead of probing for them: an adapter states only where it differs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bot.chat.types import Delivery, Incoming

if TYPE_CHECKING:
    from bot.chat.receiving import ReceiveStatus

# Returns True once the message's effects are committed; adapters acknowledge only then.
Dispatch = Callable[[Incoming], Awaitable[bool]]


class Adapter:
    """One chat platform: receives into ``dispatch``, shows outbox deliveries."""

    platform: str = ""
    # How the platform is named to people (a relayed message says where it came from).
    display_name: str = ""
    # How commands start: "/" unless the platform's apps keep "/" for themselves; one of
    # bot.chat.platforms.COMMAND_PREFIXES, which the router reads on every platform.
    command_prefix: str = "/"
    # Whether people see buttons they can tap; without them (Matrix, the console) choices
    # are written as lines and the texts say "schreiben Sie", never "tippen Sie".
    shows_buttons: bool = True
    # Whether people can write to the bot there; by e-mail they only press its links, so
    # nothing asks them to write an answer.
    takes_messages: bool = True
    # Whether a delivery with edit_message_id changes that message; the sender drops edits
    # for platforms that cannot, rather than posting them again.
    supports_edit: bool = False
    # Only the leading process runs the platform (receives and sends): its client state
    # belongs to one process (Matrix's room state and crypto store).
    leader_only: bool = False
    # Every process sends, but only the leader receives (Telegram's long polling); such an
    # adapter starts with ``receive=False`` and follows ``set_receiving``.
    receives_on_leader_only: bool = False
    # A direct chat can gain members: a direct delivery carries its person's user ids and
    # the adapter raises NotPrivate when someone else is in the chat (Matrix).
    checks_recipient: bool = False
    # A button press can be answered with a short notice that only the presser sees
    # (Telegram's answer to a callback query); ``answer_press`` shows it. Elsewhere such
    # answers go to the person's private chat, never to the group.
    answers_presses: bool = False
    # Whether the platform has group chats (e-mail has none: every message is to one person).
    has_groups: bool = True
    # Whether staff are told when a person cannot be reached there any more (an e-mail
    # address that refuses mail): nobody could ask them in a group to open a chat.
    tells_staff_when_unreachable: bool = False
    # Sends whose result is not yet recorded; None for no bound. 1 where a send cannot be
    # made idempotent, so a crash repeats at most one message.
    max_in_flight: int | None = None
    # Kept up to date by an adapter whose loops know best whether receiving works;
    # otherwise the bot keeps one from starting and watching the adapter.
    status: ReceiveStatus | None = None

    async def start(self, dispatch: Dispatch) -> None:
        """Begin receiving; returns once receiving runs in the background. An adapter that
        ``receives_on_leader_only`` also takes ``receive=False``: connect, send only."""
        raise NotImplementedError

    async def stop(self) -> None:
        """Stop receiving and release connections."""

    async def stop_receiving(self) -> None:
        """Stop taking messages in but keep sending possible; the bot calls it first when
        stopping, lets the sender finish what is due, and only then calls ``stop``."""

    async def set_receiving(self, on: bool) -> None:
        """Start or stop receiving while running (``receives_on_leader_only``)."""

    def share_rate(self, processes: int) -> None:
        """Several processes send: each keeps to its part of the platform's overall rate."""

    @property
    def receiving_task(self) -> asyncio.Task[Any] | None:
        """The background receiving loop, which the bot restarts for leader-only adapters
        when it ends; None when there is nothing to watch."""
        return None

    async def wait_ready(self, delivery: Delivery) -> None:
        """Wait until the delivery's chat may be sent to (its own rate limit), before the
        sender takes a sending slot for it."""

    async def send(self, delivery: Delivery) -> str:
        """Show one outbox message; returns the platform's message id."""
        raise NotImplementedError

    async def answer_press(self, press: Incoming, text: str) -> None:
        """Show ``text`` to the person who made ``press`` (a button press), to nobody else
        and outside the chat's message quota (``answers_presses``)."""

    def bot_username(self) -> str | None:
        """The bot's own user name on the platform, for "/cmd@name"."""
        return None

    async def identify(self) -> None:
        """Learn the bot's own identity (its name, for links) without receiving, for
        commands that run beside the bot (``lotsenbot qr``); ``stop`` releases it."""

    def deep_link(self, payload: str) -> str | None:
        """A link that opens the private chat with the bot and hands it ``payload`` (as
        ``start payload``); None where the platform has no such link."""
        return None

    def chat_link(self, payload: str) -> str | None:
        """A link that opens a private chat with the bot, with ``payload`` where the
        platform can carry it."""
        return self.deep_link(payload)


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Stop a background task (a polling or sync loop) and wait until it has."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
