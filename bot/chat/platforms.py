"""What each chat platform declared about itself, for code that knows only its name.

The adapters declare it (``bot.adapters.base.Adapter``); the composition root records it
here when it builds them, so handlers, notices and texts write commands and name platforms
the platform's way without importing an adapter.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Platform:
    """How commands start on a platform, how people call it, and whether a button press
    can be answered with a notice only the presser sees."""

    command_prefix: str = "/"
    display_name: str = ""
    answers_presses: bool = False
    shows_buttons: bool = True
    # Whether people can write to the bot there (not by e-mail: its links are the answers).
    takes_messages: bool = True


# What a command may start with, on every platform: someone used to one app types its
# prefix in the other too. An adapter declares one of these (``Adapter.command_prefix``).
COMMAND_PREFIXES = ("/", "!")

_DEFAULT = Platform()
_declared: dict[str, Platform] = {}


def declare(
    name: str,
    *,
    command_prefix: str,
    display_name: str,
    answers_presses: bool = False,
    shows_buttons: bool = True,
    takes_messages: bool = True,
) -> None:
    """Record what a platform's adapter declares (done by the composition root)."""
    if command_prefix not in COMMAND_PREFIXES:
        raise ValueError(
            f"{name}: commands can start with {COMMAND_PREFIXES}, not {command_prefix!r}"
        )
    _declared[name] = Platform(
        command_prefix, display_name, answers_presses, shows_buttons, takes_messages
    )


def command_prefix(name: str) -> str:
    """The character commands start with on the platform: "/" unless it declared another."""
    return _declared.get(name, _DEFAULT).command_prefix


def other_command_prefix(name: str) -> str:
    """How commands start in the person's other app: the prefix this platform does not use
    ("!" from Telegram, for Matrix; "/" from Matrix)."""
    own = command_prefix(name)
    return next(prefix for prefix in COMMAND_PREFIXES if prefix != own)


def display_name(name: str) -> str:
    """The platform's name as people know it; its technical name if it declared none."""
    return _declared.get(name, _DEFAULT).display_name or name


def answers_presses(name: str) -> bool:
    """Whether the platform shows a short notice to the person who pressed a button, and
    to nobody else (Telegram's answer to a callback query)."""
    return _declared.get(name, _DEFAULT).answers_presses


def takes_messages(name: str) -> bool:
    """Whether people can write to the bot on the platform (e-mail: only its links answer)."""
    return _declared.get(name, _DEFAULT).takes_messages


def shows_buttons(name: str) -> bool:
    """Whether the platform shows buttons to tap; without, they are numbered lines to
    answer by typing the number (Matrix, the console)."""
    return _declared.get(name, _DEFAULT).shows_buttons
