"""Names as others will see them: without characters that reorder or hide text."""

from __future__ import annotations

import re

# Bidirectional controls (U+202A-U+202E embeddings and overrides, U+2066-U+2069 isolates,
# U+200E/U+200F marks, U+061C Arabic letter mark) turn "Anna<RLO>exe.txt" into a different
# looking name; zero-width characters (U+200B-U+200D, U+2060, U+FEFF) make two names look
# alike that are not. Both are removed.
_INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u200b-\u200d\u2060\ufeff]")
# Line breaks, tabs and other control characters would let a name start a line of its own
# ("Anna\nAdmin: ...") in a list or a passed-on message: they become one space.
_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\\s]+")


def clean_name(text: str | None) -> str:
    """``text`` without bidi controls and zero-width characters, on one line, trimmed.

    May be empty: the caller decides what stands in for a name that was nothing but
    invisible characters."""
    if not text:
        return ""
    return _BREAKS.sub(" ", _INVISIBLE.sub("", text)).strip()
