"""A person's first questions to the bot: plain questions, the help menu, voice messages,
commands with the bot's name, and how many choices read on platforms without buttons."""

from __future__ import annotations

import re
from pathlib import Path
from uuid import uuid4

from sqlalchemy import select

from bot.chat.types import Incoming
from bot.domain.models import Community
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
    assert language.rendered.endswith("\nAntworten Sie mit 1 oder 2.")


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
