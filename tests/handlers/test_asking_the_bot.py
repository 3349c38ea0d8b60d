"""A person's first questions to the bot: plain questions, the help menu, voice messages,
commands with the bot's name, and how many choices read on platforms without buttons."""

from __future__ import annotations

import re
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import select

from bot.bootstrap import build_app, prepare
from bot.chat.types import Incoming
from bot.domain import people
from bot.domain.models import Community
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, MemoryAdapter, matrix_like, telegram_like
from tests.fakes.memory import Person as Someone

ANNA = Someone("100", "Anna", "de")
BOB = Someone("200", "Bob", "en")


async def test_many_choices_read_as_a_range_in_both_languages(conversation, demo_group):
    await conversation.say(ANNA, "/start", chat=demo_group)
    [topics] = await conversation.say(ANNA, "/anfrage")
    count = len(topics.buttons)
    assert count > 4
    assert topics.rendered.endswith(f"\nAntworten Sie mit einer Zahl von 1 bis {count}.")
    await conversation.say(BOB, "/start", chat=demo_group)
    [english] = await conversation.say(BOB, "/request_help")
    assert english.rendered.endswith(f"\nAnswer with a number from 1 to {count}.")
    # Up to four choices every number is named.
    [language] = await conversation.say(ANNA, "/sprache")
    assert language.rendered.endswith("\nAntworten Sie mit 1, 2 oder 3.")


ADA = Someone("1", "Ada")


def _readme_link_example() -> str:
    """The linking command as the README's Telegram steps write it, "/verbinden 1@DeinBot"."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    found = re.search(r"`(/verbinden [^`]*@DeinBot)`", readme)
    assert found is not None
    return found.group(1)


async def test_the_bots_name_after_the_arguments_is_accepted(app, conversation):
    app.settings.bot.admins.append("console:1")
    example = _readme_link_example().replace("@DeinBot", "@Lotsen_Bot")
    assert example == "/verbinden 1@Lotsen_Bot"
    group = conversation.group("g-42", "Senioren Süd")
    [linked] = await conversation.say(ADA, example, chat=group)
    assert linked.text == "Fertig. Dieser Chat gehört jetzt zu Digitalcafé Musterstadt."
    # Before and after the arguments, with or without a space; the name in any case.
    other = conversation.group("g-43", "Lesecafé")
    [before] = await conversation.say(ADA, "/verbinden@lotsen_bot 1", chat=other)
    assert before.text.startswith("Fertig.")
    [spaced] = await conversation.say(ADA, "/start @lotsen_bot", chat=group)
    assert spaced.text.startswith("Hallo Ada!")
    # Another bot's name is not ours: nothing happens.
    assert await conversation.say(ADA, "/start@other_bot", chat=group) == []


async def _voice(conversation, person, chat=None):  # type: ignore[no-untyped-def]
    where = chat or conversation.direct(person)
    await conversation.app.dispatch(
        Incoming(chat=where, sender=person.sender, event_id=f"voice-{uuid4().hex}", voice=True)
    )
    return await conversation.flush()


async def test_a_voice_message_says_what_to_do_instead(app, conversation, demo_group):
    async with app.sessions.begin() as session:
        demo = await session.scalar(select(Community).where(Community.is_demo))
        demo.contact = "Frau Meier, 04542 1234"
    await conversation.say(ANNA, "/start", chat=demo_group)
    await conversation.say(ANNA, "/sprache")
    [answer] = await _voice(conversation, ANNA)
    assert answer.text == (
        "Sprachnachrichten kann ich leider noch nicht anhören.\n"
        "Bitte schreiben Sie mir stattdessen einen kurzen Text.\n"
        "Oder rufen Sie uns an: Frau Meier, 04542 1234"
    )
    # The open question still takes its answer.
    [done] = await conversation.say(ANNA, "2")
    assert done.text.startswith("Thank you.")
    [english] = await _voice(conversation, ANNA)
    assert english.text.startswith("Sorry, I cannot listen to voice messages yet.\n")
    # In a group people speak to each other: the bot stays quiet.
    assert await _voice(conversation, BOB, demo_group) == []


MENU = ["Termine", "Hilfe von einem Lotsen", "Alle Befehle"]


async def test_a_plain_question_about_dates_gets_the_next_date(conversation, demo_group):
    await conversation.say(ANNA, "/start", chat=demo_group)
    for question in ("Wann ist das nächste Treffen?", "Wo ist das?", "termin", "Uhrzeit?"):
        [shown] = await conversation.say(ANNA, question)
        # FakeClock starts on Friday 20 November 2026; the demo date is the next Wednesday.
        assert "Mittwoch, 25. November" in shown.text, question
        assert "Stadtbibliothek, Raum 2" in shown.text
        assert "Ich komme" in [label for label, _ in shown.buttons]
    await conversation.say(BOB, "/start", chat=demo_group)
    [english] = await conversation.say(BOB, "When is the next meeting?")
    assert "Wednesday, 25 November" in english.text


async def test_what_is_not_understood_offers_three_choices_that_work(conversation, demo_group):
    await conversation.say(ANNA, "/start", chat=demo_group)
    [menu] = await conversation.say(ANNA, "Mein Handy ist kaputt")
    assert menu.text == "Das habe ich leider nicht verstanden.\nWas möchten Sie tun?"
    assert [label for label, _ in menu.buttons] == MENU
    assert menu.rendered.endswith(
        "1 – Termine\n2 – Hilfe von einem Lotsen\n3 – Alle Befehle\nAntworten Sie mit 1, 2 oder 3."
    )
    [dates] = await conversation.press(ANNA, menu, "Termine")
    assert dates.text.startswith(
        "Die nächsten Termine:\nNr. 1: Digitalcafé, Mittwoch, 25. November"
    )
    [menu] = await conversation.say(ANNA, "Hallo?")
    [helper] = await conversation.say(ANNA, "2")
    assert helper.text == "Wobei brauchen Sie Hilfe? Bitte tippen Sie auf ein Thema."
    await conversation.say(ANNA, "abbrechen")
    [menu] = await conversation.say(ANNA, "Hallo?")
    [commands] = await conversation.say(ANNA, "alle befehle")
    assert commands.text.startswith("Das kann ich für Sie tun:\n/start – ")
    assert "/termine – " in commands.text and "/anfrage – " in commands.text


async def test_hilfe_in_private_shows_the_menu_and_in_a_group_the_commands(
    conversation, demo_group
):
    await conversation.say(ANNA, "/start", chat=demo_group)
    [private] = await conversation.say(ANNA, "/hilfe")
    assert private.text == "Was möchten Sie tun?"
    assert [label for label, _ in private.buttons] == MENU
    [group] = await conversation.say(ANNA, "/hilfe", chat=demo_group)
    assert group.text.startswith("Das kann ich für Sie tun:\n")
    assert group.buttons == []


async def test_without_a_group_the_menu_is_the_command_list(conversation):
    [shown] = await conversation.say(ANNA, "Wann ist das nächste Treffen?")
    assert shown.text.startswith(
        "Das habe ich leider nicht verstanden.\nDas kann ich für Sie tun:\n"
    )


@pytest.mark.parametrize("make_adapter", [MemoryAdapter, telegram_like, matrix_like])
async def test_the_greetings_promise_holds_on_every_platform(db_url, tmp_path, make_adapter):
    adapter = make_adapter()
    app = build_app(make_settings(db_url, tmp_path), clock=FakeClock(), adapters=[adapter])
    await prepare(app)
    try:
        talk = Conversation(app, adapter)
        group = talk.group("group-1", "Digitalcafé Musterstadt")
        async with app.sessions.begin() as session:
            demo = await session.scalar(select(Community).where(Community.is_demo))
            row = await people.get_or_create_chat(session, group, app.clock.now())
            row.community_id = demo.id
        prefix = adapter.command_prefix
        await talk.say(ANNA, f"{prefix}start", chat=group)
        [greeting] = await talk.say(ANNA, f"{prefix}start")
        assert greeting.text.endswith(
            f"Schreiben Sie {prefix}hilfe. Dann zeige ich Ihnen, was ich kann.\n"
            "Oder fragen Sie mich einfach, zum Beispiel: Wann ist das nächste Treffen?"
        )
        # What it promises works: the command it names shows what the bot can do …
        [menu] = await talk.say(ANNA, f"{prefix}hilfe")
        assert [label for label, _ in menu.buttons] == MENU
        [commands] = await talk.say(ANNA, "3")
        assert commands.text.startswith(f"Das kann ich für Sie tun:\n{prefix}start – ")
        assert f"{prefix}termine – " in commands.text
        # … and the example question is answered with the next date.
        [answer] = await talk.say(ANNA, "Wann ist das nächste Treffen?")
        assert "Mittwoch, 25. November" in answer.text
    finally:
        await app.close()
