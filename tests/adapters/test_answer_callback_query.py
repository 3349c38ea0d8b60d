"""answer_callback_query: a press's answer as one JSON POST on AiohttpRequest's session."""

from __future__ import annotations

from bot.adapters.telegram_request import AiohttpRequest, answer_callback_query
from tests.adapters.test_telegram_request import SECRET, TOKEN, closed_port
from tests.fakes.telegram_server import FakeTelegramServer


async def test_the_answer_with_its_text_and_what_a_refusal_says() -> None:
    async with FakeTelegramServer(TOKEN) as server:
        anna = server.user(1001, "Anna")
        chat = server.private_chat(anna)
        own = server.post_message(chat, anna, "Hallo")
        query = server.press_button(chat, anna, own["message"]["message_id"], "x", forged=True)
        url = f"{server.base_url}{TOKEN}/answerCallbackQuery"
        async with AiohttpRequest() as request:
            given = await answer_callback_query(request, url, query, "Schön, dass Sie da sind")
            # Telegram takes one answer per press: the second is refused, with its reason.
            again = await answer_callback_query(request, url, query, None)
            server.inject("answerCallbackQuery", "429")
            flooded = await answer_callback_query(request, url, "4000000000099", None)
        assert given is None
        assert server.answered_callbacks[query] == "Schön, dass Sie da sind"
        assert server.json_requests["answerCallbackQuery"] == 3
    assert again is not None and again.startswith("400 Bad Request: query is too old")
    assert flooded == "429 Too Many Requests: retry after 1"


async def test_a_network_error_is_returned_without_the_token() -> None:
    url = f"http://127.0.0.1:{closed_port()}/bot{TOKEN}/answerCallbackQuery"
    async with AiohttpRequest() as request:
        refused = await answer_callback_query(request, url, "1", "Danke")
    assert refused is not None and refused.startswith("aiohttp.ClientConnectorError: ")
    assert SECRET not in refused


async def test_an_answer_after_the_shutdown_is_refused_not_raised() -> None:
    url = f"http://127.0.0.1:{closed_port()}/bot{TOKEN}/answerCallbackQuery"
    request = AiohttpRequest()
    await request.initialize()
    await request.shutdown()
    assert await answer_callback_query(request, url, "1", None) == (
        "This AiohttpRequest is not initialized!"
    )
