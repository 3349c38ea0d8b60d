"""Catalogs complete in both languages, template current, dates written out with Babel."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.language.i18n import format_when, pick_locale

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def _catalog(locale: str):  # type: ignore[no-untyped-def]
    with (ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def _template_ids(path: Path) -> set[str]:
    with path.open("rb") as handle:
        return {m.id[0] if isinstance(m.id, tuple) else m.id for m in read_po(handle) if m.id}


@pytest.mark.parametrize("locale", ["de", "en"])
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


@pytest.mark.parametrize(
    ("chosen", "hint", "default", "expected"),
    [
        ("en", "de", "de", "en"),
        (None, "en-GB", "de", "en"),
        (None, "fr", "de", "de"),
        (None, None, "en", "en"),
        (None, None, None, "de"),
        ("xx", "pt-BR", None, "de"),
    ],
)
def test_locale_choice_order(chosen, hint, default, expected) -> None:  # type: ignore[no-untyped-def]
    assert pick_locale(chosen, hint, default) == expected
