"""Date and time input as UTC: numbers in any language ("9.12. 15:00–17:00", "9/12",
"2026-12-09 14.30"), rhythms in German and English words ("jeden 2. Dienstag 15 Uhr"), and
the weekdays, months and "today/tomorrow" of the person's own language from Babel's CLDR
data ("вівторок, 15 грудня 15:00", "Salı 15:00")."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from dateutil.rrule import rrulestr

MAX_LENGTH = 200
# A typo like "9.12.2062" should be caught, not scheduled.
MAX_YEARS_AHEAD = 10

Reason = Literal[
    "empty",
    "no_date",
    "no_time",
    "past",
    "impossible_date",
    "impossible_time",
    "too_long",
    "no_weekday",
    "unknown",
]


@dataclass(frozen=True)
class When:
    """A parsed date: the first start in UTC, an optional same-day end, an optional RRULE."""

    start: datetime
    end: datetime | None
    rrule: str | None
    has_time: bool


class WhenError(ValueError):
    """Input we cannot use as a date; `reason` says why, for choosing the reply."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason)
        self.reason: Reason = reason


def _forms(stems: dict[str, int], endings: tuple[str, ...]) -> dict[str, int]:
    return {stem + end: value for stem, value in stems.items() for end in endings}


_WEEKDAYS = {
    **{"mo": 0, "di": 1, "mi": 2, "do": 3, "fr": 4, "sa": 5, "so": 6},
    **{"montag": 0, "dienstag": 1, "mittwoch": 2, "donnerstag": 3, "freitag": 4},
    **{"samstag": 5, "sonnabend": 5, "sonntag": 6},
}
# Staff who chose English write rhythms in English: "every other Tuesday".
_ENGLISH_WEEKDAYS = {
    **{"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4},
    **{"saturday": 5, "sunday": 6},
}
# "dienstags" means every Tuesday.
_PLURAL_WEEKDAYS = {
    name + "s": wd for name, wd in (_WEEKDAYS | _ENGLISH_WEEKDAYS).items() if len(name) > 2
}
# Every German weekday word (Monday 0), short, single and plural: "Di", "Dienstag", "dienstags".
WEEKDAY_WORDS = {
    **_WEEKDAYS,
    **{n: wd for n, wd in _PLURAL_WEEKDAYS.items() if n[:-1] in _WEEKDAYS},
}
_SINGLE_WEEKDAYS = _WEEKDAYS | _ENGLISH_WEEKDAYS
_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_MONTHS = {
    **dict.fromkeys(("januar", "jan", "jaenner"), 1),
    **dict.fromkeys(("februar", "feb"), 2),
    **dict.fromkeys(("maerz", "marz", "mrz", "maer", "mar"), 3),
    **dict.fromkeys(("april", "apr"), 4),
    "mai": 5,
    **dict.fromkeys(("juni", "jun"), 6),
    **dict.fromkeys(("juli", "jul"), 7),
    **dict.fromkeys(("august", "aug"), 8),
    **dict.fromkeys(("september", "sep", "sept"), 9),
    **dict.fromkeys(("oktober", "okt"), 10),
    **dict.fromkeys(("november", "nov"), 11),
    **dict.fromkeys(("dezember", "dez"), 12),
}
_ENDINGS = ("", "n", "r", "s")
_ORDINALS = _forms(
    {"erste": 1, "zweite": 2, "dritte": 3, "vierte": 4, "fuenfte": 5, "funfte": 5}, _ENDINGS
)
_ORDINALS |= {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
_LAST = _forms({"letzte": -1, "vorletzte": -2}, _ENDINGS) | {"last": -1}
# Phone keyboards often drop the umlaut, so "nachsten" and "ubermorgen" count too.
_NEXT = set(_forms({"naechste": 0, "nachste": 0, "kommende": 0}, _ENDINGS))
_RELATIVE = {"heute": 0, "morgen": 1, "uebermorgen": 2, "ubermorgen": 2}
_SERIES = {"jeden", "jede", "jeder", "jedes", "immer", "alle", "every", "each"}
_SERIES |= {"woechentlich", "wochentlich", "weekly"}
# "alle zwei Wochen", "every other week": how many weeks lie between two dates.
_COUNTS = {"zwei": 2, "drei": 3, "vier": 4, "two": 2, "three": 3, "four": 4, "other": 2}
_WEEKS = {"woche", "wochen", "week", "weeks"}
_FORTNIGHTLY = {"vierzehntaegig", "vierzehntagig", "zweiwoechentlich", "zweiwochentlich"}
_FORTNIGHTLY |= {"zweiwoechig", "zweiwochig", "fortnightly", "biweekly"}
# "14-tägig", "14 tägig": the word after the number.
_DAYS_APART = {"taegig", "tagig", "taegige", "tagige"}
MAX_WEEKS_APART = 4
_DAILY = {"taeglich", "taglich"}
_WORKDAYS = {"werktags", "werktaeglich", "werktaglich"}
_MONTHLY = {"monat", "monats", "monatlich", "month", "monthly"}
_FILLER = {"um", "am", "ab", "von", "den", "der", "dem", "im", "in", "des", "und", "jeweils"}
_FILLER |= {"on", "at", "the", "of", "and", "from"}
_FILLER |= set(_forms({"diese": 0}, _ENDINGS))

_TRANSLIT = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}
    | dict.fromkeys("–—‐‑‒−", "-")
    # Ukrainian "пʼятниця" is typed with any apostrophe; Turkish "İ" casefolds with a dot.
    | dict.fromkeys("'’`", "ʼ")
    | {"\u0307": None}
)
_TOKEN = re.compile(
    r"""
    (?P<iso>(?P<iy>[0-9]{4})-(?P<im>[0-9]{1,2})-(?P<id>[0-9]{1,2}))(?![0-9])
    |(?P<date>(?P<d>[0-9]{1,2})\.(?P<m>[0-9]{1,2})\.(?P<y>[0-9]{4}|[0-9]{2})?)(?![0-9])
    |(?P<slash>(?P<sd>[0-9]{1,2})/(?P<sm>[0-9]{1,2})(?:/(?P<sy>[0-9]{4}|[0-9]{2}))?)(?![0-9/])
    |(?P<time>(?P<hh>[0-9]{1,2})[:.](?P<mm>[0-9]{2}))(?![0-9])
    |(?P<ord>[0-9]{1,2})(?:\.|(?:st|nd|rd|th)(?![a-z]))
    |(?P<num>[0-9]+)
    |(?P<word>[^\W\d_]+)\.?
    |(?P<dash>-)
    |(?P<sep>[\s,;!?.]+)
    |(?P<bad>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_UNTIL_UTC = re.compile(r"UNTIL=([0-9]{8}T[0-9]{6})Z")
_ONE_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class _Words:
    """The day, month and "tomorrow" words a person may type: German and English always,
    their own language's on top (its word wins where two languages share one)."""

    weekdays: Mapping[str, int]
    months: Mapping[str, int]
    relative: Mapping[str, int]


_BASE_WORDS = _Words(_SINGLE_WEEKDAYS, _MONTHS, _RELATIVE)


def _fold(word: str) -> str:
    return unicodedata.normalize("NFKC", word).casefold().translate(_TRANSLIT).rstrip(".")


def _named(names: Iterable[tuple[int, str]]) -> dict[str, int]:
    """Babel's names as typed words; names of more than one word are left out."""
    return {_fold(name): n for n, name in names if _ONE_WORD.fullmatch(_fold(name))}


def _calendar_names(table: Mapping[str, Mapping[str, Mapping[int, str]]]) -> dict[str, int]:
    # Both contexts: Ukrainian writes "15 грудня" but names the month "грудень".
    return _named(
        (n, name)
        for context in ("format", "stand-alone")
        for width in ("wide", "abbreviated", "short")
        for n, name in table.get(context, {}).get(width, {}).items()
    )


@cache
def _words(language: str | None) -> _Words:
    """Babel's (CLDR) weekdays, months and relative days of ``language`` on top of ours."""
    try:
        locale = Locale.parse(language) if language else None
    except (ValueError, UnknownLocaleError):
        locale = None
    if locale is None:
        return _BASE_WORDS
    try:
        # Babel has no public name for CLDR's "today", "tomorrow"; without it, none.
        days = locale._data["date_fields"]["day"]["relative"].items()
    except (KeyError, AttributeError):
        days = ()
    return _Words(
        weekdays={**_SINGLE_WEEKDAYS, **_calendar_names(locale.days)},
        months={**_MONTHS, **_calendar_names(locale.months)},
        relative={**_RELATIVE, **_named(days)},
    )


@dataclass(frozen=True)
class _Tok:
    kind: str
    word: str = ""
    # Numbers: (n,) for "num"/"ord", (hour, minute), (day, month) or (day, month, year).
    n: tuple[int, ...] = ()


@dataclass
class _Parts:
    series: bool = False
    daily: bool = False
    monthly: bool = False
    # Weeks between two dates: 2 for "alle zwei Wochen"; None when not said.
    interval: int | None = None
    # A count waiting for its "Wochen" ("alle zwei …").
    count: int | None = None
    # "jeden 15.": a day of the month.
    monthday: int | None = None
    next_week: bool = False
    weekdays: list[tuple[int | None, int]] = field(default_factory=list)
    day: tuple[int, int, int | None] | None = None
    offset: int | None = None
    times: list[time] = field(default_factory=list)


def parse_when(
    text: str,
    now: datetime,
    timezone: str = "Europe/Berlin",
    *,
    require_time: bool = False,
    language: str | None = None,
) -> When:
    """Parse date/time input relative to `now`, in numbers, German or English words, or
    the day and month words of ``language``; raise WhenError with a reason."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if len(text) > MAX_LENGTH:
        raise WhenError("too_long")
    if not text.strip():
        raise WhenError("empty")
    tz = ZoneInfo(timezone)
    parts = _scan(_tokenize(text), _words(language))
    start_t = parts.times[0] if parts.times else None
    end_t = parts.times[1] if len(parts.times) > 1 else None
    if start_t is not None and end_t is not None and end_t <= start_t:
        raise WhenError("impossible_time")
    today = now.astimezone(tz).date()
    if parts.interval and not parts.weekdays and (base := _base_day(parts, today)):
        # "14-tägig ab 9.12.": on that day's weekday.
        parts.weekdays.append((None, base.weekday()))
    rule = _rrule(parts)
    if rule is None:
        day = _one_off_day(parts, today, start_t, now, tz)
        start = _utc(day, start_t or time(0), tz)
        past = (start_t is not None and start < now) or day < today
    else:
        # A series given "ab 1.12." starts there, but never before today.
        lower = max(_base_day(parts, today) or today, today)
        # "alle zwei Wochen": the first date is the next such weekday, and the rhythm
        # counts from there (dateutil would count the weeks from `lower`).
        first_rule = re.sub(r";INTERVAL=[0-9]+", "", rule)
        draft = When(_utc(lower, start_t or time(0), tz), None, first_rule, start_t is not None)
        found = occurrences(draft, timezone, max(now, draft.start) if start_t else draft.start, 1)
        if not found:
            raise WhenError("unknown")
        start, past = found[0], False
        day = start.astimezone(tz).date()
    if require_time and start_t is None:
        raise WhenError("no_time")
    if past:
        raise WhenError("past")
    end = _utc(day, end_t, tz) if end_t is not None else None
    return When(start=start, end=end, rrule=rule, has_time=start_t is not None)


def parse_times(text: str) -> tuple[time, time | None]:
    """A time of day and nothing else, with an optional end: "15 Uhr", "um 15:30",
    "15–17 Uhr"; raise WhenError with a reason otherwise."""
    if len(text) > MAX_LENGTH:
        raise WhenError("too_long")
    if not text.strip():
        raise WhenError("empty")
    tokens = [t for t in _tokenize(text) if not (t.kind == "word" and t.word in _FILLER)]
    if not tokens:
        raise WhenError("no_time")
    times: list[time] = []
    if _read_times(tokens, 0, times) != len(tokens):
        raise WhenError("unknown")
    end = times[1] if len(times) > 1 else None
    if end is not None and end <= times[0]:
        raise WhenError("impossible_time")
    return times[0], end


def parse_day(text: str, today: date) -> date | None:
    """One calendar day and nothing else: "9.12.2026", "9.12." (this year) or "2026-12-09";
    None for anything else or a day that does not exist."""
    try:
        tokens = _tokenize(text)
    except WhenError:
        return None
    if len(tokens) != 1 or tokens[0].kind != "date":
        return None
    day, month, *year = tokens[0].n
    try:
        return date(year[0] if year else today.year, month, day)
    except ValueError:
        return None


def occurrences(
    when: When, timezone: str, after: datetime, count: int, *, inclusive: bool = True
) -> list[datetime]:
    """The next `count` starts (UTC) at or after `after` (strictly after if not inclusive)."""
    if count <= 0:
        return []

    def wanted(utc: datetime) -> bool:
        return utc > after or (inclusive and utc == after)

    if when.rrule is None:
        return [when.start] if wanted(when.start) else []
    tz = ZoneInfo(timezone)
    # Step in naive local wall time so 15 Uhr stays 15 Uhr when the clocks change.
    dtstart = when.start.astimezone(tz).replace(tzinfo=None)
    rule = rrulestr(_local_until(when.rrule, tz), dtstart=dtstart)
    # Probe a day early: wall time and UTC differ by the offset, the UTC filter decides.
    probe = max(dtstart, after.astimezone(tz).replace(tzinfo=None) - timedelta(days=1))
    found: list[datetime] = []
    for local in rule.xafter(probe, inc=True):
        # Nonexistent wall times (spring gap) resolve with fold=0, i.e. one hour later.
        utc = local.replace(tzinfo=tz).astimezone(UTC)
        if wanted(utc):
            found.append(utc)
            if len(found) == count:
                break
    return found


def _local_until(rule: str, tz: ZoneInfo) -> str:
    # dateutil refuses a UTC UNTIL next to a naive DTSTART, so move it into wall time.
    def local(match: re.Match[str]) -> str:
        utc = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        return "UNTIL=" + utc.astimezone(tz).strftime("%Y%m%dT%H%M%S")

    return _UNTIL_UTC.sub(local, rule)


def _utc(day: date, wall: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)


def _tokenize(text: str) -> list[_Tok]:
    norm = unicodedata.normalize("NFKC", text).casefold().translate(_TRANSLIT)
    tokens: list[_Tok] = []
    for match in _TOKEN.finditer(norm):
        kind = match.lastgroup or "bad"
        if kind == "bad":
            raise WhenError("unknown")
        if kind == "iso":
            tokens.append(_Tok("date", n=(int(match["id"]), int(match["im"]), int(match["iy"]))))
        elif kind in ("date", "slash"):
            # "24.07.", "24.07.2027", and "24/07" or "24/07/2027" as written in many countries.
            slash = kind == "slash"
            year = match["sy" if slash else "y"] or ""
            day_month = (int(match["sd" if slash else "d"]), int(match["sm" if slash else "m"]))
            # Two-digit years ("9.12.26") are this century's.
            full = () if not year else (int(year) + (2000 if len(year) == 2 else 0),)
            tokens.append(_Tok("date", n=day_month + full))
        elif kind == "time":
            tokens.append(_Tok("time", n=(int(match["hh"]), int(match["mm"]))))
        elif kind in ("ord", "num"):
            tokens.append(_Tok(kind, n=(int(match[kind]),)))
        elif kind in ("word", "dash"):
            tokens.append(_Tok(kind, word=match[kind]))
    return tokens


def _scan(tokens: list[_Tok], words: _Words = _BASE_WORDS) -> _Parts:
    """Collect what the tokens say, in any order; conflicting or unknown words fail."""
    parts = _Parts()
    pending: list[int] = []
    end = _Tok("end")
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else end
        month = words.months.get(nxt.word) if nxt.kind == "word" else None
        if tok.kind in ("ord", "num") and month is not None:
            year: int | None = None
            # "9. Dezember 2026": only a four-digit number after the month is a year.
            third = tokens[i + 2] if i + 2 < len(tokens) else end
            if third.kind == "num" and third.n[0] >= 1000:
                year = third.n[0]
                i += 1
            _set_day(parts, (tok.n[0], month, year))
            i += 2
        elif tok.kind == "ord":
            pending.append(tok.n[0])
            i += 1
        elif tok.kind == "num" and _weeks_apart(parts, tokens, i):
            i += 3 if nxt.kind == "dash" else 2
        elif tok.kind == "date":
            _set_day(parts, (tok.n[0], tok.n[1], tok.n[2] if len(tok.n) > 2 else None))
            i += 1
        elif tok.kind in ("num", "time") and not parts.times:
            i = _read_times(tokens, i, parts.times)
        elif tok.kind == "word":
            _word(parts, tok.word, pending, words)
            i += 1
        else:
            raise WhenError("unknown")
    if pending:
        _monthday(parts, pending)
    if parts.count is not None:
        raise WhenError("unknown")
    return parts


def _weeks_apart(parts: _Parts, tokens: list[_Tok], i: int) -> bool:
    """ "2 Wochen" (after "alle") or "14-tägig", "14 Tage": set the weeks between dates."""
    nxt = tokens[i + 1] if i + 1 < len(tokens) else _Tok("end")
    if nxt.kind == "dash" and i + 2 < len(tokens):
        nxt = tokens[i + 2]
    number = tokens[i].n[0]
    if nxt.kind != "word":
        return False
    if nxt.word in _WEEKS and tokens[i + 1].kind != "dash":
        _set_interval(parts, number)
        return True
    if number == 14 and (nxt.word in _DAYS_APART or nxt.word in ("tage", "days")):
        _set_interval(parts, 2)
        return True
    return False


def _set_interval(parts: _Parts, weeks: int) -> None:
    if parts.interval is not None or parts.daily or parts.monthly:
        raise WhenError("unknown")
    if not 1 <= weeks <= MAX_WEEKS_APART:
        raise WhenError("impossible_date")
    parts.series, parts.interval, parts.count = True, weeks, None


def _monthday(parts: _Parts, pending: list[int]) -> None:
    """ "jeden 15." or "am 15. jedes Monats": one day of each month."""
    if len(pending) != 1 or parts.weekdays or not (parts.series or parts.monthly):
        raise WhenError("unknown")
    if not 1 <= pending[0] <= 31:
        raise WhenError("impossible_date")
    parts.monthday = pending[0]


def _word(parts: _Parts, word: str, pending: list[int], words: _Words) -> None:
    if word in words.weekdays or word in _PLURAL_WEEKDAYS:
        weekday = words.weekdays.get(word, _PLURAL_WEEKDAYS.get(word, 0))
        parts.series |= word in _PLURAL_WEEKDAYS
        if parts.count is not None:
            # "every other Tuesday": a Tuesday every two weeks.
            _set_interval(parts, parts.count)
        for ordinal in pending or [None]:
            if ordinal not in (None, -2, -1, 1, 2, 3, 4, 5):
                raise WhenError("impossible_date")
            parts.weekdays.append((ordinal, weekday))
        pending.clear()
    elif word in _ORDINALS or word in _LAST:
        pending.append(_ORDINALS.get(word) or _LAST[word])
    elif word in words.relative:
        if parts.offset is not None or parts.day is not None:
            raise WhenError("unknown")
        parts.offset = words.relative[word]
    elif word in _COUNTS and parts.count is None and parts.interval is None:
        parts.count = _COUNTS[word]
    elif word in _WEEKS and (parts.count or len(pending) == 1 or parts.series):
        _set_interval(parts, parts.count or (pending.pop() if pending else 1))
    elif word in _FORTNIGHTLY:
        _set_interval(parts, 2)
    elif word in _NEXT:
        parts.next_week = True
    elif word in _SERIES:
        parts.series = True
    elif word in _DAILY or (word in ("tag", "tage") and parts.series):
        parts.daily = True
    elif word in _WORKDAYS:
        parts.series = True
        parts.weekdays.extend((None, wd) for wd in range(5))
    elif word in _MONTHLY:
        parts.monthly = True
    elif word not in _FILLER:
        raise WhenError("unknown")


def _set_day(parts: _Parts, day: tuple[int, int, int | None]) -> None:
    if parts.day is not None or parts.offset is not None:
        raise WhenError("unknown")
    parts.day = day


def _read_times(tokens: list[_Tok], i: int, times: list[time]) -> int:
    """Read "15", "15:30", "15 Uhr 30", optionally "– 17 Uhr"; return the next index."""
    while True:
        tok = tokens[i]
        if tok.kind not in ("num", "time") or tok.n[0] > 99:
            raise WhenError("unknown")
        hour, minute = tok.n if tok.kind == "time" else (tok.n[0], 0)
        i += 1
        if _is(tokens, i, "uhr"):
            i += 1
            # "15 Uhr 30" puts the minutes after the word.
            minutes = tokens[i] if i < len(tokens) else _Tok("end")
            if tok.kind == "num" and minutes.kind == "num" and not _is(tokens, i + 1, *_MONTHS):
                minute = tokens[i].n[0]
                i += 1
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            raise WhenError("impossible_time")
        times.append(time(hour, minute))
        ranged = i < len(tokens) and (tokens[i].kind == "dash" or _is(tokens, i, "bis"))
        if len(times) == 2 or not ranged:
            return i
        i += 1
        if i >= len(tokens):
            raise WhenError("unknown")


def _is(tokens: list[_Tok], i: int, *words: str) -> bool:
    return i < len(tokens) and tokens[i].kind == "word" and tokens[i].word in words


def _rrule(parts: _Parts) -> str | None:
    ordinals = [o for o, _ in parts.weekdays if o is not None]
    if ordinals and not (parts.series or parts.monthly):
        # "letzten Freitag" alone means the one just gone; other ordinals need "jeden".
        raise WhenError("past" if min(ordinals) < 0 else "unknown")
    if not (parts.series or parts.daily or ordinals or parts.monthday):
        return None
    if parts.next_week:
        raise WhenError("unknown")
    if parts.daily:
        if parts.weekdays or parts.interval or parts.monthday:
            raise WhenError("unknown")
        return "FREQ=DAILY"
    if parts.monthday is not None:
        if parts.interval or parts.day is not None:
            raise WhenError("unknown")
        return f"FREQ=MONTHLY;BYMONTHDAY={parts.monthday}"
    if not parts.weekdays and parts.interval:
        raise WhenError("no_weekday")
    if not parts.weekdays or 0 < len(ordinals) < len(parts.weekdays):
        raise WhenError("unknown")
    if ordinals:
        if parts.interval:
            raise WhenError("unknown")
        byday = dict.fromkeys(f"{o:+d}{_CODES[wd]}" for o, wd in parts.weekdays)
        return "FREQ=MONTHLY;BYDAY=" + ",".join(byday)
    if parts.monthly and parts.interval:
        raise WhenError("unknown")
    weekdays = sorted({wd for _, wd in parts.weekdays})
    interval = f";INTERVAL={parts.interval}" if parts.interval and parts.interval > 1 else ""
    return f"FREQ=WEEKLY{interval};BYDAY=" + ",".join(_CODES[wd] for wd in weekdays)


def _base_day(parts: _Parts, today: date) -> date | None:
    """The day given by a date or "heute/morgen/übermorgen", if any."""
    if parts.offset is not None:
        return today + timedelta(days=parts.offset)
    if parts.day is None:
        return None
    day, month, year = parts.day
    if year is not None:
        if year < today.year:
            raise WhenError("past")
        if year > today.year + MAX_YEARS_AHEAD:
            raise WhenError("impossible_date")
        try:
            return date(year, month, day)
        except ValueError:
            raise WhenError("impossible_date") from None
    # Without a year: the next such date at or after today ("29.2." may be years away).
    for candidate in range(today.year, today.year + 9):
        try:
            found = date(candidate, month, day)
        except ValueError:
            continue
        if found >= today:
            return found
    raise WhenError("impossible_date")


def _one_off_day(
    parts: _Parts, today: date, start_t: time | None, now: datetime, tz: ZoneInfo
) -> date:
    """Resolve a single date; a bare weekday is the next one whose start is still ahead."""
    day = _base_day(parts, today)
    if len(parts.weekdays) > 1 or (parts.next_week and (day is not None or not parts.weekdays)):
        raise WhenError("unknown")
    if parts.weekdays:
        weekday = parts.weekdays[0][1]
        if day is not None:
            if day.weekday() != weekday:
                raise WhenError("impossible_date")
            return day
        ahead = (weekday - today.weekday()) % 7
        # "nächsten Montag" is never today: on a Sunday it is tomorrow, on a Monday in 7 days.
        if ahead == 0 and (
            parts.next_week or (start_t is not None and _utc(today, start_t, tz) < now)
        ):
            ahead = 7
        return today + timedelta(days=ahead)
    if day is None:
        raise WhenError("no_date" if parts.times else "unknown")
    return day
