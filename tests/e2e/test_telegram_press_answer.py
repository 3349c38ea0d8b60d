"""A press's answer (answerCallbackQuery) goes out as one JSON POST of its own, not through
PTB's Bot (#22): what Telegram sees, and what a refused or rate-limited answer does."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.domain.models import Person
from tests.e2e.telegram_bot import RunningBot, fast_server
from tests.fakes.telegram_server import FakeTelegramServer, SentRecord

ANSWER = "answerCallbackQuery"


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


async def _reply(server: FakeTelegramServer, chat_id: int, contains: str) -> SentRecord:
    return await server.wait_for(
        lambda r: r.chat_id == chat_id and contains in (r.text or ""), timeout=15
    )


async def _until(predicate) -> None:  # type: ignore[no-untyped-def]
    for _ in range(300):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("not within 15 s")


async def _language_keys(server: FakeTelegramServer, user: dict) -> tuple[int, list[str]]:  # type: ignore[type-arg]
    server.post_message(server.private_chat(user), user, "/sprache")
    question = await _reply(server, user["id"], "Welche Sprache")
    keys = [row[0]["callback_data"] for row in question.reply_markup["inline_keyboard"]]  # type: ignore[index]
    return question.message_id or 0, keys


async def test_answers_are_json_posts_with_the_notice(server, bot) -> None:  # type: ignore[no-untyped-def]
    anna = server.user(1001, "Anna")
    message_id, keys = await _language_keys(server, anna)
    # A stale button in a group: the note is the press's own notice.
    group = server.group(-4343, "Digitalcafé")
    own = server.post_message(group, anna, "Hallo")
    stale = server.press_button(group, anna, own["message"]["message_id"], "old", forged=True)
    await _until(lambda: stale in server.answered_callbacks)
    chosen = server.press_button(1001, anna, message_id, keys[1])
    await _reply(server, 1001, "I will write to you in English")
    await _until(lambda: chosen in server.answered_callbacks and stale in server.answered_callbacks)
    assert server.answered_callbacks[stale] == (
        "Dieser Knopf geht nicht mehr.\nBitte schreiben Sie /start."
    )
    assert server.answered_callbacks[chosen] is None
    # Each answer was one request, its parameters a JSON body (PTB sends a form).
    assert server.requests[ANSWER] == 2
    assert server.json_requests[ANSWER] == 2


async def test_a_refused_answer_is_logged_and_the_choice_kept(server, bot, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO, logger="bot.adapters.telegram")
    anna = server.user(1001, "Anna")
    message_id, keys = await _language_keys(server, anna)
    server.inject(ANSWER, "query_too_old")
    query = server.press_button(1001, anna, message_id, keys[1])
    await _reply(server, 1001, "I will write to you in English")
    await _until(lambda: "answerCallbackQuery failed" in caplog.text)
    assert "400 Bad Request: query is too old" in caplog.text
    assert server.token not in caplog.text
    assert query not in server.answered_callbacks
    async with bot.app.sessions() as session:
        assert (await session.scalars(select(Person.locale))).all() == ["en"]


async def test_a_429_on_an_answer_does_not_hold_up_the_next_press(server, bot, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO, logger="bot.adapters.telegram")
    anna = server.user(1001, "Anna")
    message_id, keys = await _language_keys(server, anna)
    server.inject(ANSWER, "429")
    first = server.press_button(1001, anna, message_id, keys[1])
    await _until(lambda: server.requests[ANSWER] == 1)
    second = server.press_button(1001, anna, message_id, keys[0])
    await _until(lambda: second in server.answered_callbacks)
    await _reply(server, 1001, "Ich schreibe Ihnen ab jetzt auf Deutsch")
    # The refused answer was logged and not tried again; the next press was answered.
    assert "answerCallbackQuery failed: 429 Too Many Requests: retry after 1" in caplog.text
    assert first not in server.answered_callbacks
    assert server.requests[ANSWER] == 2
    async with bot.app.sessions() as session:
        assert (await session.scalars(select(Person.locale))).all() == ["de"]


async def test_webhook_press_and_what_else_reaches_the_port(server, sqlite_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Webhook mode: a press is handled and answered; the port serves only the webhook."""
    import socket

    import aiohttp

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    url = f"http://127.0.0.1:{port}/telegram"
    secret = "e2e-webhook-secret-0123456789abcdefABCDEF"
    running = RunningBot(
        server,
        sqlite_url,
        tmp_path,
        telegram={
            "mode": "webhook",
            "webhook_port": port,
            "webhook_secret": secret,
            "webhook_url": url,
        },
    )
    app = await running.start()
    try:
        anna = server.user(1001, "Anna")
        message_id, keys = await _language_keys(server, anna)
        query = server.press_button(1001, anna, message_id, keys[1])
        await _reply(server, 1001, "I will write to you in English")
        await _until(lambda: query in server.answered_callbacks)
        assert server.json_requests[ANSWER] == server.requests[ANSWER] == 1
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{url}/other", json={}, headers=headers) as response:
                assert response.status == 404
            async with http.get(url, headers=headers) as response:
                assert response.status == 405
            async with http.post(url, data=b"{not json", headers=headers) as response:
                assert response.status == 400
        async with app.sessions() as session:
            assert (await session.scalars(select(Person.locale))).all() == ["en"]
    finally:
        await running.stop()
