"""A person's conversation with the real bot on the fake Bot API server, step by step: what
they write or tap, and the bot's answer as they read it. Shared by the first-hour stories."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.e2e.telegram_bot import settled
from tests.fakes.telegram_server import SEND_METHODS, FakeTelegramServer, SentRecord

WAIT = 20
__all__ = ["Story", "download", "labels", "seen", "settled"]


def labels(record: SentRecord | dict[str, Any]) -> list[str]:
    """The button labels under a message, row by row, as the person sees them."""
    markup = record.reply_markup if isinstance(record, SentRecord) else record.get("reply_markup")
    return [b["text"] for row in (markup or {}).get("inline_keyboard", []) for b in row]


def seen(record: SentRecord) -> str:
    """The text as the person reads it (HTML parsed)."""
    return record.plain_text if record.plain_text is not None else record.text or ""


class Story:
    """People writing and tapping in one group and their private chats."""

    def __init__(self, server: FakeTelegramServer, group_id: int, title: str) -> None:
        self.server = server
        self.group_id = group_id
        self.group = server.group(group_id, title)

    def _chat(self, user: dict[str, Any], in_group: bool) -> dict[str, Any]:
        return self.group if in_group else self.server.private_chat(user)

    async def answer(self, chat_id: int, mark: int, contains: str = "") -> SentRecord:
        """The bot's first message to ``chat_id`` from ``mark`` on that contains ``contains``."""

        def met(record: SentRecord) -> bool:
            mine = record.method in SEND_METHODS and record.chat_id == chat_id
            return mine and contains in seen(record)

        return await self.server.wait_for(met, WAIT, start=mark)

    async def say(
        self, user: dict[str, Any], text: str, *, in_group: bool = False, contains: str = ""
    ) -> SentRecord:
        """``user`` writes ``text``; returns the bot's answer in that chat."""
        mark = len(self.server.sent)
        chat = self._chat(user, in_group)
        self.server.post_message(chat, user, text)
        return await self.answer(chat["id"], mark, contains)

    async def press(
        self,
        user: dict[str, Any],
        message: SentRecord,
        label: str,
        *,
        contains: str = "",
        edited: bool = False,
    ) -> SentRecord:
        """``user`` taps the button ``label`` under ``message``; returns the next answer in
        that chat (a new message), or with ``edited`` the message as the tap changed it."""
        data = [
            b["callback_data"]
            for row in (message.reply_markup or {}).get("inline_keyboard", [])
            for b in row
            if b["text"] == label
        ]
        assert data, f"no button {label!r} under {seen(message)!r}: {labels(message)}"
        mark = len(self.server.sent)
        self.server.press_button(message.chat_id, user, message.message_id, data[0])  # type: ignore[arg-type]
        if edited:
            return await self.server.wait_for(
                lambda r: (r.method, r.message_id) == ("editMessageText", message.message_id),
                WAIT,
                start=mark,
            )
        return await self.answer(message.chat_id, mark, contains)


async def download(server: FakeTelegramServer, record: SentRecord) -> tuple[str, bytes]:
    """A document the bot sent, fetched the way a Telegram app gets it (Bot API file URL):
    its file name and bytes."""
    message = server.message(record.chat_id, record.message_id)  # type: ignore[arg-type]
    assert message is not None and "document" in message, seen(record)
    document = message["document"]
    url = f"{server.base_file_url}{server.token}/documents/{document['file_id']}"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        return document["file_name"], await response.read()
