"""Gettext catalogs, the per-dispatch locale (a ContextVar) and Babel date formatting."""

from __future__ import annotations

import gettext
import html
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import (
    format_date,
    format_datetime,
    format_skeleton,
    get_date_format,
    get_time_format,
)
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.infra.package_data import LOCALES_DIR, catalog_languages

if TYPE_CHECKING:
    from bot.config import Settings

DOMAIN = "messages"

_current: ContextVar[str] = ContextVar("lotsenbot_locale", default="de")
_catalogs: ContextVar[Catalogs | None] = ContextVar("lotsenbot_catalogs", default=None)

# How a date appears in messages, per locale: "Dienstag, 9. Dezember 2025, 15:00 Uhr".
# Other languages get Babel's own full date and short time (see _pattern).
DATETIME_PATTERNS = {
    "de": "EEEE, d. MMMM y, HH:mm 'Uhr'",
    "en": "EEEE, d MMMM y, h:mm a",
}
DATE_PATTERNS = {"de": "EEEE, d. MMMM y", "en": "EEEE, d MMMM y"}
TIME_PATTERNS = {"de": "HH:mm 'Uhr'", "en": "h:mm a"}
BARE_TIME_PATTERNS = {"de": "HH:mm", "en": "h:mm a"}
# A day without its weekday ("1. Januar 2026") and a chart's short day ("9.12."); other
# languages get Babel's long date and its day-with-short-month skeleton.
LONG_DAY_PATTERNS = {"de": "d. MMMM y", "en": "d MMMM y"}
SHORT_DAY_PATTERNS = {"de": "d.M.", "en": "d MMM"}


class Catalogs:
    """The compiled translations of every offered language; ``default`` is used for the rest."""

    def __init__(self, translations: dict[str, gettext.NullTranslations], default: str) -> None:
        self._translations = translations
        self.default = default

    @property
    def locales(self) -> tuple[str, ...]:
        """The offered languages, the default first, then as configured."""
        return (self.default, *(code for code in self._translations if code != self.default))

    @classmethod
    def load(
        cls,
        directory: Path | None = None,
        languages: list[str] | None = None,
        default: str | None = None,
    ) -> Catalogs:
        """Load each language's .mo (all folders found unless ``languages`` names some),
        compiling it from the .po first when it is missing or stale."""
        directory = directory or LOCALES_DIR
        chosen = languages or list(catalog_languages(directory))
        translations: dict[str, gettext.NullTranslations] = {}
        for locale in chosen:
            folder = directory / locale / "LC_MESSAGES"
            po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
            if po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
                compile_catalog(po, mo)
            with mo.open("rb") as handle:
                translations[locale] = gettext.GNUTranslations(handle)
        if default not in translations:
            default = "de" if "de" in translations else chosen[0]
        return cls(translations, default)

    @classmethod
    def for_settings(cls, settings: Settings) -> Catalogs:
        """The catalogs of the configured languages (``[bot] languages``)."""
        bot = settings.bot
        return cls.load(bot.locales_dir, bot.languages, bot.default_locale)

    def _of(self, locale: str) -> gettext.NullTranslations:
        return self._translations.get(locale) or self._translations[self.default]

    def gettext(self, locale: str, message: str) -> str:
        return self._of(locale).gettext(message)

    def ngettext(self, locale: str, singular: str, plural: str, n: int) -> str:
        return self._of(locale).ngettext(singular, plural, n)


def compile_catalog(po: Path, mo: Path) -> None:
    with po.open("rb") as source:
        catalog = read_po(source)
    tmp = mo.with_suffix(".mo.tmp")
    with tmp.open("wb") as target:
        write_mo(target, catalog)
    tmp.replace(mo)


def install(catalogs: Catalogs) -> None:
    """Make the catalogs available to ``_`` in this context (and tasks started from it)."""
    _catalogs.set(catalogs)


def offered_locales() -> tuple[str, ...]:
    """The languages people can choose, the default first: those of the installed catalogs,
    else every catalog folder shipped."""
    catalogs = _catalogs.get()
    if catalogs is not None:
        return catalogs.locales
    found = catalog_languages()
    return tuple(sorted(found, key=lambda code: code != "de")) or ("de",)


def language_name(code: str, in_locale: str | None = None) -> str:
    """The language's own name ("Deutsch", "Українська"), or its name in ``in_locale``."""
    try:
        name = Locale.parse(code).get_display_name(in_locale or code) or code
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:]


def locale_named(word: str) -> str | None:
    """The offered language a word names: its code ("en"), its own name ("English") or its
    name in any offered language ("Englisch"); None when it names none."""
    wanted = word.strip().casefold()
    offered = offered_locales()
    for code in offered:
        names = {code, *(language_name(code, shown_in).casefold() for shown_in in offered)}
        if wanted in names:
            return code
    return None


def text_direction(code: str) -> str:
    """ "rtl" for languages written right to left (Arabic, Persian, Hebrew), else "ltr": for
    ``dir="…"`` in HTML pages and e-mails."""
    try:
        order = Locale.parse(code).character_order
    except (ValueError, UnknownLocaleError):
        return "ltr"
    return "rtl" if order == "right-to-left" else "ltr"


def html_language(code: str) -> str:
    """The attributes of ``<html>`` for a page or e-mail written in ``code``:
    ``lang="de"``, or ``lang="ar" dir="rtl"`` for a language written right to left."""
    attributes = f'lang="{html.escape(code)}"'
    return f'{attributes} dir="rtl"' if text_direction(code) == "rtl" else attributes


@contextmanager
def use_locale(locale: str | None) -> Iterator[None]:
    offered = offered_locales()
    token = _current.set(locale if locale in offered else offered[0])
    try:
        yield
    finally:
        _current.reset(token)


def current_locale() -> str:
    return _current.get()


def _(message: str) -> str:
    """Translate into the locale of the current dispatch."""
    catalogs = _catalogs.get()
    if catalogs is None:
        return message
    return catalogs.gettext(_current.get(), message)


def ngettext(singular: str, plural: str, n: int) -> str:
    catalogs = _catalogs.get()
    if catalogs is None:
        return singular if n == 1 else plural
    return catalogs.ngettext(_current.get(), singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later with ``_``."""
    return message


def pick_locale(chosen: str | None, hint: str | None, community_default: str | None) -> str:
    """The person's choice, else the platform's language hint, else the community default."""
    offered = offered_locales()
    for candidate in (chosen, _base_language(hint), community_default):
        if candidate in offered:
            return candidate  # type: ignore[return-value]
    return offered[0]


def _base_language(hint: str | None) -> str | None:
    if not hint:
        return None
    return hint.replace("_", "-").split("-")[0].lower()


def _pattern(kind: str, loc: str) -> str:
    """Our pattern for de and en; Babel's full date and short time for any other locale."""
    ours = {
        "datetime": DATETIME_PATTERNS,
        "date": DATE_PATTERNS,
        "time": TIME_PATTERNS,
        "bare": BARE_TIME_PATTERNS,
    }[kind]
    if loc in ours:
        return ours[loc]
    try:
        day = get_date_format("full", locale=loc).pattern
        clock = get_time_format("short", locale=loc).pattern
    except (ValueError, UnknownLocaleError):
        return ours["de"]
    return {"datetime": f"{day}, {clock}", "date": day}.get(kind, clock)


def format_when(moment: datetime, timezone: str, locale: str | None = None) -> str:
    """A date and time written out in the community's zone, e.g. for announcements."""
    loc = locale or current_locale()
    return format_datetime(
        moment, _pattern("datetime", loc), tzinfo=ZoneInfo(timezone), locale=_babel(loc)
    )


def format_day(moment: datetime, timezone: str, locale: str | None = None) -> str:
    loc = locale or current_locale()
    return format_datetime(
        moment, _pattern("date", loc), tzinfo=ZoneInfo(timezone), locale=_babel(loc)
    )


def format_time(moment: datetime, timezone: str, locale: str | None = None) -> str:
    loc = locale or current_locale()
    return format_datetime(
        moment, _pattern("time", loc), tzinfo=ZoneInfo(timezone), locale=_babel(loc)
    )


def format_long_day(day: date, locale: str | None = None) -> str:
    """ "1. Januar 2026", "1 January 2026"; Babel's long date in any other language
    ("1 січня 2026 р.")."""
    loc = locale or current_locale()
    if loc in LONG_DAY_PATTERNS:
        return format_date(day, LONG_DAY_PATTERNS[loc], locale=loc)
    return format_date(day, "long", locale=_babel(loc))


def format_short_day(day: date, locale: str | None = None) -> str:
    """ "9.12.", "9 Dec"; the day and short month in any other language ("9 груд.")."""
    loc = locale or current_locale()
    if loc in SHORT_DAY_PATTERNS:
        return format_date(day, SHORT_DAY_PATTERNS[loc], locale=loc)
    return format_skeleton("MMMd", day, locale=_babel(loc))


def format_month(day: date, locale: str | None = None) -> str:
    """A month and year as a heading: "Januar 2026", "січень 2026"."""
    loc = locale or current_locale()
    return format_date(day, "LLLL y", locale=_babel(loc))


def _babel(loc: str) -> str:
    """``loc`` when Babel knows it (a made-up catalog code falls back to German words)."""
    try:
        Locale.parse(loc)
    except (ValueError, UnknownLocaleError):
        return "de"
    return loc


def format_span(start: datetime, end: datetime | None, timezone: str) -> str:
    """ "Mittwoch, 2. Dezember 2026, 15:00 bis 17:00 Uhr", or just the start without an end."""
    if end is None:
        return format_when(start, timezone)
    loc = current_locale()
    tz = ZoneInfo(timezone)
    if start.astimezone(tz).date() != end.astimezone(tz).date():
        return _("{start} to {end}").format(
            start=format_when(start, timezone), end=format_when(end, timezone)
        )
    return _("{day}, {start} to {end}").format(
        day=format_day(start, timezone),
        start=format_datetime(start, _pattern("bare", loc), tzinfo=tz, locale=_babel(loc)),
        end=format_time(end, timezone),
    )
