"""What an adapter declares is the one place a platform's ways are written: the command
prefixes the router reads, the other app's prefix, and the check-in hint of ``lotsenbot qr``."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.adapters.base import Adapter
from bot.chat import platforms
from bot.chat.router import parse_command
from bot.dates.checkin_qr import _how_to_type
from bot.offline import configured_platforms
from tests.conftest import make_settings


def test_every_declared_prefix_is_read_and_the_other_app_has_the_other_one() -> None:
    for prefix in platforms.COMMAND_PREFIXES:
        assert parse_command(f"{prefix}hilfe") is not None
    assert Adapter.command_prefix in platforms.COMMAND_PREFIXES
    platforms.declare("test-slash", command_prefix="/", display_name="Slash")
    platforms.declare("test-bang", command_prefix="!", display_name="Bang")
    assert platforms.other_command_prefix("test-slash") == "!"
    assert platforms.other_command_prefix("test-bang") == "/"
    assert platforms.other_command_prefix("never-declared") == "!"
    with pytest.raises(ValueError, match="commands can start with"):
        platforms.declare("test-dot", command_prefix=".", display_name="Dot")


def test_the_qr_hint_names_each_configured_platforms_prefix(tmp_path: Path) -> None:
    both = make_settings(
        "sqlite+aiosqlite:///unused.db",
        tmp_path,
        telegram={"token": "123:abc"},
        matrix={"homeserver": "https://matrix.example", "user_id": "@bot:matrix.example"},
    )
    assert configured_platforms(both) == [("Telegram", "/"), ("Matrix", "!")]
    assert _how_to_type("12345", configured_platforms(both)) == (
        "/hier 12345 on Telegram, !hier 12345 on Matrix"
    )
    console = make_settings("sqlite+aiosqlite:///unused.db", tmp_path)
    assert _how_to_type("12345", configured_platforms(console)) == "/hier 12345"
