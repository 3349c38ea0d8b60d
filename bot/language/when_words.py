"""Friendly answers when a typed date or time cannot be understood (chat and web page)."""

from __future__ import annotations

from bot.domain.when import WhenError
from bot.language.i18n import _


def when_error(error: WhenError) -> str:
    """Say in plain words what is missing, with an example that works."""
    example = _("For example: 9.12. 15 Uhr, or: jeden 1. Mittwoch 15 Uhr")
    reason = {
        "empty": _("Please write a date and a time."),
        "no_date": _("I am missing the day."),
        "no_time": _("I am missing the time."),
        "past": _("This date is in the past."),
        "impossible_date": _("This day does not exist."),
        "impossible_time": _("This time does not work. The end must be after the start."),
        "too_long": _("That is too long."),
        "no_weekday": _("I am missing the weekday."),
        "unknown": _("I did not understand the date."),
    }.get(error.reason, _("I did not understand the date."))
    if error.reason == "no_weekday":
        example = _("For example: alle zwei Wochen dienstags 15 Uhr")
    return f"{reason} {example}"
