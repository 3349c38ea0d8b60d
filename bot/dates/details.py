"""What a date says besides its time, in one place: what staff enter (``Details``), what is
copied to a series and to each of its dates, and how each detail reads in the announcement,
on the poster and in the calendar file.

A new detail is a column on ``Series`` and ``Event`` (models and a migration), a field and a
line here, and its question in ``handlers/new_date/steps.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from bot.language.i18n import N_, _


@dataclass(slots=True)
class Details:
    """What staff enter for a date or series; shared by the dialog and the one-line command."""

    title: str
    place: str = ""
    online_link: str = ""
    topic: str = ""
    capacity: int | None = None
    contact: str = ""
    bring: str = ""
    deadline_hours: int | None = None
    kind: str = "cafe"
    course_dates: int | None = None
    public: bool = True


# Entered once, then the same on the series and on every date made from it.
COPIED = ("title", "place", "online_link", "topic", "capacity", "contact", "bring", "public")
# Free text staff type, each stored in a column of that name on Series and Event.
TEXT_FIELDS = ("title", "place", "online_link", "topic", "contact", "bring")

# How a detail reads for members, in the order shown; the placeholder is the text's own.
_LINES = (
    ("place", N_("Place: {place}"), "place"),
    ("online_link", N_("Online: {link}"), "link"),
    ("topic", N_("Topic: {topic}"), "topic"),
    ("bring", N_("Please bring: {things}"), "things"),
)
# The details ``lines`` shows.
SHOWN = tuple(name for name, _label, _placeholder in _LINES)


def from_answers(answers: dict[str, Any]) -> Details:
    """Details from a dialog's stored answers; what was not asked keeps its default."""
    given = {f.name: answers[f.name] for f in fields(Details) if f.name in answers}
    return Details(**{"title": "", **given})


def copied(source: Any) -> dict[str, Any]:
    """The details a series or a date takes over from ``source``, as column values."""
    return {name: getattr(source, name) for name in COPIED}


def lines(source: Any, leave_out: Iterable[str] = ()) -> list[str]:
    """Each detail ``source`` has, one line each, in the reader's language."""
    skipped = set(leave_out)
    return [
        _(label).format(**{placeholder: getattr(source, name)})
        for name, label, placeholder in _LINES
        if name not in skipped and getattr(source, name)
    ]
