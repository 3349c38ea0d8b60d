"""A language the code has never seen, added as a town would: the shipped catalogs plus one
more folder with a few translations (the rest falls back to the English message ids)."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.infra.package_data import LOCALES_DIR

SHIPPED = ("de", "en", "uk")


def catalog(code: str, plural_forms: str, translations: dict[str, str]) -> str:
    """A small .po file in ``code`` with these msgid → msgstr pairs."""
    escaped = {key: value.replace('"', '\\"') for key, value in translations.items()}
    entries = "".join(
        f'\nmsgid "{key.replace(chr(34), chr(92) + chr(34))}"\nmsgstr "{value}"\n'
        for key, value in escaped.items()
    )
    return (
        f'msgid ""\nmsgstr ""\n"Language: {code}\\n"\n"Plural-Forms: {plural_forms}\\n"\n'
        f'"Content-Type: text/plain; charset=utf-8\\n"\n{entries}'
    )


def locales_with(tmp_path: Path, code: str, po: str) -> Path:
    """A copy of the shipped catalogs plus ``locales/<code>/LC_MESSAGES/messages.po``."""
    folder = tmp_path / "locales"
    for shipped in SHIPPED:
        target = folder / shipped / "LC_MESSAGES"
        target.mkdir(parents=True)
        shutil.copy(LOCALES_DIR / shipped / "LC_MESSAGES" / "messages.po", target)
    (folder / code / "LC_MESSAGES").mkdir(parents=True)
    (folder / code / "LC_MESSAGES" / "messages.po").write_text(po, encoding="utf-8")
    return folder


# Turkish as a town would start it: the texts of a first conversation and a poster.
TURKISH = catalog(
    "tr",
    "nplurals=2; plural=(n != 1);",
    {
        "Thank you. I will write to you in English from now on.": (
            "Teşekkürler. Bundan sonra size Türkçe yazıyorum."
        ),
        "Hello {name}!": "Merhaba {name}!",
        "All commands": "Tüm komutlar",
        "This is what I can do:": "Şunları yapabilirim:",
        "Choose your language": "Dil seçin",
        "Save": "Kaydet",
        "Saved: {title}, {when}.": "Kaydedildi: {title}, {when}.",
        "Scan with your phone to sign up": "Kaydolmak için telefonunuzla tarayın",
        "Here is the poster to print.": "Yazdırmak için afiş burada.",
    },
)
