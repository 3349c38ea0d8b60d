"""Proves tests/fakes/telegram_server.py speaks the Bot API the way PTB expects.

Every test drives an unmodified ``telegram.Bot`` pointed at the fake through
``base_url``, so a green run means PTB parses our answers and maps our errors
to the same exceptions the real Telegram would cause.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import sys
import time
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import telegram
from aiohttp import web
from telegram import BotCommand, BotCommandScopeAllGroupChats, InlineKeyboardButton
from telegram import InlineKeyboardMarkup as Keyboard
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import ApplicationBuilder, CommandHandler

# There is no tests/__init__.py and no pytest `pythonpath` setting, so make the
# repo root importable for `tests.fakes` however pytest was started.
_REPO_ROOT = str(Path(__file__).resolve().parents[2])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from tests.fakes.telegram_server import FakeTelegramServer  # noqa: E402

# PTB strips "Bad Request: " and capitalises the rest, hence the (?i) matches below.
# RetryAfter.__init__ itself warns about the int -> timedelta migration in PTB 22.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@asynccontextmanager
async def running(**kwargs: Any) -> AsyncIterator[tuple[FakeTelegramServer, telegram.Bot]]:
    server = FakeTelegramServer(**kwargs)
    await server.start()
    bot = telegram.Bot(server.token, base_url=server.base_url, base_file_url=server.base_file_url)
    try:
        await bot.initialize()
        yield server, bot
    finally:
        await bot.shutdown()
        await server.stop()


def retry_seconds(exc: RetryAfter) -> float:
    # PTB 22 warns unless PTB_TIMEDELTA is set; accept both representations.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def one_button(data: str) -> Keyboard:
    return Keyboard([[InlineKeyboardButton("Ja", callback_data=data)]])


@pytest.mark.asyncio
async def test_get_me_and_unknown_method() -> None:
    async with running() as (server, bot):
        assert bot.username == "lotsen_test_bot"
        assert bot.id == 123456
        assert server.requests["getMe"] == 1
        # Telegram answers 404 "Not Found"; PTB turns that into EndPointNotFound here.
        with pytest.raises(telegram.error.EndPointNotFound):
            await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})


@pytest.mark.asyncio
async def test_posted_message_arrives_and_offset_confirms_it() -> None:
    async with running() as (server, bot):
        anna = server.user(1001, "Anna", username="anna")
        chat = server.private_chat(anna)
        server.post_message(chat, anna, "/start@lotsen_test_bot hallo")

        updates = await bot.get_updates(timeout=0)
        assert len(updates) == 1
        message = updates[0].message
        assert message is not None and message.from_user is not None
        assert message.text == "/start@lotsen_test_bot hallo"
        assert message.from_user.language_code == "de"
        assert message.entities[0].type == "bot_command"
        assert message.entities[0].length == len("/start@lotsen_test_bot")
        # Without an offset Telegram re-delivers; with one the update is gone for good.
        assert len(await bot.get_updates(timeout=0)) == 1
        assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == ()
        assert server.pending_updates() == 0
        assert server.confirmed_offset == updates[0].update_id + 1

        # A long poll returns as soon as something arrives.
        poll = asyncio.create_task(bot.get_updates(timeout=5))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        forwarded = server.post_message(chat, anna, "schau mal", forward_from="Oma")
        (update,) = await poll
        assert time.monotonic() - started < 1
        assert update.update_id == forwarded["update_id"] == updates[0].update_id + 1
        assert update.message is not None and update.message.forward_origin is not None
        assert update.message.forward_origin.type == "hidden_user"


@pytest.mark.asyncio
async def test_inline_keyboard_callback_round_trip() -> None:
    async with running(private_chat_limit=(5, 1.0)) as (server, bot):
        anna = server.user(1001, "Anna")
        chat = server.private_chat(anna)
        sent = await bot.send_message(chat["id"], "Kommst du?", reply_markup=one_button("yes"))
        assert sent.reply_markup is not None
        assert server.messages_to(chat["id"])[0].callback_data == ["yes"]

        query_id = server.press_button(chat, anna, sent.message_id, "yes")
        (update,) = await bot.get_updates(timeout=0)
        query = update.callback_query
        assert query is not None and query.message is not None
        assert (query.id, query.data, query.message.message_id) == (
            query_id,
            "yes",
            sent.message_id,
        )
        assert await bot.answer_callback_query(query.id, text="Danke!")
        assert server.answered_callbacks == {query_id: "Danke!"}
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await bot.answer_callback_query(query.id)

        # An edit without reply_markup drops the keyboard, exactly like Telegram.
        edited = await bot.edit_message_text(
            "Danke!", chat_id=chat["id"], message_id=sent.message_id
        )
        assert edited.reply_markup is None
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_text("Danke!", chat_id=chat["id"], message_id=sent.message_id)


@pytest.mark.asyncio
async def test_html_is_parsed_and_bad_html_rejected() -> None:
    async with running() as (server, bot):
        anna = server.user(1001, "Anna")
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities: can't find end tag"):
            await bot.send_message(anna["id"], "<b>fett", parse_mode="HTML")
        with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "div" at byte offset 5'):
            await bot.send_message(anna["id"], "Hä? <div>x</div>", parse_mode="HTML")
        message = await bot.send_message(
            anna["id"],
            '<b>fett</b> &amp; <a href="https://example.org">Link</a>',
            parse_mode="HTML",
        )
        assert message.text == "fett & Link"
        assert [(e.type, e.offset, e.length) for e in message.entities] == [
            ("bold", 0, 4),
            ("text_link", 7, 4),
        ]
        record = server.messages_to(anna["id"])[0]
        assert record.text.startswith("<b>fett</b>") and record.plain_text == "fett & Link"


@pytest.mark.asyncio
async def test_length_and_button_limits() -> None:
    async with running() as (server, bot):
        anna = server.user(1001, "Anna")
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await bot.send_message(anna["id"], "x" * 4097)
        with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
            await bot.send_message(anna["id"], "<b> </b>", parse_mode="HTML")
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await bot.send_message(anna["id"], "hi", reply_markup=one_button("ä" * 33))
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(4242, "hi")
        assert server.sent == []
        await bot.send_message(anna["id"], "x" * 4096)  # refused calls cost no rate budget


@pytest.mark.asyncio
async def test_private_chat_allows_one_message_per_second() -> None:
    async with running() as (server, bot):
        anna = server.user(1001, "Anna")
        await bot.send_message(anna["id"], "eins")
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(anna["id"], "zwei")
        assert retry_seconds(caught.value) == 1
        assert server.count_429 == 1
        assert [r.text for r in server.messages_to(anna["id"])] == ["eins"]


@pytest.mark.asyncio
async def test_group_window_shrunk_in_real_time() -> None:
    async with running(group_chat_limit=(3, 0.5)) as (server, bot):
        cafe = server.group(-2001, "Digitalcafé")
        for n in range(3):
            await bot.send_message(cafe["id"], f"Nachricht {n}")
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(cafe["id"], "zu viel")
        assert retry_seconds(caught.value) == 1  # whole seconds, never 0
        await asyncio.sleep(0.55)
        await bot.send_message(cafe["id"], "wieder frei")
        assert server.count_429 == 1 and len(server.messages_to(cafe["id"])) == 4


@pytest.mark.asyncio
async def test_telegram_default_limits_with_a_fake_clock() -> None:
    now = [1000.0]  # the server's clock; stepping it keeps the test exact and fast
    async with running(clock=lambda: now[0]) as (server, bot):
        cafe = server.group(-2001, "Digitalcafé")
        for n in range(20):
            await bot.send_message(cafe["id"], f"Nachricht {n}")
            now[0] += 0.5
        with pytest.raises(RetryAfter) as caught:  # 20 per minute per group
            await bot.send_message(cafe["id"], "zu viel")
        assert retry_seconds(caught.value) == 50  # the first send leaves the window at 1060
        now[0] = 1060.0
        await bot.send_message(cafe["id"], "wieder frei")

        now[0] = 2000.0  # 30 per second overall, across many chats
        for chat_id in range(-3001, -3031, -1):
            server.group(chat_id, "Kurs")
            await bot.send_message(chat_id, "Erinnerung")
        server.group(-4000, "Noch ein Kurs")
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(-4000, "eine zu viel")
        assert retry_seconds(caught.value) == 1
        assert server.count_429 == 2


@pytest.mark.asyncio
async def test_unlimited_when_not_strict() -> None:
    async with running(strict=False) as (server, bot):
        anna = server.user(1001, "Anna")
        for n in range(5):
            await bot.send_message(anna["id"], str(n))
        assert len(await server.wait_until_sent(5, timeout=1)) == 5


@pytest.mark.asyncio
async def test_injected_server_errors() -> None:
    async with running(strict=False) as (server, bot):
        anna = server.user(1001, "Anna")
        server.inject("sendMessage", "http500")
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(anna["id"], "a")
        server.inject("sendMessage", "http502", chat_id=anna["id"])
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(anna["id"], "b")
        server.inject("sendMessage", "403")
        with pytest.raises(Forbidden):
            await bot.send_message(anna["id"], "c")
        assert server.sent == []
        await bot.send_message(anna["id"], "d")
        assert [r.text for r in server.sent] == ["d"]


@pytest.mark.asyncio
async def test_timeouts_with_and_without_delivery() -> None:
    async with running(hang_seconds=3.0) as (server, bot):
        anna = server.user(1001, "Anna")
        server.inject("sendMessage", "timeout")
        with pytest.raises(TimedOut):
            await bot.send_message(anna["id"], "verloren", read_timeout=0.3)
        assert server.sent == []
        server.inject("sendMessage", "timeout_after_delivery")
        with pytest.raises(TimedOut):
            await bot.send_message(anna["id"], "doch angekommen", read_timeout=0.3)
        record = await server.wait_for(lambda r: r.text == "doch angekommen", timeout=1)
        assert record.chat_id == anna["id"] and record.message_id == 1


@pytest.mark.asyncio
async def test_blocked_and_never_started_users() -> None:
    async with running() as (server, bot):
        anna, bernd = server.user(1001, "Anna"), server.user(1002, "Bernd")
        server.block(anna)
        server.never_started(bernd["id"])
        with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
            await bot.send_message(anna["id"], "hallo")
        with pytest.raises(Forbidden, match=r"(?i)can't initiate conversation"):
            await bot.send_message(bernd["id"], "hallo")
        server.post_message(server.private_chat(bernd), bernd, "/start")
        await bot.send_message(bernd["id"], "willkommen")


@pytest.mark.asyncio
async def test_group_migration() -> None:
    async with running() as (server, bot):
        anna = server.user(1001, "Anna")
        group = server.group(-4001, "Café Nord")
        server.post_message(group, anna, "hallo")
        supergroup = server.migrate_to_supergroup(group, -1000000004001, by=anna)
        with pytest.raises(ChatMigrated) as caught:
            await bot.send_message(group["id"], "noch da?")
        assert caught.value.new_chat_id == supergroup["id"]
        updates = await bot.get_updates(timeout=0)
        assert [u.message.migrate_to_chat_id for u in updates if u.message] == [
            None,
            supergroup["id"],
            None,
        ]
        sent = await bot.send_message(supergroup["id"], "jetzt hier")
        assert sent.chat.type == "supergroup"


@pytest.mark.asyncio
async def test_send_document_multipart_and_download() -> None:
    async with running() as (server, bot):
        anna = server.user(1001, "Anna")
        message = await bot.send_document(
            anna["id"], document=b"%PDF-1.4 fake", filename="plan.pdf", caption="Kursplan"
        )
        assert message.document is not None and message.document.file_name == "plan.pdf"
        record = server.sent[0]
        assert (record.method, record.filename, record.file_size, record.caption) == (
            "sendDocument",
            "plan.pdf",
            13,
            "Kursplan",
        )
        file = await bot.get_file(message.document.file_id)
        assert await file.download_as_bytearray() == bytearray(b"%PDF-1.4 fake")


@pytest.mark.asyncio
async def test_commands_per_scope_and_language() -> None:
    async with running() as (_server, bot):
        await bot.set_my_commands([BotCommand("hilfe", "Hilfe anzeigen")], language_code="de")
        await bot.set_my_commands([BotCommand("help", "Show help")], language_code="en")
        await bot.set_my_commands(
            [BotCommand("kurse", "Kurse")], scope=BotCommandScopeAllGroupChats()
        )
        assert [c.command for c in await bot.get_my_commands(language_code="de")] == ["hilfe"]
        assert [c.command for c in await bot.get_my_commands(language_code="en")] == ["help"]
        assert await bot.get_my_commands() == ()
        groups = await bot.get_my_commands(scope=BotCommandScopeAllGroupChats())
        assert [c.command for c in groups] == ["kurse"]
        await bot.delete_my_commands(language_code="de")
        assert await bot.get_my_commands(language_code="de") == ()
        with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
            await bot.set_my_commands([BotCommand("Hilfe!", "x")])


@pytest.mark.asyncio
async def test_chat_lookups_photos_edits_and_deletion() -> None:
    async with running(strict=False) as (server, bot):
        anna, cafe = server.user(1001, "Anna", username="anna"), server.group(-2001, "Café")
        server.set_member_status(cafe, anna, "administrator")
        assert (await bot.get_chat(cafe["id"])).title == "Café"
        member = await bot.get_chat_member(cafe["id"], anna["id"])
        assert isinstance(member, telegram.ChatMemberAdministrator)
        assert (await bot.get_chat_member(cafe["id"], bot.id)).status == "left"

        first = server.post_message(cafe, anna, "Wer kommt @anna?")
        edited = server.edit_message(first, "Wer kommt morgen?")
        reply = server.post_message(cafe, anna, "ich", reply_to=first)
        updates = await bot.get_updates(timeout=0)
        assert [u.update_id for u in updates] == [
            first["update_id"],
            edited["update_id"],
            reply["update_id"],
        ]
        assert updates[1].edited_message is not None
        assert updates[1].edited_message.text == "Wer kommt morgen?"
        assert updates[2].message is not None and updates[2].message.reply_to_message
        assert updates[2].message.reply_to_message.message_id == first["message"]["message_id"]

        photo = await bot.send_photo(
            cafe["id"], photo=b"\x89PNG fake", caption="<i>Foto</i>", parse_mode="HTML"
        )
        assert photo.caption == "Foto" and photo.photo[-1].file_size == 9
        with pytest.raises(BadRequest, match=r"(?i)message can't be deleted"):
            await bot.delete_message(cafe["id"], first["message"]["message_id"])
        assert await bot.delete_message(cafe["id"], photo.message_id)
        assert server.message(cafe["id"], photo.message_id) is None
        assert [r.method for r in server.sent] == ["sendPhoto", "deleteMessage"]


@pytest.mark.asyncio
async def test_ptb_application_polls_and_answers() -> None:
    async def start(update: telegram.Update, _context: object) -> None:
        assert update.message is not None
        await update.message.reply_html("<b>Willkommen</b>", reply_markup=one_button("go"))

    async with running() as (server, _bot):
        builder = ApplicationBuilder().token(server.token).base_url(server.base_url)
        app = builder.base_file_url(server.base_file_url).build()
        app.add_handler(CommandHandler("start", start))
        async with app:
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(timeout=1, poll_interval=0)
            anna = server.user(1001, "Anna")
            server.post_message(server.private_chat(anna), anna, "/start")
            record = await server.wait_for(lambda r: r.plain_text == "Willkommen", timeout=5)
            assert record.chat_id == anna["id"] and record.callback_data == ["go"]
            await app.updater.stop()
            await app.stop()
        assert server.pending_updates() == 0


@pytest.mark.asyncio
async def test_webhook_delivery_with_secret_and_retry() -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    failures = [True]  # the receiver fails once to prove Telegram-style redelivery

    async def receive(request: web.Request) -> web.Response:
        if failures:
            failures.pop()
            return web.Response(status=500)
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    try:
        async with running(webhook_retry_delay=0.02) as (server, bot):
            anna = server.user(1001, "Anna")
            chat = server.private_chat(anna)
            server.post_message(chat, anna, "vorher")
            assert await bot.set_webhook(url, secret_token="geheim-123")
            with pytest.raises(Conflict, match=r"(?i)webhook is active"):
                await bot.get_updates(timeout=0)
            server.post_message(chat, anna, "nachher")
            for _ in range(200):
                if len(received) == 2:
                    break
                await asyncio.sleep(0.01)
            assert [(s, u["message"]["text"]) for s, u in received] == [
                ("geheim-123", "vorher"),
                ("geheim-123", "nachher"),
            ]
            info = await bot.get_webhook_info()
            assert info.url == url and info.pending_update_count == 0
            assert info.last_error_message is not None  # the one 500 is remembered
            assert await bot.delete_webhook()
            assert await bot.get_updates(timeout=0) == ()
    finally:
        await runner.cleanup()
