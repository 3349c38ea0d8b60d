"""What commands that run beside the bot (``lotsenbot qr``) need of the platforms: their
names and command prefixes, and a deep link; without building the app, and loading a
platform's adapter only when it is configured."""

from __future__ import annotations

from bot.adapters.base import Adapter
from bot.config import Settings


async def offline_deep_link(settings: Settings, payload: str) -> str | None:
    """A deep link (see ``Adapter.deep_link``) for commands that run beside the bot
    (``lotsenbot qr``): the configured platforms are reached only to learn the bot's name."""
    if not settings.telegram_enabled:
        return None  # the only platform whose links carry a payload
    from bot.adapters.telegram import TelegramAdapter

    adapter = TelegramAdapter(settings.telegram)
    try:
        await adapter.identify()
        return adapter.deep_link(payload)
    finally:
        await adapter.stop()


def configured_platforms(settings: Settings) -> list[tuple[str, str]]:
    """Each platform the settings switch on, as its adapter declares it: (name, command
    prefix), for commands that run beside the bot (``lotsenbot qr``)."""
    classes: list[type[Adapter]] = []
    if settings.telegram_enabled:
        from bot.adapters.telegram import TelegramAdapter

        classes.append(TelegramAdapter)
    if settings.matrix_enabled:
        from bot.adapters.matrix import MatrixAdapter

        classes.append(MatrixAdapter)
    if settings.console_enabled:
        from bot.adapters.console import ConsoleAdapter

        classes.append(ConsoleAdapter)
    return [(adapter.display_name, adapter.command_prefix) for adapter in classes]
