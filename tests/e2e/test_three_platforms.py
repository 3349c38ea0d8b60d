"""One script, three platforms: the same conversation through the console, Telegram (test
server) and Matrix (Synapse) must give the same neutral transcript."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path
from typing import Protocol

import pytest
from nio import RoomMessageNotice

from bot.adapters.console import ConsoleAdapter
from bot.bootstrap import build_app, prepare
from bot.chat.types import ChatRef, Incoming, Sender
from tests.conftest import make_settings
from tests.e2e.matrix_bot import RunningMatrixBot, bot_account
from tests.e2e.telegram_bot import RunningBot, fast_server
from tests.fakes.matrix_peer import Peer, logged_in
from tests.scenarios.sign_up_script import split_choices
from tests.servers.synapse import SynapseServer, synapse_fixture  # noqa: F401 - fixture

Turn = tuple[str, tuple[str, ...]]
SCRIPT: list[tuple[str, str]] = [
    ("say", "/start"),
    ("say", "/sprache"),
    ("choose", "English"),
    ("say", "/hilfe"),
    ("say", "Was kann ich hier machen?"),
    ("say", "/language"),
    ("choose", "Deutsch"),
    ("say", "/ich"),
    ("say", "/gibtsnicht"),
]


def neutral(text: str, labels: tuple[str, ...] = ()) -> Turn:
    """Numbered choices become labels; "!befehl" becomes "/befehl"."""
    body, numbered = split_choices(text)
    body = re.sub(r"(^|\s)!(\w)", r"\1/\2", body)
    return body, labels or numbered


class Driver(Protocol):
    async def say(self, text: str) -> Turn: ...
    async def choose(self, label: str) -> Turn: ...


class ConsoleDriver:
    def __init__(self, app, adapter: ConsoleAdapter, out: io.StringIO) -> None:  # type: ignore[no-untyped-def]
        self.app, self.adapter, self.out = app, adapter, out
        self.turns = 0

    async def say(self, text: str) -> Turn:
        mark = self.out.tell()
        await self.app.dispatch(
            Incoming(chat=self.adapter.chat, sender=self.adapter.sender, text=text)
        )
        await self.app.sender.drain()
        self.out.seek(mark)
        written = self.out.read()
        return neutral(written.rstrip("\n"))

    async def choose(self, label: str) -> Turn:
        return await self.say(str(["Deutsch", "English"].index(label) + 1))


class TelegramDriver:
    def __init__(self, server, user) -> None:  # type: ignore[no-untyped-def]
        self.server, self.user = server, user
        self.chat = server.private_chat(user)
        self.last = None

    async def _next(self, action) -> Turn:  # type: ignore[no-untyped-def]
        mark = len(self.server.sent)
        action()
        record = await self.server.wait_for(
            lambda r: r.chat_id == self.user["id"] and r.method == "sendMessage",
            start=mark,
            timeout=15,
        )
        self.last = record
        rows = (record.reply_markup or {}).get("inline_keyboard", [])
        return neutral(record.plain_text, tuple(row[0]["text"] for row in rows))

    async def say(self, text: str) -> Turn:
        return await self._next(lambda: self.server.post_message(self.chat, self.user, text))

    async def choose(self, label: str) -> Turn:
        rows = self.last.reply_markup["inline_keyboard"]
        data = next(row[0]["callback_data"] for row in rows if row[0]["text"] == label)
        return await self._next(
            lambda: self.server.press_button(self.chat, self.user, self.last.message_id, data)
        )


class MatrixDriver:
    def __init__(self, peer: Peer, room_id: str) -> None:
        self.peer, self.room_id = peer, room_id

    async def say(self, text: str) -> Turn:
        seen = len(self.peer.events)
        if text.startswith("/"):
            text = "!" + text[1:]  # Element keeps "/" for itself
        await self.peer.client.room_send(
            self.room_id,
            "m.room.message",
            {"msgtype": "m.text", "body": text},
            ignore_unverified_devices=True,
        )
        await self.peer.wait_until(
            lambda: any(isinstance(e, RoomMessageNotice) for _, e in self.peer.events[seen:])
        )
        event = next(e for _, e in self.peer.events[seen:] if isinstance(e, RoomMessageNotice))
        return neutral(event.body)

    async def choose(self, label: str) -> Turn:
        return await self.say(str(["Deutsch", "English"].index(label) + 1))


async def run_script(driver: Driver) -> list[Turn]:
    transcript = []
    for action, value in SCRIPT:
        transcript.append(await (driver.say(value) if action == "say" else driver.choose(value)))
    return transcript


async def console_transcript(url: str, tmp_path: Path) -> list[Turn]:
    out = io.StringIO()
    adapter = ConsoleAdapter(user_name="Anna", stdin=io.StringIO(""), stdout=out)
    adapter.chat = ChatRef("console", "anna", "direct")
    adapter.sender = Sender("anna", "Anna", None)
    app = build_app(
        make_settings(url, tmp_path / "console", demo={"enabled": False}), adapters=[adapter]
    )
    await prepare(app)
    try:
        return await run_script(ConsoleDriver(app, adapter, out))
    finally:
        await app.close()


@pytest.fixture
async def reference(tmp_path: Path) -> list[Turn]:
    from bot.infra import migrate

    url = f"sqlite+aiosqlite:///{tmp_path / 'reference.db'}"
    await asyncio.to_thread(migrate.upgrade, url)
    return await console_transcript(url, tmp_path)


async def test_console_transcript_reads_right(reference: list[Turn]) -> None:
    assert reference[0][0].startswith("Hallo Anna!\nIch bin der Lotsenbot.")
    assert reference[1] == ("Welche Sprache möchten Sie?", ("Deutsch", "English", "Українська"))
    assert reference[2] == ("Thank you. I will write to you in English from now on.", ())
    assert "/language – Choose your language" in reference[3][0]
    assert reference[6][0] == "Danke. Ich schreibe Ihnen ab jetzt auf Deutsch."
    assert reference[8][0].startswith("Diesen Befehl kenne ich nicht.")


async def test_telegram_gives_the_same_transcript(reference, sqlite_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with fast_server() as server:
        running = RunningBot(server, sqlite_url, tmp_path, demo={"enabled": False})
        await running.start()
        try:
            user = server.user(4242, "Anna", language_code=None)
            transcript = await run_script(TelegramDriver(server, user))
        finally:
            await running.stop()
    assert transcript == reference


async def test_matrix_gives_the_same_transcript(
    reference, synapse: SynapseServer, sqlite_url, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    account = await bot_account(synapse)
    running = RunningMatrixBot(synapse, account, sqlite_url, tmp_path, demo={"enabled": False})
    await running.start()
    try:
        user = await synapse.new_user_async("anna")
        async with logged_in(synapse, user, tmp_path / "anna") as peer:
            await peer.client.set_displayname("Anna")
            created = await peer.client.room_create(invite=[account.user_id], is_direct=True)
            room_id = created.room_id  # type: ignore[union-attr]
            # The bot greets when it joins; that greeting is the answer to "/start" elsewhere.
            await peer.wait_until(
                lambda: any(isinstance(e, RoomMessageNotice) for _, e in peer.events)
            )
            driver = MatrixDriver(peer, room_id)
            greeting = next(e for _, e in peer.events if isinstance(e, RoomMessageNotice))
            transcript = [neutral(greeting.body)] + [
                await (driver.say(v) if a == "say" else driver.choose(v)) for a, v in SCRIPT[1:]
            ]
    finally:
        await running.stop()
    assert transcript == reference
