"""The README's command table is what the bot does: every command the router lists is in it,
with its German and English name and who may use it, and it names no command that does
not exist."""

from __future__ import annotations

import re
from pathlib import Path

from bot.domain.roles import ADMIN, COORDINATOR, STAFF, VOLUNTEER
from handlers import build_router

ROOT = Path(__file__).resolve().parents[2]
# The "who" column's words for the role a command needs.
WHO = {
    STAFF: "staff",
    VOLUNTEER: "volunteers",
    COORDINATOR: "coordinators",
    ADMIN: "admin",
    "deployment_admin": "deployment admin",
}


def _table() -> list[tuple[set[str], str]]:
    """Each row of the table under "Using it in chat": its command names and its who."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Using it in chat", 1)[1]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| "):
            if rows:
                break
            continue
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        names = set(re.findall(r"`/([a-z_]+)", cells[0]))
        if names:
            rows.append((names, cells[1]))
    return rows


def test_every_listed_command_is_in_the_readme_with_both_names_and_who() -> None:
    rows = _table()
    shown = {name for names, _who in rows for name in names}
    missing = {
        cmd.names[0]: [name for name in cmd.names if name not in shown]
        for cmd in build_router().ordered
        if cmd.listed and any(name not in shown for name in cmd.names)
    }
    assert missing == {}
    wrong_who = {}
    for cmd in build_router().ordered:
        who = next((who for names, who in rows if cmd.names[0] in names), None)
        needed = {WHO[role] for role in cmd.roles if role in WHO}
        if who is not None and needed and not any(word in who for word in needed):
            wrong_who[cmd.names[0]] = (who, sorted(needed))
    assert wrong_who == {}


def test_the_readme_names_no_command_the_bot_does_not_have() -> None:
    router = build_router()
    unknown = {name for names, _who in _table() for name in names if router.find(name) is None}
    assert unknown == set()
