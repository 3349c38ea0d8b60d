"""One driver per platform for the conversation scripts (``sign_up_script.py``).

A driver plays staff and a member on its platform and turns what the bot sent into neutral
``Reply`` objects. Everything that differs between platforms lives here, nothing of it in a
script:

* pressing a button: Telegram taps it (a callback query under the message); the console and
  Matrix type its number, read from the "1 – Ich komme" lines under the message (or the
  word, where the question itself asks for a number and lists its choices as words,
  "– Fortlaufend");
* commands: Matrix writes "!termin_neu" (Element keeps "/" for itself);
* files: Telegram sends the text as the caption of the document, Matrix sends a file event
  after the text, the console prints "[name]" under the text;
* chats: the console prints the group behind 👥 and a resident's private chat behind
  "👤 Name:", the terminal's own chat unmarked; Telegram and Matrix have chat and room ids.
"""

from __future__ import annotations

import time
from typing import Any

from nio import RoomMessageFile, RoomMessageNotice

from tests.fakes.matrix_peer import Peer
from tests.fakes.telegram_server import SEND_METHODS, FakeTelegramServer, SentRecord
from tests.fakes.terminal import Terminal
from tests.scenarios.sign_up_script import (
    GROUP,
    MEMBER,
    PRIVATE,
    STAFF,
    Expect,
    Reply,
    Where,
    Who,
    matches,
    split_choices,
    typed_choice,
)

WAIT = 30.0  # seconds; generous for a loaded 2-core CI machine

_GROUP_MARK, _PERSON_MARK, _EDITED_MARK = "👥 ", "👤 ", "✎ "


def _unmet(expect: Expect, seen: list[Reply]) -> AssertionError:
    shown = "\n---\n".join(f"[{r.where}] {r.text} {r.labels} {r.file}" for r in seen)
    return AssertionError(f"no answer meeting {expect}; the bot sent:\n{shown}")


class ConsoleDriver:
    """The console adapter through its terminal: staff are the person at the terminal, the
    member is spoken for ("@Anna: …" in the group, "@Anna> …" privately)."""

    def __init__(self, terminal: Terminal, member: str = "Anna") -> None:
        self.terminal = terminal
        self.member = member

    def _line(self, who: Who, where: Where, text: str) -> str:
        if who == STAFF:
            assert where == PRIVATE, "the terminal writes in its own chat only"
            return text
        return f"@{self.member}{':' if where == GROUP else '>'} {text}"

    def _reply(self, who: Who, message: str) -> Reply | None:
        """A printed message as ``who`` reads it (None: somebody else's private chat)."""
        text = message.rstrip("\n").removeprefix(_EDITED_MARK)
        if text.startswith(_GROUP_MARK):
            where: Where = GROUP
            text = text.removeprefix(_GROUP_MARK)
        elif text.startswith(_PERSON_MARK):
            name, _, text = text.removeprefix(_PERSON_MARK).partition(": ")
            if who == STAFF or name != self.member:
                return None
            where = PRIVATE
        elif who == STAFF:
            where = PRIVATE
        else:
            return None
        body, _, last = text.rpartition("\n")
        file = ""
        if body and last.startswith("[") and last.endswith("]"):
            text, file = body, last[1:-1]
        text, labels = split_choices(text)
        return Reply(where, text, labels, file, raw=message)

    def _replies(self, who: Who, start: int = 0) -> list[Reply]:
        found = (self._reply(who, message) for message in self.terminal.writes[start:])
        return [reply for reply in found if reply is not None]

    async def say(self, who: Who, where: Where, text: str, expect: Expect) -> Reply:
        mark = len(self.terminal.writes)
        # The console answers before it reads the next line: everything is printed now.
        await self.terminal.type(self._line(who, where, text))
        seen = self._replies(who, mark)
        for reply in seen:
            if matches(reply, expect):
                return reply
        raise _unmet(expect, seen)

    async def press(self, who: Who, where: Where, label: str, expect: Expect) -> Reply:
        for reply in reversed(self._replies(who)):
            typed = typed_choice(reply.raw, label)
            if reply.where == where and typed is not None:
                return await self.say(who, where, typed, expect)
        raise AssertionError(f"no message offers {label!r} in the {where} chat of {who}")


class TelegramDriver:
    """The fake Bot API server: PTB unmodified on the bot's side, people played here."""

    def __init__(
        self, server: FakeTelegramServer, staff: dict[str, Any], member: dict[str, Any], group: int
    ) -> None:
        self.server = server
        self.users = {STAFF: staff, MEMBER: member}
        self.group = group

    def _chat_id(self, who: Who, where: Where) -> int:
        return self.group if where == GROUP else int(self.users[who]["id"])

    @staticmethod
    def _reply(record: SentRecord, where: Where) -> Reply:
        rows = (record.reply_markup or {}).get("inline_keyboard", [])
        labels = tuple(button["text"] for row in rows for button in row)
        text = record.plain_text if record.plain_text is not None else record.text or ""
        return Reply(where, text, labels, record.filename or "", raw=record)

    async def _answer(self, who: Who, expect: Expect, mark: int) -> Reply:
        chat_id = self._chat_id(who, expect.where)

        def met(record: SentRecord) -> bool:
            sent = record.method in SEND_METHODS and record.chat_id == chat_id
            return sent and matches(self._reply(record, expect.where), expect)

        try:
            record = await self.server.wait_for(met, WAIT, start=mark)
        except TimeoutError as missing:
            seen = [
                self._reply(r, expect.where)
                for r in self.server.sent[mark:]
                if r.chat_id == chat_id
            ]
            raise _unmet(expect, seen) from missing
        return self._reply(record, expect.where)

    async def say(self, who: Who, where: Where, text: str, expect: Expect) -> Reply:
        mark = len(self.server.sent)
        chat = self.group if where == GROUP else self.server.private_chat(self.users[who])
        self.server.post_message(chat, self.users[who], text)
        return await self._answer(who, expect, mark)

    async def press(self, who: Who, where: Where, label: str, expect: Expect) -> Reply:
        chat_id = self._chat_id(who, where)
        for record in reversed(self.server.messages_to(chat_id)):
            rows = (record.reply_markup or {}).get("inline_keyboard", [])
            data = [b["callback_data"] for row in rows for b in row if b["text"] == label]
            if data:
                mark = len(self.server.sent)
                self.server.press_button(chat_id, self.users[who], record.message_id, data[0])  # type: ignore[arg-type]
                return await self._answer(who, expect, mark)
        raise AssertionError(f"no message offers {label!r} in the {where} chat of {who}")


def _is_edit(event: Any) -> bool:
    relates = event.source.get("content", {}).get("m.relates_to", {})
    return relates.get("rel_type") == "m.replace"


class MatrixDriver:
    """Real Synapse: staff and the member are nio clients, each with a direct room with the
    bot, both in the community's group room."""

    def __init__(self, staff: Peer, member: Peer, group: str, private: dict[str, str]) -> None:
        self.peers = {STAFF: staff, MEMBER: member}
        self.group = group
        self.private = private  # who → their direct room with the bot

    def _room(self, who: Who, where: Where) -> str:
        return self.group if where == GROUP else self.private[who]

    def _replies(self, who: Who, where: Where, start: int = 0) -> list[Reply]:
        """The bot's notices in that room since ``start``, each with the file sent after it."""
        room, events = self._room(who, where), self.peers[who].events
        replies: list[Reply] = []
        for room_id, event in events[start:]:
            if room_id != room:
                continue
            if isinstance(event, RoomMessageNotice) and not _is_edit(event):
                text, labels = split_choices(event.body)
                replies.append(Reply(where, text, labels, raw=event))
            elif isinstance(event, RoomMessageFile) and replies and not replies[-1].file:
                replies[-1].file = event.body
        return replies

    async def say(self, who: Who, where: Where, text: str, expect: Expect) -> Reply:
        peer = self.peers[who]
        mark = len(peer.events)
        if text.startswith("/"):
            text = "!" + text[1:]  # Element keeps "/" for itself
        await peer.client.room_send(
            self._room(who, where),
            "m.room.message",
            {"msgtype": "m.text", "body": text},
            ignore_unverified_devices=True,
        )
        deadline = time.monotonic() + WAIT
        while True:
            seen = self._replies(who, expect.where, mark)
            for reply in seen:
                if matches(reply, expect):
                    return reply
            if time.monotonic() > deadline:
                raise _unmet(expect, seen)
            await peer.sync_once()

    async def press(self, who: Who, where: Where, label: str, expect: Expect) -> Reply:
        # Another person's action may have made the message (the post under which the member
        # presses): sync until it is there.
        deadline = time.monotonic() + WAIT
        while True:
            for reply in reversed(self._replies(who, where)):
                typed = typed_choice(reply.raw.body, label)
                if typed is not None:
                    return await self.say(who, where, typed, expect)
            if time.monotonic() > deadline:
                raise AssertionError(f"no message offers {label!r} in the {where} chat of {who}")
            await self.peers[who].sync_once()
