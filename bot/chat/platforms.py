"""What each chat platform declared about itself, for code that knows only its name.

The adapters declare it (``bot.adapters.base.Adapter``); the composition root records it
here when it builds them, so handlers, notices and texts write commands and name platforms
the platform's way without importing an adapter.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Platform:
    """How commands start on a platform and how people call it."""

    command_prefix: str = "/"
    display_name: str = ""


_DEFAULT = Platform()
_declared: dict[str, Platform] = {}


def declare(name: str, *, command_prefix: str, display_name: str) -> None:
    """Record what a platform's adapter declares (done by the composition root)."""
    _declared[name] = Platform(command_prefix, display_name)


def command_prefix(name: str) -> str:
    """The character commands start with on the platform: "/" unless it declared another."""
    return _declared.get(name, _DEFAULT).command_prefix


def display_name(name: str) -> str:
    """The platform's name as people know it; its technical name if it declared none."""
    return _declared.get(name, _DEFAULT).display_name or name
