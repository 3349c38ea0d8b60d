"""Checks member-facing text against the house rules in PLAIN-LANGUAGE.md.

The checker is a heuristic helper for authors and tests, not a grammar engine. For German
it finds long sentences, long compound words, noun style (several "-ung", "-heit", "-keit",
"-tion" words in one sentence), English or technical words that have a plain German
alternative, abbreviations, the impersonal "man" and, for announcements, missing date,
weekday, year (of a date in digits), time or place, a date already past and too many lines.
For English (``language="en"``) it finds long sentences, a short list of jargon words and
abbreviations, and German words left in the text. It never raises, whatever text it is given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

__all__ = ["ABBREVIATIONS", "ALLOWED_NAMES", "JARGON", "RULES", "Finding", "check"]

RULES = (
    "long_sentence",
    "jargon",
    "abbreviation",
    "impersonal_man",
    "long_word",
    "noun_style",
    "missing_date",
    "missing_weekday",
    "missing_year",
    "date_in_past",
    "missing_time",
    "missing_place",
    "too_many_lines",
    "german_word",
)

LANGUAGES = ("de", "en")
MAX_EXCERPT = 60
# Letters in one word (the parts of "Austausch-Veranstaltung" together) before it is long.
MAX_WORD_LETTERS = 20
# Nouns made from verbs and adjectives in one sentence before it reads like an office letter.
MAX_NOUN_STYLE = 1
MAX_ANNOUNCEMENT_LINES = 8


@dataclass(frozen=True)
class Finding:
    rule: str
    excerpt: str
    suggestion: str


# Jargon word (lower case, singular) -> plain German replacement as it goes into
# 'Schreiben Sie <replacement> statt "<word>".' The table is PLAIN-LANGUAGE.md's word
# table, word for word (tests/unit/test_plain_language.py compares them).
_JARGON: dict[str, str] = {
    "event": '"Termin"',
    "meeting": '"Treffen"',
    "workshop": '"Kurs"',
    "rsvp": '"anmelden" oder "Anmeldung"',
    "registrieren": '"anmelden"',
    "registrierung": '"Anmeldung"',
    "link": '"Tippen Sie hier"',
    "url": '"Tippen Sie hier"',
    "klicken": '"tippen"',
    "button": '"Knopf"',
    "feedback": '"Rückmeldung"',
    "reminder": '"Erinnerung"',
    "deadline": '"Anmelden bis Dienstag, 2. Dezember"',
    "location": '"Ort"',
    "check-in": '"Sie sind da" oder "Anwesenheit"',
    "checkin": '"Sie sind da" oder "Anwesenheit"',
    "update": '"Neuigkeit" oder "Änderung"',
    "updaten": '"ändern"',
    "account": '"Konto"',
    "login": '"anmelden"',
    "log-in": '"anmelden"',
    "einloggen": '"anmelden"',
    "eingeloggt": '"angemeldet"',
    "user": '"Person"',
    "slot": '"Platz"',
    "ticket": '"Platz"',
    "team": '"wir" oder "die Gruppe"',
    "community": '"wir" oder "die Gruppe"',
    "status": '"Sie sind angemeldet" oder "Sie stehen auf der Warteliste"',
    "download": '"herunterladen"',
    "downloaden": '"herunterladen"',
    "upload": '"schicken"',
    "uploaden": '"schicken"',
    "skill": '"Thema"',
    "matching": '"passende Hilfe finden"',
    "volunteer": '"Digitallotse" oder "Digitallotsin"',
    "request": '"Anfrage"',
}

# Extra advice after the replacement sentence.
_JARGON_EXTRA: dict[str, str] = {
    "link": " Oder sagen Sie, was dann passiert.",
    "url": " Oder sagen Sie, was dann passiert.",
    "feedback": ' Oder fragen Sie: "Wie war es?"',
}

# Words whose plural "-s" form is a different, harmless German word ("links" = left).
_NO_PLURAL_S = frozenset({"link"})

# English: jargon word (lower case) -> plain replacement; the list stays short, the
# English catalog is checked for long sentences and German words above all.
_ENGLISH_JARGON: dict[str, str] = {
    "click": '"tap"',
    "clicked": '"tapped"',
    "clicking": '"tapping"',
    "rsvp": '"sign up"',
    "url": '"tap here"',
    "login": '"sign in"',
    "user": '"person"',
    "users": '"people"',
    "slot": '"place"',
    "slots": '"places"',
    "deadline": '"sign up by Tuesday, 2 December"',
    "via": '"with" or "through"',
}
_ENGLISH_ABBREVIATIONS: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), shown, advice)
    for pattern, shown, advice in (
        (r"(?<!\w)e\.\s?g\.", "e.g.", '"for example"'),
        (r"(?<!\w)i\.\s?e\.", "i.e.", '"that is"'),
        (r"(?<!\w)etc\.", "etc.", '"and so on"'),
        (r"(?<!\w)approx\.", "approx.", '"about"'),
    )
)
# The word lists by language, read-only, as PLAIN-LANGUAGE.md shows them.
JARGON = MappingProxyType(
    {"de": MappingProxyType(_JARGON), "en": MappingProxyType(_ENGLISH_JARGON)}
)
# Frequent German words that have no place in an English text (lower case). Words that
# are also English ("die", "man", "also", "will") are left out.
_GERMAN_WORDS = frozenset(
    {
        "und", "oder", "nicht", "bitte", "sie", "ihr", "ihre", "ihnen", "ist", "sind",
        "der", "das", "ein", "eine", "einen", "mit", "für", "bei", "auf", "zu", "von",
        "ich", "wir", "uns", "termin", "termine", "anmeldung", "uhr", "schreiben", "tippen",
        "gruppe", "hilfe", "danke", "nein", "ja", "abbrechen", "jetzt", "weiter", "fertig",
        "zurück", "alle", "keine", "kein", "noch", "schon", "auch", "wenn", "dann", "heute",
        "morgen", "jeden", "montag", "dienstag", "mittwoch", "donnerstag", "freitag",
        "samstag", "sonntag", "dienstags", "gespeichert", "leider", "gern", "gerne",
    }
)  # fmt: skip
# Letters English does not use; names written with them are masked like the app names.
_GERMAN_LETTERS_RE = re.compile(r"[äöüßÄÖÜ]")

# Verb stems: any word starting with one of these maps to the given table entry.
_JARGON_STEMS: tuple[tuple[str, str], ...] = (
    ("registrier", "registrieren"),
    ("klick", "klicken"),
    ("geklickt", "klicken"),
    ("angeklickt", "klicken"),
    ("anklicken", "klicken"),
    ("geupdatet", "updaten"),
)

# Names of apps and of our own offers are fine (PLAIN-LANGUAGE.md rule 7). They are
# blanked out before the jargon scan so that e.g. "Microsoft Teams" is not read as "Team".
_ALLOWED_PHRASES = (
    "Microsoft Teams",
    "Online-Banking",
    "E-Mail",
    "WhatsApp",
    "Telegram",
    "Matrix",
    "Element",
    "Signal",
    "Zoom",
    "Smartphone",
    "Tablet",
    "Digitalcafé",
    "Digitallotse",
    "Digitallotsin",
    "Admin",
)
ALLOWED_NAMES = _ALLOWED_PHRASES
_ALLOWED_RE = re.compile(
    r"(?<!\w)(?:" + "|".join(re.escape(p) for p in _ALLOWED_PHRASES) + r")(?!\w)",
    re.IGNORECASE,
)

# Abbreviations to write out. Each pattern allows the spaced and unspaced spelling.
_ABBREVIATIONS: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), shown, advice)
    for pattern, shown, advice in (
        (r"(?<!\w)bzw\.", "bzw.", '"oder"'),
        (r"(?<!\w)z\.\s?b\.", "z. B.", '"zum Beispiel"'),
        (r"(?<!\w)ggf\.", "ggf.", '"wenn nötig" oder "falls"'),
        (r"(?<!\w)u\.\s?a\.", "u. a.", '"unter anderem" oder "und andere"'),
        (r"(?<!\w)d\.\s?h\.", "d. h.", '"das heißt"'),
        (r"(?<!\w)usw\.", "usw.", '"und so weiter"'),
        (r"(?<!\w)evtl\.", "evtl.", '"vielleicht"'),
        (r"(?<!\w)inkl\.", "inkl.", '"mit"'),
        (r"(?<!\w)bzgl\.", "bzgl.", '"zu" oder "über"'),
        (r"(?<!\w)vgl\.", "vgl.", '"siehe"'),
    )
)

# The abbreviations each language's check asks to write out, as shown in suggestions.
ABBREVIATIONS = MappingProxyType(
    {
        "de": tuple(shown for _pattern, shown, _advice in _ABBREVIATIONS),
        "en": tuple(shown for _pattern, shown, _advice in _ENGLISH_ABBREVIATIONS),
    }
)

# Tokens before a period that do not end a sentence ("Nr. 2", "ca. 10", "Str. 5").
_NO_SPLIT_ABBREVIATIONS = frozenset(
    {
        "bzw",
        "ggf",
        "usw",
        "evtl",
        "inkl",
        "bzgl",
        "vgl",
        "ca",
        "nr",
        "str",
        "dr",
        "fr",
        "hr",
        "prof",
        "tel",
        "zzgl",
        "bspw",
        "etc",
    }
)

_MONTHS = (
    "januar",
    "jänner",
    "februar",
    "märz",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "dezember",
)
_WEEKDAYS = (
    "montag",
    "dienstag",
    "mittwoch",
    "donnerstag",
    "freitag",
    "samstag",
    "sonnabend",
    "sonntag",
)

_PLACEHOLDER_RE = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
_WORD_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_COUNTED_WORD_RE = re.compile(r"\w")
# A sentence may end at ., ! or ? (possibly repeated, possibly followed by a closing
# quote or bracket) when whitespace follows.
_END_RE = re.compile(r"[.!?…]+[\"'»«“”)\]]*(?=\s)")
_MAN_RE = re.compile(r"(?<!\w)man(?!\w)", re.IGNORECASE)

_MONTH_ALT = "|".join(_MONTHS)
_WEEKDAY_ALT = "|".join(_WEEKDAYS)
_DATE_RE = re.compile(
    r"(?<!\w)(?:"
    rf"(?:{_WEEKDAY_ALT})s?"  # weekday, also "montags"
    rf"|(?:[1-9]|[12]\d|3[01])\.\s*(?:{_MONTH_ALT})"  # 9. Dezember
    r"|(?:0?[1-9]|[12]\d|3[01])\.(?:0?[1-9]|1[0-2])\.(?:\d{2,4})?"  # 9.12. / 09.12.2025
    r"|\d{4}-\d{2}-\d{2}"  # ISO date
    r")(?!\w)",
    re.IGNORECASE,
)
_TIME_RE = re.compile(r"(?<![\w.:])(?:[01]?\d|2[0-3])(?:[:.][0-5]\d)?\s*Uhr(?!\w)", re.IGNORECASE)
# Place words may be part of a compound ("Stadtbibliothek", "Gemeindesaal").
_PLACE_WORD_RE = re.compile(
    r"raum|saal|bibliothek|bücherei|straße|strasse|str\.|allee|gasse|erdgeschoss|etage"
    r"|stockwerk|gemeindehaus|rathaus|haus der|zentrum|schule|kirche|foyer|halle|büro"
    r"|treffpunkt|adresse|(?<!\w)ort:|(?<!\w)online(?!\w)|videoanruf|videokonferenz",
    re.IGNORECASE,
)
# Street address like "Lindenweg 3", "Markt 1" or "Am Markt 5", a postcode before a town
# name, or a street name and its number after a comma ("Smart-City-Lab, Markt 1").
_ADDRESS_RE = re.compile(
    r"[A-ZÄÖÜ][\w-]*?(?i:weg|platz|ring|damm|ufer|markt|chaussee|gasse|allee|straße|strasse)"
    r"\s+\d+[a-z]?(?!\w)"
    r"|(?<!\d)\d{5}\s+[A-ZÄÖÜ]"
    r"|,\s*[A-ZÄÖÜ][\w.-]+(?:\s+[A-ZÄÖÜ][\w.-]+)?\s+\d{1,4}[a-z]?(?![\w.:]|\s*(?:Uhr|Minuten))"
)
# A place named with a preposition at the start of a line or sentence: "Im Smart-City-Lab",
# "In der Alten Schule", "Am Bahnhof", "Bei Müllers". Not a time: "Am Dienstag", "Im Juli".
_NOT_A_PLACE = "|".join(
    (*_WEEKDAYS, *_MONTHS, "wochenende", "anschluss", "moment", "rahmen", "namen", "abend")
)
_PREPOSITION_PLACE_RE = re.compile(
    r"(?:^|(?<=[.!?:]\s))(?:Im|Am|Beim|In\s+der|In\s+den|In\s+dem|Auf\s+dem|Bei\s+der|Bei)"
    rf"\s+(?!(?i:{_NOT_A_PLACE})s?\b)[A-ZÄÖÜ]",
    re.MULTILINE,
)
_NOUN_STYLE_RE = re.compile(r"[^\W\d_]{3,}(?:ung|heit|keit|tion)(?:en|s)?(?![^\W\d_])")
# Such nouns we recommend ourselves (PLAIN-LANGUAGE.md, "Words"); they are not office style.
_PLAIN_NOUNS = frozenset(
    {"anmeldung", "erinnerung", "rückmeldung", "änderung", "begleitung", "zeitung", "wohnung"}
)
_NUMERIC_DATE_RE = re.compile(
    r"(?<![\w.])(0?[1-9]|[12]\d|3[01])\.(0?[1-9]|1[0-2])\.(\d{4}|\d{2}(?!\d))?(?![\w])"
)
_NAMED_DATE_RE = re.compile(
    rf"(?<!\w)([1-9]|[12]\d|3[01])\.\s*({_MONTH_ALT})(?:\s+(\d{{4}}))?(?!\w)", re.IGNORECASE
)
_DAY_NAMES = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
_MONTH_NAMES = tuple(name.capitalize() for name in _MONTHS if name != "jänner")
_WEEKDAY_RE = re.compile(rf"(?<!\w)(?:{_WEEKDAY_ALT})s?(?!\w)", re.IGNORECASE)


def _excerpt(text: str) -> str:
    """Shorten text to at most MAX_EXCERPT characters on one line."""
    flat = " ".join(text.split())
    if len(flat) <= MAX_EXCERPT:
        return flat
    return flat[: MAX_EXCERPT - 1].rstrip() + "…"


def _ends_sentence(line: str, start: int, end: int) -> bool:
    """Whether the punctuation at line[start:end] ends a sentence."""
    punct = line[start:end]
    if "!" in punct or "?" in punct or "…" in punct:
        return True
    rest = line[end:].lstrip()
    if not rest:
        return True
    following = rest[0]
    # A lower-case word after a period continues the sentence ("z. B. bei", "9.12. bitte").
    if following.islower() or following in "-–—,;:":
        return False
    # The token right before the period, scanned backwards (bounded, no regex backtracking).
    i = start
    while i > 0 and start - i < 40 and (line[i - 1].isalnum() or line[i - 1] in "._"):
        i -= 1
    token = line[i:start]
    last = token.rsplit(".", 1)[-1]
    if not last:
        return True
    if last.lower() in _NO_SPLIT_ABBREVIATIONS:
        return False
    if len(last) == 1 and last.isalpha():
        return False  # "z. B.", initials such as "A. Müller"
    if last.isdigit() or re.fullmatch(r"\d+\.\d+", token):
        # "9. Dezember", "9.12. 2025": a number with a period before a month or a year.
        next_word = re.match(r"\w+", rest)
        nxt = next_word.group(0).lower() if next_word else ""
        if nxt in _MONTHS or nxt.isdigit():
            return False
    return True


def split_sentences(text: str) -> list[str]:
    """Split text into sentences; every line is at least its own sentence."""
    sentences: list[str] = []
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line:
            continue
        begin = 0
        for match in _END_RE.finditer(line):
            if _ends_sentence(line, match.start(), match.end()):
                piece = line[begin : match.end()].strip()
                if piece:
                    sentences.append(piece)
                begin = match.end()
        piece = line[begin:].strip()
        if piece:
            sentences.append(piece)
    return sentences


def _count_words(sentence: str) -> int:
    return sum(1 for token in sentence.split() if _COUNTED_WORD_RE.search(token))


def _jargon_key(word: str) -> str | None:
    """Return the jargon table key for one word or hyphen part, if any."""
    lower = word.lower()
    if lower in _JARGON:
        return lower
    if lower.endswith("s") and lower[:-1] in _JARGON and lower[:-1] not in _NO_PLURAL_S:
        return lower[:-1]
    for stem, key in _JARGON_STEMS:
        if lower.startswith(stem):
            return key
    return None


def _masked(text: str) -> str:
    """The text with allowed names (app names, placeholders) blanked, positions kept."""
    return _ALLOWED_RE.sub(lambda m: " " * len(m.group(0)), text)


def _jargon_findings(text: str) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[str] = set()
    masked = _masked(text)
    for match in _WORD_RE.finditer(masked):
        token = match.group(0)
        # Whole hyphenated token first ("Check-in"), then each hyphen part ("Event-Raum").
        hits: list[str] = []
        if "-" in token and token.lower() in _JARGON:
            hits.append(token)
        else:
            hits.extend(part for part in token.split("-") if _jargon_key(part))
        for hit in hits:
            key = _jargon_key(hit)
            if key is None or hit.lower() in seen:
                continue
            seen.add(hit.lower())
            findings.append(
                Finding(
                    rule="jargon",
                    excerpt=_excerpt(hit),
                    suggestion=(
                        f'Schreiben Sie {_JARGON[key]} statt "{hit}".{_JARGON_EXTRA.get(key, "")}'
                    ),
                )
            )
    return findings


def _abbreviation_findings(text: str) -> list[Finding]:
    findings: list[Finding] = []
    for pattern, shown, advice in _ABBREVIATIONS:
        match = pattern.search(text)
        if match:
            findings.append(
                Finding(
                    rule="abbreviation",
                    excerpt=_excerpt(match.group(0)),
                    suggestion=f'Schreiben Sie {advice} statt "{shown}".',
                )
            )
    return findings


def _sentence_findings(sentences: list[str], max_words: int) -> list[Finding]:
    findings: list[Finding] = []
    for sentence in sentences:
        words = _count_words(sentence)
        if words > max_words:
            findings.append(
                Finding(
                    rule="long_sentence",
                    excerpt=_excerpt(sentence),
                    suggestion=(
                        f"Dieser Satz hat {words} Wörter. Teilen Sie ihn in kürzere Sätze. "
                        f"Höchstens {max_words} Wörter, besser 8 bis 12."
                    ),
                )
            )
        if _MAN_RE.search(sentence):
            findings.append(
                Finding(
                    rule="impersonal_man",
                    excerpt=_excerpt(sentence),
                    suggestion=(
                        'Sprechen Sie die Person mit "Sie" an. Zum Beispiel: '
                        '"Sie können sich anmelden." statt "Man kann sich anmelden."'
                    ),
                )
            )
    return findings


def _word_findings(text: str, sentences: list[str]) -> list[Finding]:
    """Long compound words, and sentences built from nouns ("Informations- und
    Austausch-Veranstaltung")."""
    findings: list[Finding] = []
    masked = _masked(text)
    seen: set[str] = set()
    for match in _WORD_RE.finditer(masked):
        word = match.group(0)
        if len(word.replace("-", "")) > MAX_WORD_LETTERS and word.lower() not in seen:
            seen.add(word.lower())
            findings.append(
                Finding(
                    rule="long_word",
                    excerpt=_excerpt(word),
                    suggestion=(
                        f'"{_excerpt(word)}" ist ein langes Wort. Sagen Sie es mit '
                        'mehreren Wörtern, zum Beispiel "Treffen zum Austausch".'
                    ),
                )
            )
    for sentence in sentences:
        shown = _ALLOWED_RE.sub(" ", sentence)
        nouns = [
            found for found in _NOUN_STYLE_RE.finditer(shown) if not _plain_noun(found.group(0))
        ]
        if len(nouns) > MAX_NOUN_STYLE:
            findings.append(
                Finding(
                    rule="noun_style",
                    excerpt=_excerpt(_whole_words(shown, nouns[0].start(), nouns[-1].end())),
                    suggestion=(
                        "Hier stehen viele Hauptwörter auf -ung, -heit, -keit oder -tion. "
                        'Schreiben Sie mit Verben, zum Beispiel "Wir informieren Sie." '
                        'statt "Informations-Veranstaltung".'
                    ),
                )
            )
    return findings


def _whole_words(text: str, start: int, end: int) -> str:
    """text[start:end] widened to whole words as written: "Informations- und
    Austausch-Veranstaltung", never the bare "Informations" of "Informations-"."""
    while start > 0 and (text[start - 1].isalpha() or text[start - 1] == "-"):
        start -= 1
    while end < len(text) and (text[end].isalpha() or text[end] == "-"):
        end += 1
    return text[start:end]


def _plain_noun(word: str) -> bool:
    lower = word.lower()
    return any(lower in (noun, noun + "en") for noun in _PLAIN_NOUNS)


def _dates(text: str, today: date | None) -> list[tuple[str, date | None, bool]]:
    """The dates written in the text: (as written, the day when it is one, whether the
    year is written). Without a year, the date is in this year unless that is more than
    half a year ago (then it is next year's)."""
    found: list[tuple[str, date | None, bool]] = []
    for match in _NUMERIC_DATE_RE.finditer(text):
        year = match.group(3)
        full = int(year) + (2000 if len(year) == 2 else 0) if year else None
        found.append(
            (
                match.group(0),
                _day(full, int(match.group(2)), int(match.group(1)), today),
                bool(year),
            )
        )
    for match in _NAMED_DATE_RE.finditer(text):
        # "januar" and "jänner" are both January; from "februar" on the index is the month.
        month = max(_MONTHS.index(match.group(2).lower()), 1)
        year = match.group(3)
        found.append(
            (
                match.group(0),
                _day(int(year) if year else None, month, int(match.group(1)), today),
                True,
            )
        )
    return found


def _day(year: int | None, month: int, day: int, today: date | None) -> date | None:
    if today is None and year is None:
        return None
    try:
        found = date(year or (today.year if today else 2000), month, day)
    except ValueError:
        return None
    if year is None and today is not None and (today - found).days > 183:
        found = found.replace(year=today.year + 1) if not (month == 2 and day == 29) else found
    return found


def _date_findings(text: str, today: date | None) -> list[Finding]:
    """A date needs its weekday; a date in digits its year; and it must not be past."""
    dates = _dates(text, today)
    if not dates:
        return []
    findings: list[Finding] = []
    if not _WEEKDAY_RE.search(text):
        findings.append(
            Finding(
                rule="missing_weekday",
                excerpt=_excerpt(dates[0][0]),
                suggestion=('Schreiben Sie den Wochentag dazu, zum Beispiel "Freitag, 24. Juli".'),
            )
        )
    without_year = [shown for shown, _day_, has_year in dates if not has_year]
    if without_year:
        findings.append(
            Finding(
                rule="missing_year",
                excerpt=_excerpt(without_year[0]),
                suggestion=(
                    'Schreiben Sie Monat und Jahr dazu, zum Beispiel "24. Juli 2026" '
                    'statt "24.07.".'
                ),
            )
        )
    past = list(dict.fromkeys(shown for shown, day, _has in dates if today and day and day < today))
    if past and today is not None:
        # One day or several: "Dieser Tag ist" / "Diese Tage sind" (#18, point 16).
        over, check_it = (
            ("Dieser Tag ist", "das Datum") if len(past) == 1 else ("Diese Tage sind", "die Tage")
        )
        findings.append(
            Finding(
                rule="date_in_past",
                excerpt=_excerpt(", ".join(past)),
                suggestion=(
                    f"{over} schon vorbei. Heute ist {_DAY_NAMES[today.weekday()]}, "
                    f"{today.day}. {_MONTH_NAMES[today.month - 1]} {today.year}. "
                    f"Bitte prüfen Sie {check_it}."
                ),
            )
        )
    return findings


def _announcement_findings(text: str, today: date | None = None) -> list[Finding]:
    findings: list[Finding] = []
    lines = [line for line in text.splitlines() if line.strip()]
    findings.extend(_date_findings(text, today))
    if not _DATE_RE.search(text):
        findings.append(
            Finding(
                rule="missing_date",
                excerpt=_excerpt(lines[0]) if lines else "",
                suggestion=(
                    'Schreiben Sie Wochentag und Datum, zum Beispiel "Dienstag, 9. Dezember".'
                ),
            )
        )
    if not _TIME_RE.search(text):
        findings.append(
            Finding(
                rule="missing_time",
                excerpt=_excerpt(lines[0]) if lines else "",
                suggestion='Schreiben Sie die Uhrzeit, zum Beispiel "15 Uhr" oder "15:30 Uhr".',
            )
        )
    if not _names_a_place(text):
        findings.append(
            Finding(
                rule="missing_place",
                excerpt=_excerpt(lines[0]) if lines else "",
                suggestion='Schreiben Sie den Ort, zum Beispiel "Stadtbibliothek, Raum 2".',
            )
        )
    if len(lines) > MAX_ANNOUNCEMENT_LINES:
        findings.append(
            Finding(
                rule="too_many_lines",
                excerpt=f"{len(lines)} Zeilen",
                suggestion=(
                    f"Die Ankündigung hat {len(lines)} Zeilen. Kürzen Sie sie auf "
                    f"höchstens {MAX_ANNOUNCEMENT_LINES} Zeilen. "
                    "Sie soll auf einen Bildschirm passen."
                ),
            )
        )
    return findings


def _german_findings(text: str) -> list[Finding]:
    """German words left in an English text, each once."""
    findings: list[Finding] = []
    seen: set[str] = set()
    masked = _masked(text)
    for match in _WORD_RE.finditer(masked):
        word = match.group(0)
        german = word.lower() in _GERMAN_WORDS or _GERMAN_LETTERS_RE.search(word)
        if german and word.lower() not in seen:
            seen.add(word.lower())
            findings.append(
                Finding(
                    rule="german_word",
                    excerpt=_excerpt(word),
                    suggestion=f'"{word}" is German. Write it in English.',
                )
            )
    return findings


def _names_a_place(text: str) -> bool:
    return bool(
        _PLACE_WORD_RE.search(text)
        or _ADDRESS_RE.search(text)
        or _PREPOSITION_PLACE_RE.search(text)
    )


def _english_findings(text: str, max_words: int) -> list[Finding]:
    findings: list[Finding] = []
    for sentence in split_sentences(text):
        words = _count_words(sentence)
        if words > max_words:
            findings.append(
                Finding(
                    rule="long_sentence",
                    excerpt=_excerpt(sentence),
                    suggestion=(
                        f"This sentence has {words} words. Split it into shorter ones: "
                        f"at most {max_words} words, better 8 to 12."
                    ),
                )
            )
    masked = _masked(text)
    for word in dict.fromkeys(m.group(0) for m in _WORD_RE.finditer(masked)):
        if word.lower() in _ENGLISH_JARGON:
            findings.append(
                Finding(
                    rule="jargon",
                    excerpt=_excerpt(word),
                    suggestion=f'Write {_ENGLISH_JARGON[word.lower()]} instead of "{word}".',
                )
            )
    for pattern, shown, advice in _ENGLISH_ABBREVIATIONS:
        if match := pattern.search(text):
            findings.append(
                Finding(
                    rule="abbreviation",
                    excerpt=_excerpt(match.group(0)),
                    suggestion=f'Write {advice} instead of "{shown}".',
                )
            )
    findings.extend(_german_findings(text))
    return findings


def check(
    text: str,
    *,
    announcement: bool = False,
    max_words: int = 20,
    language: str = "de",
    today: date | None = None,
) -> list[Finding]:
    """Check text against the plain-language rules; returns findings in text order per
    rule group (sentences, words, jargon, abbreviations, then announcement or German-word
    checks). ``today``: the reader's day, for announcements (a date before it is past).

    German (the default) gets every rule; English (``language="en"``) gets long sentences,
    jargon, abbreviations and German words left in the text (``announcement`` is German
    only); any other language gets long sentences only. Format placeholders such as
    "{link}" count as one word and are never read as jargon, so catalog templates can be
    checked as they are.
    """
    if not isinstance(text, str) or not text.strip():
        return []
    plain = _PLACEHOLDER_RE.sub("X", text)
    if language == "en":
        return _english_findings(plain, max_words)
    if language != "de":
        # Other languages (Ukrainian, …): only sentence length applies; the word, jargon and
        # abbreviation rules are German (and English) word lists.
        return _sentence_findings(split_sentences(plain), max_words)
    sentences = split_sentences(plain)
    findings = _sentence_findings(sentences, max_words)
    findings.extend(_word_findings(plain, sentences))
    findings.extend(_jargon_findings(plain))
    findings.extend(_abbreviation_findings(plain))
    if announcement:
        findings.extend(_announcement_findings(plain, today))
    return findings
