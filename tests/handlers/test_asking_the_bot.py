"""A person's first questions to the bot: plain questions, the help menu, voice messages,
commands with the bot's name, and how many choices read on platforms without buttons."""

from __future__ import annotations

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
