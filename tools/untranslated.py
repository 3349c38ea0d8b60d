"""List the messages that still need a translation, per language.

    python tools/untranslated.py            # every folder in locales/
    python tools/untranslated.py uk tr      # only these languages

A message needs a translation when it is in the template (locales/messages.pot) but not in
the language's catalog, when its msgstr (or one of its plural forms) is empty, or when it is
marked fuzzy. Run ``make catalogs-update`` first so every catalog has the new msgids; the
exit status is 1 when anything is listed (tests/unit/test_i18n.py fails the same way).
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = Path(__file__).resolve().parents[1] / "locales"


def _key(message_id: str | tuple[str, ...]) -> str:
    return message_id[0] if isinstance(message_id, tuple) else message_id


def languages(locales: Path = LOCALES) -> list[str]:
    """Every language with a catalog folder."""
    return sorted(p.parent.parent.name for p in locales.glob("*/LC_MESSAGES/messages.po"))


def untranslated(language: str, locales: Path = LOCALES) -> list[str]:
    """The msgids of ``language`` that are missing, empty or fuzzy, in template order."""
    with (locales / "messages.pot").open("rb") as handle:
        template = [_key(m.id) for m in read_po(handle) if m.id]
    with (locales / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = {_key(m.id): m for m in read_po(handle) if m.id}
    found = []
    for msgid in template:
        message = catalog.get(msgid)
        strings = () if message is None else message.string
        strings = strings if isinstance(strings, tuple) else (strings,)
        if message is None or message.fuzzy or not all(strings):
            found.append(msgid)
    return found


def main(argv: list[str]) -> int:
    missing = 0
    for language in argv or languages():
        ids = untranslated(language)
        missing += len(ids)
        if ids:
            print(
                f"{language}: {len(ids)} to translate in locales/{language}/LC_MESSAGES/messages.po"
            )
            for msgid in ids:
                print(f"  {msgid!r}")
        else:
            print(f"{language}: complete")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
