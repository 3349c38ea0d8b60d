"""Grammar the plain-language checker cannot see: counts go through the catalog's plural
forms, and a date's title never stands where German (or English) needs an article.

A count is a number placeholder right before the thing it counts ("{count} Chats",
"{count} chats"): such a message must be an ``ngettext`` entry, or it reads "An 1 Chats
geschickt". A number after a label ("Anmeldungen: {count}") needs no plural form.
"""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.pofile import read_po

from bot.infra.package_data import catalog_languages

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("bot", "handlers")
# Every catalog folder: a new language gets the plural and title checks from its first day.
LANGUAGES = catalog_languages(ROOT / "locales")
# Gettext numbers plural forms in CLDR's order of categories.
CLDR_ORDER = ("zero", "one", "two", "few", "many", "other")

# German: a placeholder, spaces, then a capitalised word is a number with its noun (German
# nouns start with a capital). "15 Uhr" is a time, not a count.
GERMAN_COUNT = re.compile(r"\{(\w+)\} +([A-ZÄÖÜ][\w-]*)")
NOT_COUNTED_NOUNS = frozenset({"Uhr"})
# English: a number placeholder, spaces, then a word that is not a preposition or verb.
ENGLISH_COUNT = re.compile(r"\{(\w+)\} +([A-Za-z][\w-]*)")
ENGLISH_NOT_NOUNS = frozenset(
    {"of", "to", "and", "or", "is", "are", "for", "on", "at", "in", "yet", "here", "has"}
)
# Placeholders that hold an amount wherever they appear; the scan of the source below adds
# every placeholder the code fills with an int expression (len(…), sum(…), a number, …).
AMOUNT_NAMES = frozenset(
    {"count", "n", "free", "capacity", "waiting", "guests", "chats", "people", "minutes"}
    | {"hours", "days", "limit", "most", "taken", "signed", "came", "done", "open", "total"}
)
INT_CALLS = frozenset({"len", "sum", "int", "round", "max", "min", "abs"})
GETTEXT_NAMES = frozenset({"_", "N_", "gettext"})

# A date's title ("Digitalcafé", "Smartphone-Kurs", "Handy-Sprechstunde") takes a different
# article and case each: it may start a line or follow a colon, never a word ("bei {title}",
# "Heute ist {title}").
TITLE_AFTER_WORD = re.compile(r"[^\W\d_][\"'„“]? +\{title\}")


def _catalog(path: Path):  # type: ignore[no-untyped-def]
    with path.open("rb") as handle:
        return read_po(handle)


def _int_like(node: ast.expr) -> bool:
    """Whether an expression is an int by its form: a number, len(…), count arithmetic."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, int) and not isinstance(node.value, bool)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id in INT_CALLS
    if isinstance(node, ast.BinOp):
        return _int_like(node.left) or _int_like(node.right)
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name in {"count", "total"} or name.endswith("_count")


def _formatted_ints() -> tuple[dict[str, set[str]], set[str]]:
    """Per singular msgid the placeholders the code fills with an int; and all such names."""
    per_message: dict[str, set[str]] = {}
    everywhere: set[str] = set()
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "format"
                ):
                    continue
                ints = {kw.arg for kw in node.keywords if kw.arg and _int_like(kw.value)}
                everywhere |= ints
                text = node.func.value
                if (
                    isinstance(text, ast.Call)
                    and isinstance(text.func, ast.Name)
                    and text.func.id in GETTEXT_NAMES
                    and text.args
                    and isinstance(text.args[0], ast.Constant)
                    and isinstance(text.args[0].value, str)
                ):
                    per_message.setdefault(text.args[0].value, set()).update(ints)
    return per_message, everywhere


def _english_counts(text: str, numbers: set[str]) -> list[str]:
    return [
        match.group(0)
        for match in ENGLISH_COUNT.finditer(text)
        if match.group(1) in numbers and match.group(2).lower() not in ENGLISH_NOT_NOUNS
    ]


def _german_counts(text: str) -> list[str]:
    return [
        match.group(0)
        for match in GERMAN_COUNT.finditer(text)
        if match.group(2) not in NOT_COUNTED_NOUNS
    ]


def counted_without_plural_forms() -> set[tuple[str, str]]:
    """(msgid, "{x} noun") for every counted message that is not a plural entry."""
    per_message, everywhere = _formatted_ints()
    german = _catalog(ROOT / "locales" / "de" / "LC_MESSAGES" / "messages.po")
    english = _catalog(ROOT / "locales" / "en" / "LC_MESSAGES" / "messages.po")
    found: set[tuple[str, str]] = set()
    for message in german:
        if not message.id or isinstance(message.id, tuple):
            continue  # the header, and plural entries (they have their forms)
        numbers = AMOUNT_NAMES | everywhere | per_message.get(message.id, set())
        english_text = english[message.id].string if message.id in english else ""
        hits = _german_counts(message.string or "")
        hits += _english_counts(message.id, numbers)
        hits += _english_counts(english_text or "", numbers)
        found.update((message.id, hit) for hit in hits)
    return found


def test_the_rules_find_counts_and_leave_labels_alone() -> None:
    assert _german_counts("An {count} Chats geschickt.") == ["{count} Chats"]
    assert _german_counts("Anmeldungen: {count}. Am {day} um {time} Uhr.") == []
    assert _english_counts("Sent to {count} chats.", {"count"}) == ["{count} chats"]
    assert _english_counts("Places: {taken} of {capacity}", {"taken", "capacity"}) == []
    assert _english_counts("Request {number} is saved.", {"count"}) == []
    tree = ast.parse("f(len(x) - 1, 3, a.seat_count, total, s)").body[0].value  # type: ignore[attr-defined]
    assert [_int_like(arg) for arg in tree.args] == [True, True, True, True, False]


def test_the_source_scan_sees_the_ints_the_code_formats_with() -> None:
    per_message, everywhere = _formatted_ints()
    assert per_message["Apps: {count}"] == {"count"}
    assert "count" in everywhere


def test_every_count_uses_plural_forms() -> None:
    assert counted_without_plural_forms() == set(), (
        "A number right before a noun needs ngettext (plural forms): "
        'ngettext("{count} chat", "{count} chats", count), or put the number after a label.'
    )


def _po(locale: str) -> Path:
    return ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po"


@pytest.mark.parametrize("locale", LANGUAGES)
def test_plural_forms_fit_the_language(locale: str) -> None:
    """The catalog's Plural-Forms rule picks, for every count, the form CLDR knows for the
    language ("1 день", "2 дні", "5 днів", "21 день"), and every plural entry has that many
    forms, none empty."""
    catalog = _catalog(_po(locale))
    cldr = Locale.parse(locale).plural_form
    used = {cldr(n) for n in range(1000)}
    tags = [tag for tag in CLDR_ORDER if tag in used]
    assert catalog.num_plurals == len(tags), f"{locale}: {catalog.plural_forms}"
    pick = gettext.c2py(catalog.plural_expr)
    for n in range(1000):
        assert tags[pick(n)] == cldr(n), f"{locale}: Plural-Forms picks the wrong form for {n}"
    for message in catalog:
        if message.id and isinstance(message.id, tuple):
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert len(strings) == catalog.num_plurals, f"{locale}: {message.id[0]!r}"
            assert all(strings), f"{locale}: a plural form is empty in {message.id[0]!r}"


def test_titles_stand_where_any_title_fits() -> None:
    found = set()
    for locale in LANGUAGES:
        for message in _catalog(ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po"):
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for string in strings:
                if message.id and TITLE_AFTER_WORD.search(string or ""):
                    found.add((locale, string))
    assert found == set(), 'Write "Heute: {title}" or "Termin: {title}", not "bei {title}".'
