"""Numbers people type: only ASCII digits, and not more than fit a database integer."""

from __future__ import annotations

MAX_DIGITS = 9


def is_number(text: str) -> bool:
    """True for "12"; False for "", "²" (a digit to Python, not to int()) or 20 digits."""
    return 0 < len(text) <= MAX_DIGITS and text.isascii() and text.isdigit()
