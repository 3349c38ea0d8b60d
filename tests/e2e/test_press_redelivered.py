"""A button press redelivered to the other bot process is answered once (issue #22).

Telegram gives up on a webhook POST that takes too long and delivers the update again; with
two processes behind one port (SO_REUSEPORT) the second delivery may reach the other
process. Here the first process is slowed down (a table it needs is locked) until its
deadline has already answered the press; then the same update is posted to the second
process while the first still holds it. The second waits for the first's outcome, finds
the press handled, and adds no notice of its own: it answers without text at its deadline
(in case the first delivery died before answering), Telegram refuses that second answer,
and the person sees the first process's answer only.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from sqlalchemy import func, select, text

from bot.chat.types import ChatRef, Sender
from bot.community import communities
from bot.dates.texts import COMING
from bot.domain import people
from bot.domain.models import ButtonToken, Event, ProcessedEvent, Rsvp
from bot.infra import migrate
from bot.infra.db import create_engine, session_factory
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
        # The repeat's answer without text, at its deadline: refused, the first one stands.
        assert await until_alive(lambda: server.requests["answerCallbackQuery"] == 2, 15, processes)
        await asyncio.sleep(0.5)  # a third answer would show up here
        assert server.requests["answerCallbackQuery"] == 2
        assert server.answered_callbacks == {query: None}
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


# --- one process, killed or restarted between the deliveries (SQLite) -------------------

MEMBER = 8_100_002
GROUP = -8_100_003
TOKEN = "come-8100002"


async def _seed_sign_up(url: str) -> int:
    """A community with its group and a date in two days, the member's account and private
    chat, and an "Ich komme" button for that date in the group; returns the date's id."""
    now = datetime.now(UTC)
    engine = create_engine(url)
    try:
        async with session_factory(engine).begin() as session:
            community = await communities.create_community(session, "Pressprobe", now=now)
            event = Event(
                community_id=community.id,
                title="Digitalcafé",
                starts_at=now + timedelta(days=2),
                place="Stadtbibliothek",
                capacity=None,
                created_at=now,
            )
            session.add(event)
            sender = Sender(str(MEMBER), "Erika", None)
            account = await people.get_or_create_account(session, "telegram", sender, now)
            chat = await people.get_or_create_chat(
                session, ChatRef("telegram", str(MEMBER), "direct"), now
            )
            await session.flush()
            chat.person_id = account.person_id
            await communities.add_member(session, account.person_id, community.id, now)
            group = await people.get_or_create_chat(
                session, ChatRef("telegram", str(GROUP), "group"), now
            )
            group.community_id = community.id
            await session.flush()
            session.add(
                ButtonToken(
                    key=TOKEN,
                    chat_id=group.id,
                    action=COMING,
                    args={"event": event.id},
                    label="Ich komme",
                    aliases=[],
                    created_at=now,
                    expires_at=now + timedelta(days=7),
                )
            )
        return int(event.id)
    finally:
        await engine.dispose()


async def _stored(url: str, event_id: int, update_id: int) -> tuple[int, int]:
    """The member's places for the date, and the records of the update."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            places = await conn.scalar(
                select(func.count()).select_from(Rsvp).where(Rsvp.event_id == event_id)
            )
            records = await conn.scalar(
                select(func.count())
                .select_from(ProcessedEvent)
                .where(ProcessedEvent.event_id == str(update_id))
            )
        return int(places or 0), int(records or 0)
    finally:
        await engine.dispose()


async def _started(bot: BotRun, times: int) -> None:
    assert await until_alive(
        lambda: bot.tail(1_000_000).count("telegram adapter started") >= times, 120, [bot]
    ), bot.tail()


async def _press_come(
    server: FakeTelegramServer,
    sqlite_url: str,
    tmp_path: Path,
    before_press: Callable[[], Awaitable[None]] | None = None,
) -> tuple[BotRun, str, int]:
    """Start the bot; the member presses "Ich komme" in the group. Returns the bot, the
    query id and the update's id."""
    await _seed_sign_up(sqlite_url)
    config = write_config(tmp_path / "bot.toml", tmp_path, sqlite_url, server, free_port(), "")
    bot = BotRun("bot", config, tmp_path)
    bot.spawn()
    await _started(bot, 1)
    user = server.user(MEMBER, "Erika")
    group = server.group(GROUP, "Digitalcafé")
    server.set_member_status(group, user, "member")
    server.private_chat(user)
    # A message in the group stands in for the announcement (not delivered: only its button
    # matters); pressed in the group, the button gets a notice.
    message = server.post_message(group, user, "Hallo")["message"]
    server._updates.clear()
    if before_press is not None:
        await before_press()
    query = server.press_button(group, user, message["message_id"], TOKEN, forged=True)
    update_id = next(
        u["update_id"] for u in server._updates if u.get("callback_query", {}).get("id") == query
    )
    return bot, query, update_id


async def test_press_killed_after_its_commit_is_answered_by_its_redelivery(
    sqlite_url: str, tmp_path: Path
) -> None:
    """The first delivery stores the sign-up and dies before Telegram got its answer: the
    redelivery finds the press handled and still stops the spinner (without a notice)."""
    server = FakeTelegramServer(strict=True)
    await server.start()
    bot: BotRun | None = None
    try:
        server.hold_answers()
        bot, query, update_id = await _press_come(server, sqlite_url, tmp_path)
        event_id = 1
        # Committed (the place is stored), and the answer is on its way: kill the bot now.
        assert await until_alive(lambda: query in server.held_answers, 30, [bot]), bot.tail()
        assert (await _stored(sqlite_url, event_id, update_id)) == (1, 1)
        bot.kill()
        assert await until_alive(lambda: server.answers_waiting == 0, 30, [])
        server.hold_answers(False)
        await asyncio.sleep(0.5)  # a held answer that survived the kill would land here
        assert query not in server.answered_callbacks  # the spinner is still turning

        bot.spawn()
        await _started(bot, 2)
        server.redeliver(update_id)  # Telegram's POST timed out: it delivers the press again
        assert await until_alive(lambda: query in server.answered_callbacks, 30, [bot]), bot.tail()
        assert server.answered_callbacks[query] is None  # no second, different notice
        assert (await _stored(sqlite_url, event_id, update_id)) == (1, 1)
        assert "was handled before" in bot.tail(1_000_000)
    finally:
        if bot is not None:
            await bot.stop()
        await server.stop()
    assert server.internal_errors == []


async def test_press_answered_then_redelivered_shows_one_notice(
    sqlite_url: str, tmp_path: Path
) -> None:
    """The common case: the first delivery answered with its notice, then Telegram delivers
    the press again (to a restarted process). The repeat's answer without text is refused
    by Telegram and logged quietly; the person saw one notice, and one place is stored."""
    server = FakeTelegramServer(strict=True)
    await server.start()
    bot: BotRun | None = None
    try:
        bot, query, update_id = await _press_come(server, sqlite_url, tmp_path)
        event_id = 1
        assert await until_alive(lambda: query in server.answered_callbacks, 30, [bot]), bot.tail()
        notice = server.answered_callbacks[query]
        assert notice  # the sign-up's notice for the presser
        await bot.stop()

        bot.spawn()
        await _started(bot, 2)
        server.redeliver(update_id)
        # The repeat answers at its deadline; Telegram refuses a second answer.
        assert await until_alive(lambda: server.requests["answerCallbackQuery"] == 2, 30, [bot]), (
            bot.tail()
        )
        await asyncio.sleep(0.5)
        assert server.answered_callbacks == {query: notice}  # one answer, one notice
        assert server.requests["answerCallbackQuery"] == 2
        assert (await _stored(sqlite_url, event_id, update_id)) == (1, 1)
        log = bot.tail(1_000_000)
        assert "was handled before" in log
        assert "answerCallbackQuery" not in log  # the refusal is no warning
    finally:
        if bot is not None:
            await bot.stop()
        await server.stop()
    assert server.internal_errors == []


async def test_press_answered_at_its_deadline_then_killed_before_its_commit(
    postgres_url: str, tmp_path: Path
) -> None:
    """The reverse case: the first delivery cannot store the sign-up in time (a table it
    needs is locked), its deadline stops the spinner without text, and it dies before its
    commit. Delivered again, the press is handled in full: one place, the confirmation in
    the private chat, and still one answer (Telegram refuses the second, with its notice)."""
    await asyncio.to_thread(migrate.upgrade, postgres_url)
    server = FakeTelegramServer(strict=True)
    await server.start()
    bot: BotRun | None = None
    engine = create_engine(postgres_url)
    try:
        async with engine.connect() as lock:

            async def stall() -> None:
                await lock.execute(text("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE"))

            bot, query, update_id = await _press_come(server, postgres_url, tmp_path, stall)
            assert await until_alive(lambda: query in server.answered_callbacks, 30, [bot]), (
                bot.tail()
            )
            assert server.answered_callbacks[query] is None  # the deadline's answer
            bot.kill()
            await lock.rollback()
        assert (await _stored(postgres_url, 1, update_id)) == (0, 0)

        mark = len(server.sent)
        bot.spawn()  # Telegram posts the press again: the first POST got no answer
        await _started(bot, 2)
        await server.wait_for(lambda r: r.chat_id == MEMBER, 30, start=mark)
        assert await until_alive(lambda: not server._updates, 30, [bot])
        assert await until_alive(lambda: server.requests["answerCallbackQuery"] >= 2, 30, [bot]), (
            bot.tail()
        )
        await asyncio.sleep(0.5)  # a further answer would show up here
        assert server.answered_callbacks == {query: None}  # one answer, no second notice
        assert (await _stored(postgres_url, 1, update_id)) == (1, 1)
    finally:
        await engine.dispose()
        if bot is not None:
            await bot.stop()
        await server.stop()
    assert server.internal_errors == []
