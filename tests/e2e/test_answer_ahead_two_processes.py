"""An answer to someone who just wrote goes ahead of a backlog, whichever of two bot
processes sends to their chat (issue #22, a region's busiest hour).

Each process sends to its share of the chats. The process that handled a message used to
put the answer ahead of the queue only for its own chats; an answer for the other's chat
waited there behind every message already due (in the busiest hour: behind 20,000
reminders, a quarter of an hour). Here a backlog of messages is due when ten people write;
every answer must be sent before half of the backlog.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.infra import migrate
from tests.fakes.telegram_server import FakeTelegramServer
from tests.scenarios.cluster_campaign import MARKER, free_port, seed_outbox, write_config
from tests.scenarios.reminder_setup import BotRun, start_two_telegram_bots, until_alive

BACKLOG = 300
FIRST_RECIPIENT = 8_200_000
FIRST_WRITER = 8_300_000
WRITERS = 10
# Half of Telegram's 30/s: half the backlog is then 10 s of sending, so an answer that a
# loaded machine handles in a few seconds still comes well before it (before the fix the
# answers came after 250-300 of the 300 whatever the rate).
RATE = 15


async def test_answers_go_ahead_of_the_backlog_on_both_processes(
    postgres_url: str, tmp_path: Path
) -> None:
    await asyncio.to_thread(migrate.upgrade, postgres_url)
    server = FakeTelegramServer(strict=True, overall_limit=(RATE, 1.0))
    await server.start()
    first_port, second_port = free_port(), free_port()
    # Telegram posts to the first process only; the second sends to its share of chats.
    config_a = write_config(
        tmp_path / "a.toml", tmp_path, postgres_url, server, first_port, "", rate=RATE
    )
    config_b = tmp_path / "b.toml"
    config_b.write_text(
        config_a.read_text().replace(
            f"webhook_port = {first_port}", f"webhook_port = {second_port}"
        )
    )
    processes = [BotRun("bot-a", config_a, tmp_path), BotRun("bot-b", config_b, tmp_path)]
    try:
        await start_two_telegram_bots(processes)
        recipients = [FIRST_RECIPIENT + n for n in range(BACKLOG)]
        for chat in recipients:
            server.private_chat(server.user(chat, "Empfänger"))
        writers = [server.user(FIRST_WRITER + n, f"Person {n}") for n in range(WRITERS)]
        for user in writers:
            server.private_chat(user)
        mark = len(server.sent)
        await seed_outbox(postgres_url, [("telegram", str(chat), 1) for chat in recipients])
        await until_alive(lambda: len(server.sent) > mark, 30, processes)  # the backlog is going
        for user in writers:
            server.post_message(user["id"], user, "/start")
        ids = {user["id"] for user in writers}

        def answered() -> set[int]:
            return {r.chat_id for r in server.sent[mark:] if r.chat_id in ids}

        def backlog_sent() -> int:
            return sum(1 for r in server.sent[mark:] if MARKER in (r.text or ""))

        assert await until_alive(
            lambda: answered() == ids and backlog_sent() >= BACKLOG, 120, processes
        )
        sent = server.sent[mark:]
        before: dict[int, int] = {}
        backlog = 0
        for record in sent:
            if MARKER in (record.text or ""):
                backlog += 1
            elif record.chat_id in ids:
                before.setdefault(record.chat_id, backlog)
        assert max(before.values()) <= BACKLOG // 2, sorted(before.values())
    finally:
        for process in processes:
            await process.stop()
        await server.stop()
