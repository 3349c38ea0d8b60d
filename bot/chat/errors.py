"""Errors adapters raise so the sender can decide: wait, retry, or give up on a chat."""

from __future__ import annotations


class DeliveryError(Exception):
    """Base class for send failures."""


class RetryLater(DeliveryError):
    """The platform asked us to wait (429 / M_LIMIT_EXCEEDED)."""

    def __init__(self, seconds: float, scope: str = "chat") -> None:
        super().__init__(f"retry after {seconds}s ({scope})")
        self.seconds = seconds
        self.scope = scope


class TransientError(DeliveryError):
    """5xx, timeout or network trouble: try again with backoff."""


class Unreachable(DeliveryError):
    """The person blocked the bot or never opened a chat with it."""


class ChatMoved(DeliveryError):
    """The chat has a new id (Telegram group upgraded to a supergroup)."""

    def __init__(self, new_external_id: str) -> None:
        super().__init__(f"chat moved to {new_external_id}")
        self.new_external_id = new_external_id


class NotPrivate(DeliveryError):
    """A person's private chat has someone else in it now (a Matrix room someone was invited
    to): nothing private may go there any more."""


class PermanentError(DeliveryError):
    """The platform refuses this message as it is; sending it again cannot help."""
