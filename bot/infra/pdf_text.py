"""Text for PDFs drawn with reportlab's built-in fonts (posters, certificates): only the
characters those fonts have, so nothing prints as a black box."""

from __future__ import annotations

import unicodedata


def printable(text: str) -> str:
    """Text the PDF base fonts can show (Windows-1252, which has äöüß and €).

    Anything else would print as a black box: accented letters lose the accent,
    emoji and other symbols are left out.
    """
    kept = []
    for char in text:
        if _encodable(char):
            kept.append(char)
            continue
        kept.extend(c for c in unicodedata.normalize("NFKD", char) if _encodable(c))
    return " ".join("".join(kept).split())


def _encodable(char: str) -> bool:
    if unicodedata.category(char).startswith("M"):
        return False
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True
