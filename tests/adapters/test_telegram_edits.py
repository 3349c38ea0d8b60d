"""The fake Bot API server edits messages the way Telegram does, rate limits included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, RetryAfter

from tests.fakes.telegram_server import FakeTelegramServer


@asynccontextmanager
async def running(**kwargs: Any) -> AsyncIterator[tuple[FakeTelegramServer, telegram.Bot]]:
    async with FakeTelegramServer(**kwargs) as server:
        bot = telegram.Bot(
            server.token, base_url=server.base_url, base_file_url=server.base_file_url
        )
        await bot.initialize()
        try:
            yield server, bot
        finally:
            await bot.shutdown()


def keyboard(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Ich komme", callback_data=data)]])


async def test_edits_count_toward_the_group_window_but_refusals_do_not() -> None:
    now = [1000.0]
    async with running(clock=lambda: now[0], group_chat_limit=(3, 60.0)) as (server, bot):
        cafe = server.group(-2001, "Digitalcafé")
        sent = await bot.send_message(cafe["id"], "20 frei", reply_markup=keyboard("a"))
        await bot.edit_message_text(
            "19 frei", chat_id=cafe["id"], message_id=sent.message_id, reply_markup=keyboard("b")
        )
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_text(
                "19 frei",
                chat_id=cafe["id"],
                message_id=sent.message_id,
                reply_markup=keyboard("b"),
            )
        await bot.edit_message_text(
            "18 frei", chat_id=cafe["id"], message_id=sent.message_id, reply_markup=keyboard("c")
        )
        # Send, edit, edit: the group's window is full, an edit is refused like a send.
        with pytest.raises(RetryAfter):
            await bot.edit_message_text("17 frei", chat_id=cafe["id"], message_id=sent.message_id)
        assert server.count_429 == 1
        assert [r.plain_text for r in server.edits_of(cafe["id"], sent.message_id)] == [
            "19 frei",
            "18 frei",
        ]
        assert len(server.messages_to(cafe["id"])) == 1
        shown = server.message(cafe["id"], sent.message_id)
        assert shown is not None and shown["text"] == "18 frei"
        assert shown["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "c"


# A raw request is the only way to leave message_id out; PTB warns about using one.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning")
async def test_edit_refusals_use_telegrams_words() -> None:
    async with running() as (server, bot):
        anna = server.user(1001, "Anna")
        server.private_chat(anna)
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await bot.edit_message_text("x", chat_id=1001, message_id=99)
        with pytest.raises(BadRequest, match=r"(?i)message identifier is not specified"):
            await bot.do_api_request("editMessageText", {"chat_id": 1001, "text": "x"})
        mine = server.post_message(1001, anna, "Hallo")
        with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
            await bot.edit_message_text("x", chat_id=1001, message_id=mine["message"]["message_id"])
        sent = await bot.send_message(1001, "Hallo")
        with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
            await bot.edit_message_text(" ", chat_id=1001, message_id=sent.message_id)
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await bot.edit_message_text("x" * 4097, chat_id=1001, message_id=sent.message_id)
