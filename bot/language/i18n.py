"""Gettext catalogs, the per-dispatch locale (a ContextVar) and Babel date formatting."""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.config import SUPPORTED_LOCALES
from bot.infra.package_data import LOCALES_DIR

DOMAIN = "messages"

_current: ContextVar[str] = ContextVar("lotsenbot_locale", default="de")
_catalogs: ContextVar[Catalogs | None] = ContextVar("lotsenbot_catalogs", default=None)

# How a date appears in messages, per locale: "Dienstag, 9. Dezember 2025, 15:00 Uhr".
DATETIME_PATTERNS = {
    "de": "EEEE, d. MMMM y, HH:mm 'Uhr'",
    "en": "EEEE, d MMMM y, h:mm a",
}
DATE_PATTERNS = {"de": "EEEE, d. MMMM y", "en": "EEEE, d MMMM y"}
TIME_PATTERNS = {"de": "HH:mm 'Uhr'", "en": "h:mm a"}
BARE_TIME_PATTERNS = {"de": "HH:mm", "en": "h:mm a"}


class Catalogs:
    """The compiled translations of every supported locale."""

    def __init__(self, translations: dict[str, gettext.NullTranslations]) -> None:
        self._translations = translations

    @classmethod
    def load(cls, directory: Path = LOCALES_DIR) -> Catalogs:
        """Load each locale's .mo, compiling it from the .po first when it is missing or stale."""
        translations: dict[str, gettext.NullTranslations] = {}
        for locale in SUPPORTED_LOCALES:
            folder = directory / locale / "LC_MESSAGES"
            po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
            if po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
                compile_catalog(po, mo)
            with mo.open("rb") as handle:
                translations[locale] = gettext.GNUTranslations(handle)
        return cls(translations)

    def gettext(self, locale: str, message: str) -> str:
        return self._translations.get(locale, self._translations["de"]).gettext(message)

    def ngettext(self, locale: str, singular: str, plural: str, n: int) -> str:
        return self._translations.get(locale, self._translations["de"]).ngettext(
            singular, plural, n
        )


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


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    token = _current.set(locale if locale in SUPPORTED_LOCALES else "de")
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
    for candidate in (chosen, _base_language(hint), community_default):
        if candidate in SUPPORTED_LOCALES:
            return candidate  # type: ignore[return-value]
    return "de"


def _base_language(hint: str | None) -> str | None:
    if not hint:
        return None
    return hint.replace("_", "-").split("-")[0].lower()


def format_when(moment: datetime, timezone: str, locale: str | None = None) -> str:
    """A date and time written out in the community's zone, e.g. for announcements."""
    loc = locale or current_locale()
    return format_datetime(
        moment,
        DATETIME_PATTERNS.get(loc, DATETIME_PATTERNS["de"]),
        tzinfo=ZoneInfo(timezone),
        locale=loc,
    )


def format_day(moment: datetime, timezone: str, locale: str | None = None) -> str:
    loc = locale or current_locale()
    return format_datetime(
        moment, DATE_PATTERNS.get(loc, DATE_PATTERNS["de"]), tzinfo=ZoneInfo(timezone), locale=loc
    )


def format_time(moment: datetime, timezone: str, locale: str | None = None) -> str:
    loc = locale or current_locale()
    return format_datetime(
        moment, TIME_PATTERNS.get(loc, TIME_PATTERNS["de"]), tzinfo=ZoneInfo(timezone), locale=loc
    )


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
        start=format_datetime(
            start, BARE_TIME_PATTERNS.get(loc, BARE_TIME_PATTERNS["de"]), tzinfo=tz, locale=loc
        ),
        end=format_time(end, timezone),
    )
