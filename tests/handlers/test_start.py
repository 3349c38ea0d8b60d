"""/start, /hilfe, /sprache and the router's answers, through the whole stack."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.domain.models import ConversationState, OutboxMessage, Person
from tests.fakes.memory import Person as Someone

ANNA = Someone("100", "Anna", "de")
BOB = Someone("200", "Bob", "en")


async def test_start_in_demo_group_greets_in_german_with_next_date(conversation, demo_group):
    [shown] = await conversation.say(ANNA, "/start", chat=demo_group)
    assert shown.text.startswith("Hallo Anna!")
    assert "Digitalcafé Musterstadt" in shown.text
    # FakeClock starts on Friday 20 November 2026; the demo date is the next Wednesday.
    assert "Mittwoch, 25. November 2026, 15:00 Uhr" in shown.text
    assert "Stadtbibliothek, Raum 2" in shown.text


async def test_help_lists_commands_in_german_and_english(conversation, demo_group):
    [german] = await conversation.say(ANNA, "/hilfe", chat=demo_group)
    assert german.text.splitlines()[0] == "Das kann ich für Sie tun:"
    assert "/sprache – Sprache wählen" in german.text
    # Every feature's commands, not only those of the module that shows the list.
    assert "/termine – " in german.text and "/abmelden – " in german.text
    assert "/anfrage – " in german.text
    [english] = await conversation.say(BOB, "/help", chat=demo_group)
    assert english.text.splitlines()[0] == "This is what I can do:"
    assert "/language – Choose your language" in english.text
    # Members see no admin commands.
    assert "/rolle_geben" not in german.text and "/verbinden" not in german.text


async def test_command_forms_bot_name_and_exclamation_mark(conversation, demo_group):
    assert (await conversation.say(ANNA, "/start@lotsen_bot", chat=demo_group))[0].text.startswith(
        "Hallo"
    )
    assert (await conversation.say(ANNA, "!start", chat=demo_group))[0].text.startswith("Hallo")
    assert await conversation.say(ANNA, "/start@other_bot", chat=demo_group) == []
    assert (await conversation.say(ANNA, "/HILFE", chat=demo_group))[0].text.startswith("Das kann")


async def test_unknown_command_gets_a_short_hint(conversation, demo_group):
    [shown] = await conversation.say(ANNA, "/gibtsnicht", chat=demo_group)
    assert shown.text == "Diesen Befehl kenne ich nicht. Das geht: /start /hilfe /sprache /termine"


async def test_plain_text_in_private_chat_is_answered_kindly(conversation, demo_group):
    await conversation.say(ANNA, "/start", chat=demo_group)
    [shown] = await conversation.say(ANNA, "Was ist das hier?")
    assert shown.text == "Das habe ich leider nicht verstanden.\nWas möchten Sie tun?"
    menu = ["Termine", "Hilfe von einem Lotsen", "Alle Befehle"]
    assert [label for label, _ in shown.buttons] == menu
    [helped] = await conversation.say(ANNA, "Hilfe")
    assert helped.text == "Was möchten Sie tun?"
    assert [label for label, _ in helped.buttons] == menu
    [commands] = await conversation.press(ANNA, helped, "Alle Befehle")
    assert commands.text.startswith("Das kann ich für Sie tun:")


async def test_plain_text_in_group_is_left_alone(conversation, demo_group):
    assert await conversation.say(ANNA, "Guten Morgen zusammen", chat=demo_group) == []


async def test_language_by_button_then_by_typed_number_and_word(app, conversation):
    [question] = await conversation.say(ANNA, "/sprache")
    assert question.text == "Welche Sprache möchten Sie?"
    # Every catalog folder is a choice (locales/uk since issue #21), named in its own language.
    assert [label for label, _ in question.buttons] == ["Deutsch", "English", "Українська"]
    assert question.rendered.endswith(
        "1 – Deutsch\n2 – English\n3 – Українська\nAntworten Sie mit 1, 2 oder 3."
    )

    [done] = await conversation.press(ANNA, question, "English")
    assert done.text == "Thank you. I will write to you in English from now on."
    [again] = await conversation.say(ANNA, "/start")
    assert again.text.startswith("Hello Anna!")

    await conversation.say(ANNA, "/language")
    [typed] = await conversation.say(ANNA, "1")
    assert typed.text == "Danke. Ich schreibe Ihnen ab jetzt auf Deutsch."
    await conversation.say(ANNA, "/sprache")
    [word] = await conversation.say(ANNA, "english")
    assert word.text.startswith("Thank you.")
    async with app.sessions() as session:
        assert (
            await session.scalar(select(Person.locale).where(Person.display_name == "Anna")) == "en"
        )


async def test_platform_language_hint_picks_english(conversation):
    [shown] = await conversation.say(BOB, "/start")
    assert shown.text.startswith("Hello Bob!")


async def test_number_out_of_range_is_not_understood_and_changes_nothing(app, conversation):
    await conversation.say(ANNA, "/sprache")
    [shown] = await conversation.say(ANNA, "7")
    assert shown.text.startswith("Das habe ich leider nicht verstanden.")
    async with app.sessions() as session:
        assert (
            await session.scalar(select(Person.locale).where(Person.display_name == "Anna")) is None
        )


async def test_forged_and_foreign_buttons_are_refused(app, conversation):
    [question] = await conversation.say(ANNA, "/sprache")
    [forged] = await conversation.say(ANNA, button_key="not-a-real-key")
    assert forged.text == "Dieser Knopf geht nicht mehr.\nBitte schreiben Sie /start."
    # Bob presses Anna's button from another chat: the key is bound to Anna's chat.
    key = question.buttons[1][1]
    [foreign] = await conversation.say(BOB, button_key=key)
    assert foreign.text.startswith("This button no longer works.")
    async with app.sessions() as session:
        locales = (await session.scalars(select(Person.locale))).all()
    assert set(locales) == {None}


async def test_expired_button_is_refused(conversation, clock):
    [question] = await conversation.say(ANNA, "/sprache")
    clock.advance(days=61)
    [late] = await conversation.press(ANNA, question, "English")
    assert late.text.startswith("Dieser Knopf geht nicht mehr.")


async def test_ten_thousand_characters_are_refused_kindly(app, conversation):
    [shown] = await conversation.say(ANNA, "x" * 10_000)
    assert shown.text.startswith("Ihre Nachricht ist sehr lang.")
    async with app.sessions() as session:
        assert await session.scalar(select(func.count(ConversationState.id))) == 0


async def test_redelivered_event_is_handled_once(app, conversation):
    first = await conversation.say(ANNA, "/start", event_id="update-42")
    again = await conversation.say(ANNA, "/start", event_id="update-42")
    assert len(first) == 1 and again == []
    async with app.sessions() as session:
        assert await session.scalar(select(func.count(OutboxMessage.id))) == 1


async def test_messages_from_bots_are_ignored(conversation, demo_group):
    robot = Someone("999", "Other Bot", is_bot=True)
    assert await conversation.say(robot, "/start", chat=demo_group) == []


async def test_handler_crash_apologises_and_keeps_nothing_half_done(app, conversation):
    async def broken(ctx):  # type: ignore[no-untyped-def]
        await ctx.reply("half")
        raise RuntimeError("boom")

    app.router.command("kaputt", description="test", needs_community=False)(broken)
    [shown] = await conversation.say(ANNA, "/kaputt")
    assert (
        shown.text
        == "Bei uns ist etwas schiefgegangen.\nBitte versuchen Sie es gleich noch einmal."
    )
    assert all(s.text != "half" for s in conversation.adapter.shown)
