"""Catalogs complete in every language folder, template current, dates written out with
Babel."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.infra.package_data import catalog_languages
from bot.language.i18n import format_when, language_name, pick_locale, text_direction

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
# Every catalog folder, not a list kept by hand: a new language is checked from its first day.
LANGUAGES = catalog_languages(ROOT / "locales")


def _tool():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "untranslated", ROOT / "tools" / "untranslated.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _catalog(locale: str):  # type: ignore[no-untyped-def]
    with (ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def _template_ids(path: Path) -> set[str]:
    with path.open("rb") as handle:
        return {m.id[0] if isinstance(m.id, tuple) else m.id for m in read_po(handle) if m.id}


def test_every_language_folder_is_checked() -> None:
    assert {"de", "en", "uk"} <= set(LANGUAGES)
    assert _tool().languages(ROOT / "locales") == list(LANGUAGES)


@pytest.mark.parametrize("locale", LANGUAGES)
def test_nothing_is_left_to_translate(locale: str) -> None:
    missing = _tool().untranslated(locale, ROOT / "locales")
    assert missing == [], (
        f"{len(missing)} messages to translate in locales/{locale} "
        f"(python tools/untranslated.py {locale}): " + "; ".join(map(repr, missing[:20]))
    )


def test_the_tool_names_what_is_missing(tmp_path: Path) -> None:
    folder = tmp_path / "xx" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (tmp_path / "messages.pot").write_text(
        'msgid "Hello"\nmsgstr ""\n\nmsgid "Bye"\nmsgstr ""\n\nmsgid "Soon"\nmsgstr ""\n'
    )
    (folder / "messages.po").write_text(
        'msgid "Hello"\nmsgstr "Hallo"\n\nmsgid "Bye"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Soon"\nmsgstr "Bald"\n'
    )
    assert _tool().untranslated("xx", tmp_path) == ["Bye", "Soon"]


@pytest.mark.parametrize("locale", LANGUAGES)
def test_every_message_is_translated(locale: str) -> None:
    catalog = _catalog(locale)
    template = _template_ids(ROOT / "locales" / "messages.pot")
    ids = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog if m.id}
    assert template - ids == set(), f"missing in {locale}"
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated in {locale}: {ids[0]!r}"
        assert not message.fuzzy, f"fuzzy in {locale}: {ids[0]!r}"
        expected = set(PLACEHOLDER.findall(" ".join(ids)))
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == expected, (
                f"placeholders differ in {locale}: {ids[0]!r}"
            )


def test_template_is_current(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-k",
            "ngettext:1,2",
            "--no-location",
            "--omit-header",
            "-o",
            str(fresh),
            "bot",
            "handlers",
            "web",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    assert _template_ids(fresh) == _template_ids(ROOT / "locales" / "messages.pot"), (
        "locales/messages.pot is stale: run `make catalogs-update` and translate"
    )


def test_dates_are_written_out_in_the_community_zone() -> None:
    moment = datetime(2025, 12, 9, 14, 0, tzinfo=UTC)  # 15:00 in Berlin (winter time)
    assert format_when(moment, "Europe/Berlin", "de") == "Dienstag, 9. Dezember 2025, 15:00 Uhr"
    assert format_when(moment, "Europe/Berlin", "en") == "Tuesday, 9 December 2025, 3:00 PM"
    summer = datetime(2026, 7, 1, 13, 30, tzinfo=UTC)  # 15:30 in Berlin (summer time)
    assert format_when(summer, "Europe/Berlin", "de") == "Mittwoch, 1. Juli 2026, 15:30 Uhr"
    # Any other language: Babel's full date and short time in that language.
    assert format_when(moment, "Europe/Berlin", "uk") == ("вівторок, 9 грудня 2025\u202fр., 15:00")


@pytest.mark.parametrize(
    ("chosen", "hint", "default", "expected"),
    [
        ("en", "de", "de", "en"),
        (None, "en-GB", "de", "en"),
        (None, "fr", "de", "de"),
        (None, None, "en", "en"),
        (None, None, None, "de"),
        ("xx", "pt-BR", None, "de"),
        (None, "uk", "de", "uk"),
        (None, "uk-UA", None, "uk"),
    ],
)
def test_locale_choice_order(chosen, hint, default, expected) -> None:  # type: ignore[no-untyped-def]
    assert pick_locale(chosen, hint, default) == expected


def test_language_names_and_direction_come_from_babel() -> None:
    assert [language_name(code) for code in ("de", "en", "uk", "tr", "ar")] == [
        "Deutsch",
        "English",
        "Українська",
        "Türkçe",
        "العربية",
    ]
    assert language_name("uk", "en") == "Ukrainian"
    assert [text_direction(code) for code in ("de", "uk", "ar", "fa", "xx")] == [
        "ltr",
        "ltr",
        "rtl",
        "rtl",
        "ltr",
    ]
