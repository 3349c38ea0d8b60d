"""A series' rhythm in plain words: "alle zwei Wochen am Dienstag, 14 Uhr", "jeden 2. Dienstag
im Monat, 15 Uhr". Call inside ``use_locale`` for the reader's language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import get_day_names

from bot.language.i18n import _, current_locale, format_time, ngettext

_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def describe(rrule: str | None, start: datetime, timezone: str) -> str:
    """The rhythm of ``rrule`` from ``start`` (UTC) in words; "" for a rule we cannot say."""
    if not rrule:
        return ""
    parts = dict(part.split("=", 1) for part in rrule.split(";") if "=" in part)
    time = _time(start, timezone)
    freq, interval = parts.get("FREQ"), int(parts.get("INTERVAL", "1") or 1)
    try:
        days = [_day(code) for code in parts.get("BYDAY", "").split(",") if code]
    except (KeyError, ValueError):
        return ""
    if freq == "DAILY" and interval == 1:
        return _("every day, {time}").format(time=time)
    if freq == "WEEKLY" and days:
        names = _joined([name for _ordinal, name in days])
        if interval == 1:
            return _("every {days}, {time}").format(days=names, time=time)
        if interval == 2:
            return _("every two weeks on {days}, {time}").format(days=names, time=time)
        return ngettext(
            "every {n} week on {days}, {time}", "every {n} weeks on {days}, {time}", interval
        ).format(n=interval, days=names, time=time)
    if freq == "MONTHLY" and interval == 1:
        return _monthly(parts, days, time)
    return ""


def _monthly(parts: dict[str, str], days: list[tuple[int | None, str]], time: str) -> str:
    if days and all(ordinal is not None for ordinal, _name in days):
        which = _joined([_which(ordinal, name) for ordinal, name in days])
        return _("every {which} of the month, {time}").format(which=which, time=time)
    monthday = parts.get("BYMONTHDAY", "")
    if not days and monthday.isdigit():
        return _("on the {day} of every month, {time}").format(
            day=_ordinal(int(monthday)), time=time
        )
    return ""


def _day(code: str) -> tuple[int | None, str]:
    """ "+2TU" → (2, "Dienstag"); "TU" → (None, "Dienstag")."""
    weekday = _CODES.index(code[-2:])
    name = get_day_names("wide", locale=current_locale())[weekday]
    return (int(code[:-2]) if code[:-2] else None), name


def _which(ordinal: int | None, name: str) -> str:
    if ordinal == -1:
        return _("last {weekday}").format(weekday=name)
    if ordinal == -2:
        return _("second to last {weekday}").format(weekday=name)
    return f"{_ordinal(ordinal or 1)} {name}"


def _ordinal(n: int) -> str:
    """ "2." in German, "2nd" in English."""
    if current_locale() != "en":
        return f"{n}."
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _joined(names: list[str]) -> str:
    if len(names) < 2:
        return "".join(names)
    return _("{first} and {last}").format(first=", ".join(names[:-1]), last=names[-1])


def _time(start: datetime, timezone: str) -> str:
    """ "14 Uhr", "14:30 Uhr" (German); "2:00 PM" (English)."""
    if current_locale() == "en":
        return format_time(start, timezone)
    local = start.astimezone(ZoneInfo(timezone))
    clock = f"{local.hour}:{local.minute:02d}" if local.minute else str(local.hour)
    return _("{time} o'clock").format(time=clock)
