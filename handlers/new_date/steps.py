"""The questions of the new-date dialog and how each answer is checked and kept.

The answers are kept in the dialog's data (plain JSON) until staff save; ``details`` and
``when_of`` turn them into what ``bot.dates.planning`` stores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.dates import series
from bot.dates.details import TEXT_FIELDS
from bot.domain.models import Event
from bot.domain.numbers import is_number
from bot.domain.when import When, WhenError, parse_when
from bot.infra.column_limits import column_length
from bot.language.choosing import joined, or_word, otherwise_word, pick_one
from bot.language.i18n import _, current_locale, ngettext
from handlers.when_words import when_error

STATE = "newdate"
MAX_FIELD = 300
# The answers that become a date's columns: no longer than the column (title 200).
FIELD_LIMITS = {key: min(MAX_FIELD, column_length(Event, key)) for key in TEXT_FIELDS}
MAX_CAPACITY = 10_000
SKIP, ONLINE_ONLY, ONGOING, NO_LIMIT = "skip", "online_only", "ongoing", "no_limit"


@dataclass(frozen=True, slots=True)
class Step:
    key: str
    # The question; its argument tells whether people can tap buttons (Telegram) or write
    # the choice (Matrix): "tippen Sie" only where there is something to tap.
    question: Callable[[bool], str]
    choices: Callable[[], list[tuple[str, str]]] = lambda: []
    numbers: bool = False
    applies: Callable[[dict[str, Any]], bool] = lambda data: True


def _skip() -> list[tuple[str, str]]:
    return [(_("Skip"), SKIP)]


STEPS = (
    Step(
        "title",
        lambda tap: _("What is the date called? For example: Digitalcafé"),
        lambda: [(_("Digitalcafé"), _("Digitalcafé")), (_("Office hours"), _("Office hours"))],
    ),
    Step(
        "when",
        lambda tap: _(
            "When is it? For example:\n"
            "jeden 1. Mittwoch 15 Uhr\n"
            "dienstags 10–12 Uhr\n"
            "9.12. 15:00–17:00\n"
            "morgen 10 Uhr"
        ),
    ),
    Step(
        "course",
        lambda tap: joined(
            _("Is it a course with a fixed number of dates? Then write the number of dates."),
            otherwise_word(_("Ongoing"), tap),
        ),
        lambda: [(_("Ongoing"), ONGOING)],
        numbers=True,
        applies=lambda data: bool(data.get("rrule")),
    ),
    Step(
        "place",
        lambda tap: _("Where does it take place? For example: Stadtbibliothek, Markt 1, Raum 2"),
        lambda: [(_("Online only"), ONLINE_ONLY)],
    ),
    Step(
        "online_link",
        lambda tap: joined(
            _("Can people also join online? Then write the address."),
            otherwise_word(_("Skip"), tap),
        ),
        _skip,
    ),
    Step(
        "topic",
        lambda tap: joined(_("What is the topic?"), or_word(_("Skip"), tap)),
        _skip,
    ),
    Step(
        "capacity",
        lambda tap: _("How many places are there? Please write a number."),
        lambda: [(_("No limit"), NO_LIMIT)],
        numbers=True,
    ),
    Step(
        "contact",
        lambda tap: _("Who answers questions? For example: Frau Meier, Telefon 04542 1234"),
        _skip,
    ),
    Step(
        "deadline",
        lambda tap: _("Until when can people sign up?"),
        lambda: [
            (_("Until it starts"), "0"),
            (_("1 day before"), "24"),
            (_("2 days before"), "48"),
        ],
    ),
    Step(
        "bring",
        lambda tap: joined(
            _("What should people bring? For example: your phone."), or_word(_("Skip"), tap)
        ),
        _skip,
    ),
)
BY_KEY = {step.key: step for step in STEPS}


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer to a question: typed, or tapped (then ``text`` is the button's value)."""

    key: str
    text: str
    tapped: bool
    timezone: str
    now: datetime
    # Whether the platform shows buttons to tap (see ``Step.question``).
    can_tap: bool = True

    @property
    def skipped(self) -> bool:
        return self.tapped and self.text == SKIP


def store(answer: Answer, data: dict[str, Any]) -> str:
    """Put one answer into data; returns a friendly problem text, or "" when it fits."""
    limit = FIELD_LIMITS.get(answer.key, MAX_FIELD)
    if len(answer.text) > limit:
        return ngettext(
            "That is too long. Please write at most {limit} character.",
            "That is too long. Please write at most {limit} characters.",
            limit,
        ).format(limit=limit)
    return _KEEP.get(answer.key, _text)(answer, data)


def _title(answer: Answer, data: dict[str, Any]) -> str:
    if not answer.text:
        return _("Please write a name for the date.")
    data["title"] = answer.text
    return ""


def _when(answer: Answer, data: dict[str, Any]) -> str:
    try:
        when = parse_when(
            answer.text,
            answer.now,
            answer.timezone,
            require_time=True,
            language=current_locale(),
        )
    except WhenError as error:
        return when_error(error)
    data.update(_when_data(when))
    return ""


def _course(answer: Answer, data: dict[str, Any]) -> str:
    text = answer.text
    if answer.tapped and text == ONGOING:
        data["course_dates"] = None
    elif is_number(text) and 2 <= int(text) <= series.MAX_COURSE_DATES:
        data["course_dates"] = int(text)
    else:
        return joined(
            _("Please write a number from 2 to {most}.").format(most=series.MAX_COURSE_DATES),
            or_word(_("Ongoing"), answer.can_tap),
        )
    return ""


def _place(answer: Answer, data: dict[str, Any]) -> str:
    data["place"] = "" if answer.tapped and answer.text == ONLINE_ONLY else answer.text
    return ""


def _capacity(answer: Answer, data: dict[str, Any]) -> str:
    text = answer.text
    if answer.tapped and text == NO_LIMIT:
        data["capacity"] = None
    elif is_number(text) and 1 <= int(text) <= MAX_CAPACITY:
        data["capacity"] = int(text)
    else:
        return _("Please write the number of places, for example 15.")
    return ""


def _deadline(answer: Answer, data: dict[str, Any]) -> str:
    hours = answer.text if answer.tapped else _hours_before(answer.text)
    if hours is None:
        return pick_one(answer.can_tap)
    data["deadline_hours"] = int(hours) or None
    return ""


def _online_link(answer: Answer, data: dict[str, Any]) -> str:
    if answer.skipped and not data.get("place"):
        return _("The date is online only, so please write the address, starting with https://")
    if not answer.skipped and not answer.text.startswith(("https://", "http://")):
        return joined(
            _("Please write the full address, starting with https://."),
            or_word(_("Skip"), answer.can_tap),
        )
    return _text(answer, data)


def _text(answer: Answer, data: dict[str, Any]) -> str:
    data[answer.key] = "" if answer.skipped else answer.text
    return ""


_KEEP: dict[str, Callable[[Answer, dict[str, Any]], str]] = {
    "title": _title,
    "when": _when,
    "course": _course,
    "place": _place,
    "capacity": _capacity,
    "deadline": _deadline,
    "online_link": _online_link,
}


def _hours_before(text: str) -> str | None:
    words = text.lower().split()
    if not words:
        return None
    if is_number(words[0]):
        return str(int(words[0]) * 24) if int(words[0]) <= 14 else None
    return None


def _when_data(when: When) -> dict[str, Any]:
    return {
        "start": when.start.isoformat(),
        "end": when.end.isoformat() if when.end else None,
        "rrule": when.rrule,
    }


def when_of(data: dict[str, Any]) -> When:
    return When(
        datetime.fromisoformat(data["start"]),
        datetime.fromisoformat(data["end"]) if data.get("end") else None,
        data.get("rrule"),
        True,
    )
