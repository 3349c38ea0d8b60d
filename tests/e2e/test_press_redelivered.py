"""A button press redelivered to the other bot process is answered once (issue #22).

Telegram gives up on a webhook POST that takes too long and delivers the update again; with
two processes behind one port (SO_REUSEPORT) the second delivery may reach the other
process. Here the first process is slowed down (a table it needs is locked) until its
deadline has already answered the press; then the same update is posted to the second
process while the first still holds it. The second waits for the first's outcome, finds
the press handled, and must not answer it again: Telegram refuses a second answer, and the
person should see the first process's answer only.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
from sqlalchemy import func, select, text

from bot.domain.models import ProcessedEvent
from bot.infra import migrate
from bot.infra.db import create_engine
from tests.fakes.telegram_server import FakeTelegramServer
from tests.scenarios.cluster_campaign import WEBHOOK_SECRET, free_port, write_config
from tests.scenarios.reminder_setup import BotRun, start_two_telegram_bots, until_alive

USER = 8_100_001


async def test_press_redelivered_to_other_process_is_answered_once(
    postgres_url: str, tmp_path: Path
) -> None:
    await asyncio.to_thread(migrate.upgrade, postgres_url)
    server = FakeTelegramServer(strict=True)
    await server.start()
    first_port, second_port = free_port(), free_port()
    # Both register the first process's address: Telegram posts there; the test plays the
    # redelivery that SO_REUSEPORT may hand to the second process.
    config_a = write_config(tmp_path / "a.toml", tmp_path, postgres_url, server, first_port, "")
    config_b = tmp_path / "b.toml"
    config_b.write_text(
        config_a.read_text().replace(
            f"webhook_port = {first_port}", f"webhook_port = {second_port}"
        )
    )
    processes = [BotRun("bot-a", config_a, tmp_path), BotRun("bot-b", config_b, tmp_path)]
    engine = create_engine(postgres_url)
    try:
        await start_two_telegram_bots(processes)
        user = server.user(USER, "Erika")
        chat = server.private_chat(user)
        mark = len(server.sent)
        server.post_message(chat, user, "/start")
        reply = await server.wait_for(lambda r: r.chat_id == USER, 30, start=mark)

        async with engine.connect() as lock:
            # The first delivery stalls after recording the update, while reading the writer.
            await lock.execute(text("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE"))
            query = server.press_button(chat, user, reply.message_id, "old-button", forged=True)
            update = next(
                u for u in server._updates if u.get("callback_query", {}).get("id") == query
            )
            # The first process answers at its deadline (the person's spinner stops).
            assert await until_alive(lambda: query in server.answered_callbacks, 15, processes)
            async with aiohttp.ClientSession() as http:
                second = asyncio.create_task(
                    http.post(
                        f"http://127.0.0.1:{second_port}/telegram",
                        data=json.dumps(update),
                        headers={
                            "Content-Type": "application/json",
                            "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
                        },
                    )
                )
                await asyncio.sleep(1.0)
                assert not second.done()  # waiting for the first delivery's outcome
                await lock.rollback()  # the first delivery goes on and commits
                response = await asyncio.wait_for(second, 30)
                assert response.status == 200
                response.release()
        assert await until_alive(lambda: not server._updates, 15, processes)
        await asyncio.sleep(1.0)  # a late second answer would show up here

        assert server.requests["answerCallbackQuery"] == 1
        async with engine.connect() as conn:
            recorded = await conn.scalar(
                select(func.count())
                .select_from(ProcessedEvent)
                .where(ProcessedEvent.event_id == str(update["update_id"]))
            )
        assert recorded == 1
        assert "was handled before" in processes[1].tail(100_000)
    finally:
        await engine.dispose()
        for process in processes:
            await process.stop()
        await server.stop()
