"""/status: a deployment admin sees in one short message how the bot is doing (issue #19);
the same look as GET /health, in plain words. Nobody else gets it."""

from __future__ import annotations

from bot.chat import platforms
from bot.chat.types import ChatRef, Outgoing
from bot.delivery.outbox import enqueue
from bot.domain import people
from tests.fakes.memory import Person as Someone

ADA = Someone("1", "Ada")
MIA = Someone("2", "Mia")


async def _waiting_message(app) -> None:  # type: ignore[no-untyped-def]
    """A message for a platform this process does not run: it stays in the outbox."""
    now = app.clock.now()
    async with app.sessions.begin() as session:
        chat = await people.get_or_create_chat(session, ChatRef("telegram", "9", "direct"), now)
        await session.flush()
        await enqueue(session, chat, Outgoing("Hallo"), dedup_key="waiting", now=now)


async def test_the_admin_sees_every_part_in_one_message(app, conversation):
    await app.cluster.start()  # on PostgreSQL: this process leads (nobody else is there)
    try:
        await _every_part(app, conversation)
    finally:
        await app.cluster.stop()


async def _every_part(app, conversation) -> None:  # type: ignore[no-untyped-def]
    app.settings.bot.admins.append("console:1")
    receiving = app.receiving["console"]
    receiving.starting()
    receiving.running()
    [before] = await conversation.say(ADA, "/status")
    assert "Termine und Erinnerungen: noch nicht geprüft" in before.text
    await _waiting_message(app)
    app.clock.advance(seconds=60)
    await app.scheduler.run_due()
    app.clock.advance(seconds=120)
    [shown] = await conversation.say(ADA, "/status")
    assert shown.text.splitlines() == [
        "Der Bot arbeitet normal.",
        "Datenbank: erreichbar",
        f"{platforms.display_name('console')}: empfängt Nachrichten",
        "Termine und Erinnerungen: vor 2 Minuten geprüft",
        "1 Nachricht wartet auf den Versand.",
        "Die älteste wartet seit 3 Minuten.",
    ]


async def test_a_platform_that_does_not_receive_is_a_problem(app, conversation):
    app.settings.bot.admins.append("console:1")
    receiving = app.receiving["console"]
    receiving.starting()
    receiving.retrying("getUpdates", "Unauthorized", 4.0)
    [shown] = await conversation.say(ADA, "/status")
    lines = shown.text.splitlines()
    assert lines[0] == "Der Bot hat ein Problem."
    shown_name = platforms.display_name("console")
    assert f"{shown_name}: empfängt gerade keine Nachrichten" in lines
    assert "Keine Nachricht wartet auf den Versand." in lines


async def test_members_do_not_get_it(app, conversation):
    [refused] = await conversation.say(MIA, "/status")
    assert "Datenbank" not in refused.text
    assert refused.text == "Das dürfen hier leider nur die Verantwortlichen."
