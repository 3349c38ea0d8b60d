"""The words of the change dialog: the choices, each question, reading a typed value, and
old and new side by side."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.dates import editing
from bot.dates.editing import Changes
from bot.domain.models import Event
from bot.domain.numbers import is_number
from bot.domain.when import WhenError, parse_times
from bot.language.i18n import N_, _, format_span, ngettext
from handlers.when_words import when_error

# What staff can change, in the order offered; "time" is the start (and end) of the day.
FIELDS = {
    "title": N_("Title of the date"),
    "topic": N_("Topic"),
    "place": N_("Place"),
    "time": N_("Time"),
    "capacity": N_("Places"),
    "bring": N_("What to bring"),
    "contact": N_("Contact"),
    "online_link": N_("Online address"),
}
# Details that can be removed ("Entfernen") instead of given anew.
REMOVABLE = ("topic", "bring", "contact", "online_link")
QUESTIONS = {
    "title": N_("What is the new name of the date?"),
    "topic": N_("What is the new topic?"),
    "place": N_("Where does the date take place now?"),
    "time": N_("When does it start now? For example: 15 Uhr, or: 15–17 Uhr"),
    "capacity": N_("How many places are there now? Please write a number."),
    "bring": N_("What should people bring now?"),
    "contact": N_("Who answers questions now? For example: Frau Meier, Telefon 04542 1234"),
    "online_link": N_("What is the new online address?"),
}


def field_label(field: str) -> str:
    return _(FIELDS[field])


def question(field: str, event: Event, timezone: str) -> str:
    """The question for the new value, with the value until now."""
    return "\n".join(
        [_(QUESTIONS[field]), _("Until now: {old}").format(old=old(field, event, timezone))]
    )


def old(field: str, event: Event, timezone: str) -> str:
    """A detail of the date as it is now, in words."""
    if field == "time":
        return format_span(event.starts_at, event.ends_at, timezone)
    if field == "capacity":
        return str(event.capacity) if event.capacity is not None else _("no limit")
    return str(getattr(event, field)) or "-"


def new(field: str, value: Any, event: Event, timezone: str) -> str:
    """The new value in words, for this date."""
    changes = changes_of(field, value)
    if field == "time":
        times = editing.new_times(event, changes, timezone)
        assert times is not None
        return format_span(times[0], times[1], timezone)
    if field == "capacity":
        return str(value) if value else _("no limit")
    return str(value) or _("(removed)")


def read(field: str, text: str) -> tuple[Any, str]:
    """The typed value as the dialog keeps it (plain JSON), or a friendly problem."""
    text = text.strip()
    if field == "capacity":
        if not is_number(text) or not 1 <= int(text) <= editing.MAX_CAPACITY:
            return None, _("Please write a number from 1 to {most}.").format(
                most=editing.MAX_CAPACITY
            )
        return int(text), ""
    if field == "time":
        try:
            start, end = parse_times(text)
        except WhenError as error:
            return None, when_error(error) if error.reason != "unknown" else _time_example()
        return [start.isoformat("minutes"), end.isoformat("minutes") if end else None], ""
    refused = editing.check(changes_of(field, text))
    if refused == "too_long":
        return None, _("That is too long. Please write it shorter.")
    if refused is not None or not text:
        return None, _("I could not use this text. Please write it again.")
    return text, ""


def _time_example() -> str:
    return _("I did not understand the time. For example: 15 Uhr, or: 15–17 Uhr")


def changes_of(field: str, value: Any) -> Changes:
    """The use case's ``Changes`` for one field and its kept value."""
    if field == "time":
        start = datetime.strptime(value[0], "%H:%M").time()
        if value[1] is None:
            return Changes(start_time=start)
        end = datetime.strptime(value[1], "%H:%M").time()
        minutes = (end.hour - start.hour) * 60 + end.minute - start.minute
        return Changes(start_time=start, duration_minutes=minutes)
    if field == "capacity":
        return Changes(capacity=int(value) if value else editing.NO_LIMIT)
    return editing.changes_from({field: value})


def how_many(dates: int, people: int, field: str) -> list[str]:
    """How many dates change and how many people hear it."""
    lines = []
    if dates > 1:
        lines.append(
            ngettext("{count} date changes.", "{count} dates change.", dates).format(count=dates)
        )
    if field == "capacity":
        lines.append(_("Only people who get a place from the waiting list are told."))
    elif people:
        lines.append(
            ngettext(
                "{count} person is signed up or waiting and will be told.",
                "{count} people are signed up or waiting and will be told.",
                people,
            ).format(count=people)
        )
    else:
        lines.append(_("Nobody is signed up, so nobody needs to be told."))
    return lines


def done_head(result: editing.Edited, timezone: str) -> str:
    """Staff's answer after the change: which date (or how many from which on), who moved
    up, and who holds a place beyond the new number of places."""
    first = result.dates[0]
    when = format_span(first.starts_at, first.ends_at, timezone)
    count = len(result.dates)
    head = (
        _("Changed: {title}, {when}.").format(title=first.title, when=when)
        if count == 1
        else ngettext(
            "Changed: {title}, {count} date from {when} on.",
            "Changed: {title}, {count} dates from {when} on.",
            count,
        ).format(title=first.title, when=when, count=count)
    )
    if result.moved_up:
        head += "\n" + ngettext(
            "{count} person got a place from the waiting list.",
            "{count} people got a place from the waiting list.",
            result.moved_up,
        ).format(count=result.moved_up)
    if result.over_capacity:
        head += "\n" + ngettext(
            "{count} more person is signed up than there are places. Everyone keeps their place.",
            "{count} more people are signed up than there are places. Everyone keeps their place.",
            result.over_capacity,
        ).format(count=result.over_capacity)
    return head
