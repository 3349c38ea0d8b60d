"""Router parsing: commands, @botname, "!", typed numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.chat.router import Router, parse_choice, parse_command


@pytest.mark.parametrize(
    ("text", "name", "args", "target"),
    [
        ("/start", "start", "", None),
        ("/Start@Lotsen_Bot", "start", "", "Lotsen_Bot"),
        ("!hilfe", "hilfe", "", None),
        ("/verbinden  12 ", "verbinden", "12", None),
        ("/rolle_geben 3 team", "rolle_geben", "3 team", None),
        ("  /start payload-123", "start", "payload-123", None),
    ],
)
def test_commands_are_parsed(text: str, name: str, args: str, target: str | None) -> None:
    parsed = parse_command(text)
    assert parsed is not None
    assert (parsed.name, parsed.args, parsed.addressed_to) == (name, args, target)


@pytest.mark.parametrize(
    ("text", "args", "target"),
    [
        ("/verbinden 1@DeinBot", "1", "DeinBot"),
        ("/verbinden 1 @deinbot", "1", "DeinBot"),
        ("/verbinden@DeinBot 1", "1", "DeinBot"),
        ("/start@DeinBot", "", "DeinBot"),
        ("/kontakt anna@example.org", "anna@example.org", None),
        ("/verbinden 1@OtherBot", "1@OtherBot", None),
    ],
)
def test_the_bots_own_name_after_the_arguments(text: str, args: str, target: str | None) -> None:
    parsed = parse_command(text, "DeinBot")
    assert parsed is not None
    assert (parsed.args, parsed.addressed_to) == (args, target)


@pytest.mark.parametrize("text", ["start", "/", "! hilfe", "/ä", "ja", "/start-now", ""])
def test_non_commands(text: str) -> None:
    assert parse_command(text) is None


@pytest.mark.parametrize(
    ("text", "count", "expected"),
    [("1", 3, 0), (" 3 ", 3, 2), ("2.", 3, 1), ("4", 3, None), ("0", 3, None), ("eins", 3, None)],
)
def test_typed_choices(text: str, count: int, expected: int | None) -> None:
    assert parse_choice(text, count) == expected


@given(st.text(max_size=300))
def test_parsers_never_raise(text: str) -> None:
    parse_command(text)
    parse_choice(text, 5)


def test_names_are_unique_and_listing_respects_roles() -> None:
    router = Router()

    async def handler(ctx):  # type: ignore[no-untyped-def]
        return None

    router.command("hilfe", "help", description="help")(handler)
    router.command("rolle_geben", "grant", description="grant", roles=("admin",))(handler)
    with pytest.raises(ValueError):
        router.command("help", description="again")(handler)
    assert [c.names[0] for c in router.available({"member"}, "group")] == ["hilfe"]
    assert len(router.available({"admin", "member"}, "group")) == 2
    assert router.find("HELP") is router.find("hilfe")
