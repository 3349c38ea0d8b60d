"""E-mail addresses as people type them: checked and stored one way everywhere (the
newsletter, the public page's sign-up)."""

from __future__ import annotations

import re

MAX_ADDRESS = 254
# No spaces, control characters, quotes or brackets; a dot in the domain.
_ADDRESS = re.compile(
    r"^[^@\s<>\"',;\x00-\x1f\x7f]+@[^@\s<>\"',;\x00-\x1f\x7f]+\.[^@\s<>\"',;.\x00-\x1f\x7f]{2,}$"
)


def clean_address(text: str) -> str | None:
    """The address as stored (domain in lower case), or None when it is no address."""
    address = text.strip().strip("<>").strip()
    if len(address) > MAX_ADDRESS or not _ADDRESS.match(address):
        return None
    local, domain = address.rsplit("@", 1)
    return f"{local}@{domain.lower()}"
