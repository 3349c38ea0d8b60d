"""End to end on Telegram: PTB unmodified against the Bot-API test server on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.chat.types import Button, ChatRef, Delivery, Outgoing, RenderedButton
from bot.delivery.outbox import enqueue_edit
from bot.domain.models import Account, Chat, OutboxMessage, ProcessedEvent
from bot.infra.db import create_engine, session_factory
from tests.e2e.queue import queue
from tests.e2e.telegram_bot import RunningBot, fast_server
from tests.fakes.telegram_server import FakeTelegramServer


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with fast_server() as fake:
        yield fake
    assert fake.internal_errors == []


@pytest.fixture
async def bot(server, sqlite_url, tmp_path) -> AsyncIterator[RunningBot]:  # type: ignore[no-untyped-def]
    running = RunningBot(server, sqlite_url, tmp_path)
    await running.start()
    yield running
    await running.stop()


async def _reply(server: FakeTelegramServer, chat_id: int, contains: str, start: int = 0):  # type: ignore[no-untyped-def]
    return await server.wait_for(
        lambda r: r.chat_id == chat_id and contains in (r.text or ""), timeout=15, start=start
    )


async def test_start_in_a_private_chat(server, bot) -> None:  # type: ignore[no-untyped-def]
    anna = server.user(1001, "Anna")
    server.post_message(server.private_chat(anna), anna, "/start")
    reply = await _reply(server, 1001, "Hallo Anna!")
    assert reply.parse_mode == "HTML"
    assert "Ich bin der Lotsenbot." in reply.text
    # German and English command menus were set.
    assert [c["command"] for c in server.commands(None, "de")][:3] == ["start", "hilfe", "sprache"]
    assert [c["command"] for c in server.commands(None, "en")][:3] == ["start", "help", "language"]


async def test_a_ukrainian_app_gets_ukrainian_answers_and_menu(server, bot) -> None:  # type: ignore[no-untyped-def]
    olena = server.user(1003, "Olena", language_code="uk")
    server.post_message(server.private_chat(olena), olena, "/start")
    reply = await _reply(server, 1003, "Вітаю, Olena!")
    assert "Напишіть /help. Тоді я покажу вам, що вмію." in reply.text
    # The command menu for apps set to Ukrainian: English command names, Ukrainian words.
    menu = {c["command"]: c["description"] for c in server.commands(None, "uk")}
    assert list(menu)[:3] == ["start", "help", "language"]
    assert menu["language"] == "Вибрати мову"
    # Apps in any other language get the default (German) menu.
    assert [c["command"] for c in server.commands(None, "")][:3] == ["start", "hilfe", "sprache"]


async def test_group_commands_with_bot_name_after_linking(server, bot) -> None:  # type: ignore[no-untyped-def]
    admin, mia = server.user(1, "Ada"), server.user(2, "Mia")
    group = server.group(-500, "Digitalcafé")
    server.post_message(group, mia, "/start@lotsen_test_bot")
    server.post_message(group, admin, "/verbinden@lotsen_test_bot 1")
    await _reply(server, -500, "Dieser Chat gehört jetzt zu Digitalcafé Musterstadt")
    mark = len(server.sent)
    server.post_message(group, mia, "/start@other_bot")
    server.post_message(group, mia, "/start@lotsen_test_bot")
    reply = await _reply(server, -500, "Hallo Mia!", start=mark)
    # The unlinked group stayed quiet; the command for another bot was ignored.
    assert [r.text.splitlines()[0] for r in server.messages_to(-500)] == [
        "Fertig. Dieser Chat gehört jetzt zu Digitalcafé Musterstadt.",
        "Hallo Mia!",
    ]
    assert reply.text.count("Hallo") == 1


async def test_button_round_trip_and_callbacks_are_answered(server, bot) -> None:  # type: ignore[no-untyped-def]
    anna = server.user(1001, "Anna")
    chat = server.private_chat(anna)
    server.post_message(chat, anna, "/sprache")
    question = await _reply(server, 1001, "Welche Sprache")
    assert [row[0]["text"] for row in question.reply_markup["inline_keyboard"]] == [
        "Deutsch",
        "English",
        "Українська",
    ]
    english_key = question.reply_markup["inline_keyboard"][1][0]["callback_data"]
    assert len(english_key.encode()) <= 64
    query_id = server.press_button(chat, anna, question.message_id, english_key)
    await _reply(server, 1001, "I will write to you in English")
    for _ in range(50):
        if query_id in server.answered_callbacks:
            break
        await asyncio.sleep(0.05)
    assert query_id in server.answered_callbacks


async def test_forged_callback_gets_a_note_and_changes_nothing(server, bot) -> None:  # type: ignore[no-untyped-def]
    anna = server.user(1001, "Anna")
    chat = server.private_chat(anna)
    server.post_message(chat, anna, "/sprache")
    question = await _reply(server, 1001, "Welche Sprache")
    query_id = server.press_button(chat, anna, question.message_id, "lang.set:en", forged=True)
    await _reply(server, 1001, "Dieser Knopf geht nicht mehr.")
    assert query_id in server.answered_callbacks
    async with bot.app.sessions() as session:
        assert await session.scalar(select(Account.person_id)) is not None
        from bot.domain.models import Person

        assert (await session.scalars(select(Person.locale))).all() == [None]


async def test_edited_and_forwarded_commands_do_not_run(server, bot) -> None:  # type: ignore[no-untyped-def]
    anna = server.user(1001, "Anna")
    chat = server.private_chat(anna)
    first = server.post_message(chat, anna, "/start")
    await _reply(server, 1001, "Hallo Anna!")
    server.edit_message(first, "/sprache")
    server.post_message(chat, anna, "/sprache", forward_from=server.user(77, "Fritz"))
    await _reply(server, 1001, "Das habe ich leider nicht verstanden.")
    await asyncio.sleep(0.3)
    texts = [r.text for r in server.messages_to(1001)]
    assert not any("Welche Sprache" in t for t in texts)


async def test_long_text_is_split_at_paragraphs(server, bot) -> None:  # type: ignore[no-untyped-def]
    sentence = "Wir üben gemeinsam <Fotos> & Nachrichten."
    paragraphs = [f"Absatz {n}: " + " ".join([sentence] * 30) for n in range(8)]
    text = "\n\n".join(paragraphs)
    assert len(text) > 4096
    app = bot.app
    server.user(1001, "Anna")
    server.private_chat(1001)
    await queue(app, ChatRef("telegram", "1001", "direct"), ("long-1", Outgoing(text)))
    await server.wait_until_sent(2, timeout=15)
    await asyncio.sleep(1.0)
    assert all(len(r.text) <= 4096 for r in server.messages_to(1001))
    parts = [r.plain_text for r in server.messages_to(1001)]
    assert len(parts) >= 2
    assert "\n\n".join(parts) == text  # nothing lost, split between paragraphs, unescaped


async def test_429_storm_is_survived_with_nothing_lost(server, bot) -> None:  # type: ignore[no-untyped-def]
    app = bot.app
    group = server.group(-900, "Gruppe")
    server.inject("sendMessage", "429", times=6)
    await queue(
        app,
        ChatRef("telegram", "-900", "group"),
        *((f"s{n}", Outgoing(f"Nachricht {n}")) for n in range(12)),
    )
    for _ in range(300):
        if len(server.messages_to(-900)) == 12:
            break
        await asyncio.sleep(0.1)
    assert [r.text for r in server.messages_to(-900)] == [f"Nachricht {n}" for n in range(12)]
    assert server.count_429 == 6
    del group


async def test_blocked_person_is_asked_in_the_group_and_gets_the_message_later(server, bot) -> None:  # type: ignore[no-untyped-def]
    admin, anna = server.user(1, "Ada"), server.user(1001, "Anna Berg")
    group = server.group(-700, "Digitalcafé")
    server.post_message(group, admin, "/verbinden 1")
    await _reply(server, -700, "Fertig.")
    server.post_message(group, anna, "/ich")
    await _reply(server, -700, "Ihre Nummer ist")
    server.never_started(anna)
    app = bot.app
    await queue(
        app, ChatRef("telegram", "1001", "direct"), ("r1", Outgoing("Erinnerung an morgen"))
    )
    ask = await _reply(server, -700, "Anna, ich habe eine Nachricht für Sie.")
    assert "https://t.me/lotsen_test_bot?start=hallo" in ask.text
    async with app.sessions() as session:
        assert await session.scalar(
            select(Account.unreachable).where(Account.external_id == "1001")
        )
    # Anna taps the link: Telegram sends "/start hallo" in her private chat.
    server.post_message(server.private_chat(anna), anna, "/start hallo")
    await _reply(server, 1001, "Erinnerung an morgen")
    await _reply(server, 1001, "Hallo Anna Berg!")


async def test_group_migrated_to_supergroup_is_followed(server, bot) -> None:  # type: ignore[no-untyped-def]
    admin, mia = server.user(1, "Ada"), server.user(2, "Mia")
    group = server.group(-600, "Treff")
    server.post_message(group, admin, "/verbinden 1")
    await _reply(server, -600, "Fertig.")
    server.migrate_to_supergroup(group, -100600)
    server.post_message(-100600, mia, "/start")
    await _reply(server, -100600, "Hallo Mia!")
    app = bot.app
    async with app.sessions() as session:
        chats = (await session.scalars(select(Chat).where(Chat.kind == "group"))).all()
    assert [(c.external_id, c.community_id) for c in chats] == [("-100600", 1)]


async def test_redelivered_updates_change_nothing(server, bot) -> None:  # type: ignore[no-untyped-def]
    from telegram import Update

    anna = server.user(1001, "Anna")
    update = server.post_message(server.private_chat(anna), anna, "/start")
    await _reply(server, 1001, "Hallo Anna!")
    adapter = bot.app.adapters["telegram"]
    again = Update.de_json(update, adapter.bot)
    assert await adapter.handle_batch([again, again])
    await asyncio.sleep(0.5)
    assert len(server.messages_to(1001)) == 1
    async with bot.app.sessions() as session:
        assert len((await session.scalars(select(ProcessedEvent.event_id))).all()) == 1


WEBHOOK_SECRET = "e2e-webhook-secret-0123456789abcdefABCDEF"


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _stored(app) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    """People, accounts, processed updates and outbox rows: what a forged update would add."""
    from sqlalchemy import func

    from bot.domain.models import Person

    async with app.sessions() as session:
        return tuple(  # type: ignore[return-value]
            [
                await session.scalar(select(func.count()).select_from(model))
                for model in (Person, Account, ProcessedEvent, OutboxMessage)
            ]
        )


async def test_webhook_mode_refuses_forged_posts(server, sqlite_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A POST without Telegram's secret header, or with a wrong one, gets 403 and changes
    nothing, even when it claims to come from a configured admin (telegram:1)."""
    import aiohttp

    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    running = RunningBot(
        server,
        sqlite_url,
        tmp_path,
        telegram={
            "mode": "webhook",
            "webhook_port": port,
            "webhook_secret": WEBHOOK_SECRET,
            "webhook_url": url,
        },
    )
    app = await running.start()
    try:
        anna = server.user(1001, "Anna")
        server.post_message(server.private_chat(anna), anna, "/start")
        await _reply(server, 1001, "Hallo Anna!")  # Telegram itself gets through
        await asyncio.sleep(0.2)
        before = await _stored(app)
        admin = {"id": 1, "is_bot": False, "first_name": "Ada", "language_code": "de"}
        forged = [
            {
                "update_id": 900_000 + n,
                "message": {
                    "message_id": 77 + n,
                    "date": 1_700_000_000,
                    "chat": {"id": -4242, "type": "group", "title": "Fremde Gruppe"},
                    "from": admin,
                    "text": text,
                },
            }
            for n, text in enumerate(["/verbinden 1", "/start"])
        ]
        headers: list[dict[str, str]] = [
            {},
            {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
            {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET[:-1]},
            {"X-Telegram-Bot-Api-Secret-Token": ""},
        ]
        async with aiohttp.ClientSession() as client:
            for update in forged:
                for header in headers:
                    async with client.post(url, json=update, headers=header) as response:
                        assert response.status == 403
        await asyncio.sleep(0.3)
        assert await _stored(app) == before
        assert server.messages_to(-4242) == []
        async with app.sessions() as session:
            groups = (await session.scalars(select(Chat).where(Chat.kind == "group"))).all()
        assert groups == []
        # A stale button pressed in a group, through the webhook: the note is the press's
        # own notice, and the group sees nothing (#18, point 2).
        group = server.group(-4343, "Digitalcafé")
        own = server.post_message(group, anna, "Hallo")
        message_id = own["message"]["message_id"]
        query_id = server.press_button(group, anna, message_id, "old-key", forged=True)
        for _ in range(100):
            if query_id in server.answered_callbacks:
                break
            await asyncio.sleep(0.05)
        assert server.answered_callbacks[query_id] == (
            "Dieser Knopf geht nicht mehr.\nBitte schreiben Sie /start."
        )
        assert server.messages_to(-4343) == []
    finally:
        await running.stop()


async def test_webhook_adapter_never_listens_without_a_secret(server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Settings that skipped validation still do not open an unprotected webhook."""
    from pydantic import SecretStr

    from bot.adapters.telegram import TelegramAdapter
    from bot.config import ConfigError, TelegramSection

    port = _free_port()
    for secret in ("", "short-secret"):
        section = TelegramSection.model_construct(
            token=SecretStr(server.token),
            base_url=server.base_url,
            mode="webhook",
            webhook_port=port,
            webhook_url=f"http://127.0.0.1:{port}/telegram",
            webhook_secret=SecretStr(secret),
        )
        adapter = TelegramAdapter(section)

        async def dispatch(_incoming) -> bool:  # type: ignore[no-untyped-def]
            return True

        with pytest.raises(ConfigError, match=r"telegram\.webhook_secret"):
            await adapter.start(dispatch)
        await adapter.stop()
    assert server.requests["setWebhook"] == 0


async def test_server_errors_are_retried_and_files_sent(server, bot) -> None:  # type: ignore[no-untyped-def]
    from bot.chat.types import Attachment

    server.user(1001, "Anna")
    server.private_chat(1001)
    server.inject("sendMessage", "http500", times=1)
    server.inject("sendMessage", "http502", times=1)
    app = bot.app
    report = Attachment("bericht.csv", b"a;b\n1;2\n", "text/csv")
    await queue(
        app,
        ChatRef("telegram", "1001", "direct"),
        ("e1", Outgoing("Trotz Fehler")),
        ("e2", Outgoing("Ihr Bericht", attachment=report)),
    )
    document = await server.wait_for(lambda r: r.method == "sendDocument", timeout=20)
    assert (document.filename, document.file_size, document.caption) == (
        "bericht.csv",
        8,
        "Ihr Bericht",
    )
    assert [r.text for r in server.messages_to(1001) if r.method == "sendMessage"] == [
        "Trotz Fehler"
    ]


async def test_anonymous_group_admin_gets_nothing(server, bot) -> None:  # type: ignore[no-untyped-def]
    from bot.domain.models import Role

    admin, mia = server.user(1, "Ada"), server.user(2, "Mia")
    group = server.group(-800, "Treff", supergroup=True)
    server.post_message(group, admin, "/verbinden 1")
    await _reply(server, -800, "Fertig.")
    server.post_message(group, mia, "/ich")
    await _reply(server, -800, "Ihre Nummer ist")
    mark = len(server.sent)
    server.post_message(group, None, "/rolle_geben 2 admin", sender_chat=group)
    server.post_message(group, mia, "/hilfe")
    await _reply(server, -800, "Das kann ich", start=mark)
    assert len(server.messages_to(-800)) == 3
    async with bot.app.sessions() as session:
        roles = (await session.scalars(select(Role.role).where(Role.person_id == 2))).all()
    assert roles == ["member"]


async def test_announcement_is_edited_in_place(server, bot) -> None:  # type: ignore[no-untyped-def]
    server.group(-950, "Digitalcafé")
    app = bot.app
    group = ChatRef("telegram", "-950", "group")
    come = (Button("Ich komme", "rsvp.yes", {"event": 1}),)
    await queue(app, group, ("ann-1", Outgoing("Digitalcafé: 20 von 20 Plätzen frei", come)))
    original = await _reply(server, -950, "20 von 20 Plätzen frei")
    for text in ("Digitalcafé: 19 von 20 Plätzen frei", "Digitalcafé: 18 von 20 Plätzen frei"):
        async with app.sessions.begin() as session:
            await enqueue_edit(session, "ann-1", Outgoing(text, come), app.clock.now())
        app.sender.wake()
    last = await server.wait_for(
        lambda r: r.method == "editMessageText" and "18 von 20" in (r.plain_text or ""),
        timeout=15,
    )
    await asyncio.sleep(0.5)  # time for anything that should not come
    # The message changed in place (once, or once per edit), never posted again.
    assert len(server.messages_to(-950)) == 1
    edits = server.edits_of(-950, original.message_id)
    assert 1 <= len(edits) <= 2 and edits[-1] is last
    shown = server.message(-950, original.message_id)
    assert shown is not None and shown["text"] == "Digitalcafé: 18 von 20 Plätzen frei"
    (button,) = [b for row in shown["reply_markup"]["inline_keyboard"] for b in row]
    assert button["text"] == "Ich komme" and button["callback_data"] != original.callback_data[0]
    async with app.sessions() as session:
        statuses = (await session.scalars(select(OutboxMessage.status))).all()
    assert set(statuses) == {"sent"}
    # The same edit again (as after a crash before it was recorded) is no error.
    adapter = app.adapters["telegram"]
    again = Delivery(
        id=0,
        dedup_key="edit:ann-1",
        chat=group,
        text="Digitalcafé: 18 von 20 Plätzen frei",
        buttons=(RenderedButton("Ich komme", button["callback_data"]),),
        edit_message_id=str(original.message_id),
    )
    assert await adapter.send(again) == str(original.message_id)
    assert server.edits_of(-950, original.message_id) == edits


async def test_stopping_keeps_unsent_messages_for_the_next_start(sqlite_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Stopped with a backlog: what went out is recorded once; the rest waits as it was (no
    error, no retry delay, no attempt counted) and goes out after the next start, in order,
    to each person once."""
    async with fast_server(latency_ms=100) as server:
        people = [server.user(31_000 + n, f"Person {n}") for n in range(20)]
        for person in people:
            server.private_chat(person)
        first = RunningBot(server, sqlite_url, tmp_path, bot={"stop_seconds": 0.5})
        app = await first.start()
        for person in people:
            chat = ChatRef("telegram", str(person["id"]), "direct")
            await queue(
                app, chat, *((f"{person['id']}:{n}", Outgoing(f"Nachricht {n}")) for n in range(3))
            )
        await server.wait_for(lambda r: r.text == "Nachricht 0", timeout=15)
        await first.stop()

        engine = create_engine(sqlite_url)
        try:
            async with session_factory(engine)() as session:
                rows = (await session.scalars(select(OutboxMessage))).all()
        finally:
            await engine.dispose()
        delivered = [r for r in server.sent if r.text and r.text.startswith("Nachricht")]
        assert {row.status for row in rows} <= {"sent", "pending"}
        assert len([row for row in rows if row.status == "sent"]) == len(delivered)
        waiting = [row for row in rows if row.status == "pending"]
        assert waiting, "the stop should have cut the backlog short"
        assert all(row.last_error == "" and row.attempts == 0 for row in waiting)

        second = RunningBot(server, sqlite_url, tmp_path)
        await second.start()
        try:
            for _ in range(300):
                if sum(1 for r in server.sent if (r.text or "").startswith("Nachricht")) >= 60:
                    break
                await asyncio.sleep(0.1)
        finally:
            await second.stop()
        for person in people:
            texts = [r.text for r in server.messages_to(person["id"])]
            assert texts == ["Nachricht 0", "Nachricht 1", "Nachricht 2"]
