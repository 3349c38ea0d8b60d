"""AiohttpRequest carries an unmodified telegram.Bot exactly as PTB's HTTPXRequest does.

Most tests run once with each request class against the fake Bot API server, so the same
assertions hold for both; the rest compare what the two send or raise side by side.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import socket
import sys
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import pytest
import telegram
from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest

from bot.adapters.telegram_request import AiohttpRequest
from tests.fakes.telegram_server import FakeTelegramServer

# A token that must show up in no error: it is part of every request URL.
TOKEN = "123456:AAFakeTokenThatMustNeverAppearInErrors_x"
SECRET = TOKEN.split(":", 1)[1]
KINDS = {"httpx": HTTPXRequest, "aiohttp": AiohttpRequest}


@pytest.fixture(params=sorted(KINDS))
def kind(request: pytest.FixtureRequest) -> str:
    """Each test that takes it runs once per request class."""
    return request.param


def make(kind: str, **kwargs: Any) -> BaseRequest:
    """A request object of the given class; both take the same arguments."""
    return KINDS[kind](**kwargs)


@asynccontextmanager
async def running(
    kind: str, request: dict[str, Any] | None = None, **server_kwargs: Any
) -> AsyncIterator[tuple[FakeTelegramServer, telegram.Bot]]:
    """The fake server and an initialised Bot whose requests go through ``kind``."""
    async with FakeTelegramServer(TOKEN, **server_kwargs) as server:
        bot = telegram.Bot(
            TOKEN,
            base_url=server.base_url,
            base_file_url=server.base_file_url,
            request=make(kind, **(request or {})),
            get_updates_request=make(kind, **(request or {})),
        )
        async with bot:
            yield server, bot


def messages(exc: BaseException) -> Iterator[str]:
    """str and repr of the exception and of every one a traceback would print with it."""
    seen: BaseException | None = exc
    while seen is not None:
        yield str(seen)
        yield repr(seen)
        seen = seen.__cause__ or (None if seen.__suppress_context__ else seen.__context__)


def assert_no_token(exc: BaseException) -> None:
    """Neither the error nor what it chains to names the token."""
    for text in messages(exc):
        assert SECRET not in text, text


def retry_seconds(exc: RetryAfter) -> float:
    """RetryAfter's wait in seconds."""
    # PTB 22 warns unless PTB_TIMEDELTA is set; accept both representations.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def until(predicate: Any) -> None:
    """Let the event loop run until ``predicate()`` holds (the test timeout bounds it)."""
    # The fake server counts requests without signalling them, so this looks every 10 ms.
    while not predicate():  # noqa: ASYNC110
        await asyncio.sleep(0.01)


# ------------------------------------------------------------------ the Bot API calls


async def test_get_me(kind: str) -> None:
    async with running(kind) as (server, bot):
        me = await bot.get_me()
        assert (me.id, me.username, bot.username) == (123456, "lotsen_test_bot", "lotsen_test_bot")
        assert server.requests["getMe"] == 2  # initialize() asked first


async def test_send_message_with_html_and_keyboard(kind: str) -> None:
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Ja & gern", callback_data="yes=1&x"),
                InlineKeyboardButton("Nein", callback_data="no"),
            ]
        ]
    )
    async with running(kind) as (server, bot):
        anna = server.user(1001, "Anna")
        text = '<b>Digitalcafé</b> am <i>Dienstag</i>: 10 % & "mehr" + Grüße'
        sent = await bot.send_message(1001, text, parse_mode="HTML", reply_markup=keyboard)
        (record,) = server.messages_to(anna["id"])
        assert (record.text, record.parse_mode) == (text, "HTML")
        assert record.plain_text == 'Digitalcafé am Dienstag: 10 % & "mehr" + Grüße'
        assert record.callback_data == ["yes=1&x", "no"]
        assert sent.text == record.plain_text
        assert sent.reply_markup == keyboard


@pytest.mark.parametrize("as_handle", [False, True], ids=["bytes", "file-handle"])
async def test_send_document_uploads_name_size_and_caption(kind: str, as_handle: bool) -> None:
    content = bytes(range(256)) * 40  # every byte value, 10 KiB
    name = "Übersicht März 2025.pdf"
    document: bytes | InputFile = content
    if as_handle:
        # PTB then hands the open handle to the request, which has to read it itself.
        document = InputFile(io.BytesIO(content), filename=name, read_file_handle=False)
    async with running(kind) as (server, bot):
        server.user(1001, "Anna")
        message = await bot.send_document(
            1001, document, filename=name, caption="<b>Plan</b> & mehr", parse_mode="HTML"
        )
        (record,) = server.messages_to(1001)
        assert (record.method, record.filename, record.file_size) == (
            "sendDocument",
            name,
            len(content),
        )
        assert record.caption == "<b>Plan</b> & mehr"
        assert message.document is not None and message.document.file_name == name
        file = await bot.get_file(message.document.file_id)
        assert bytes(await file.download_as_bytearray()) == content  # a GET, through retrieve


async def test_get_updates_long_polls_beyond_the_read_timeout(kind: str) -> None:
    # PTB adds the poll's timeout to the read timeout: a 1 s poll outlives 0.5 s.
    async with running(kind, request={"read_timeout": 0.5}) as (server, bot):
        assert await bot.get_updates(timeout=1) == ()
        anna = server.user(1001, "Anna")
        polls = server.requests["getUpdates"]
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await until(lambda: server.requests["getUpdates"] > polls)
        server.post_message(server.private_chat(anna), anna, "Hallo?")
        (update,) = await poll
        assert update.message is not None and update.message.text == "Hallo?"


# ------------------------------------------------------------------ errors


async def test_flood_limit_is_retry_after(kind: str) -> None:
    now = [1000.0]
    async with running(kind, private_chat_limit=(1, 60.0), clock=lambda: now[0]) as (
        server,
        bot,
    ):
        server.user(1001, "Anna")
        await bot.send_message(1001, "eins")
        with pytest.raises(RetryAfter) as flood:
            await bot.send_message(1001, "zwei")
        assert retry_seconds(flood.value) == 60
        server.inject("getChat", "429")
        with pytest.raises(RetryAfter) as injected:
            await bot.get_chat(1001)
        assert retry_seconds(injected.value) == 1
        assert server.count_429 == 2
        assert_no_token(flood.value)


async def outcome(kind: str, fault: str) -> BaseException:
    """What a sendMessage that meets ``fault`` raises through ``kind``."""
    async with running(kind) as (server, bot):
        server.user(1001, "Anna")
        server.inject("sendMessage", fault)
        try:
            await bot.send_message(1001, "Hallo")
        except TelegramError as exc:
            return exc
    raise AssertionError("no error")


@pytest.mark.parametrize(
    ("fault", "error", "text"),
    [
        ("http500", NetworkError, "Internal Server Error"),
        ("http502", NetworkError, "Bad Gateway (502). Parsing the server response"),
        ("403", Forbidden, "Forbidden: bot was blocked by the user"),
    ],
)
async def test_server_errors_raise_what_httpx_raises(
    fault: str, error: type[Exception], text: str
) -> None:
    httpx_error, aiohttp_error = [await outcome(k, fault) for k in ("httpx", "aiohttp")]
    assert type(aiohttp_error) is type(httpx_error) is error
    assert str(aiohttp_error) == str(httpx_error)
    assert text in str(aiohttp_error)
    assert_no_token(aiohttp_error)


@pytest.mark.parametrize("where", ["constructor", "call"])
async def test_hang_beyond_read_timeout_is_timed_out(kind: str, where: str) -> None:
    request = {"read_timeout": 0.2 if where == "constructor" else 30.0}
    call = {"read_timeout": 0.2} if where == "call" else {}
    async with running(kind, request=request) as (server, bot):
        server.user(1001, "Anna")
        server.inject("sendMessage", "timeout")
        with pytest.raises(TimedOut) as timed_out:
            await bot.send_message(1001, "Hallo", **call)
        assert str(timed_out.value) == "Timed out"
        assert_no_token(timed_out.value)
        # The connection that timed out is gone, its pool slot is free again.
        await bot.send_message(1001, "Hallo")
        assert [r.text for r in server.messages_to(1001)] == ["Hallo"]


async def test_full_pool_is_pool_timeout_and_sends_nothing(kind: str) -> None:
    request = {"connection_pool_size": 1, "pool_timeout": 0.2, "read_timeout": 30.0}
    async with running(kind, request=request) as (server, bot):
        server.private_chat(server.user(1001, "Anna"))
        server.inject("sendMessage", "timeout")
        hanging = asyncio.create_task(bot.send_message(1001, "hängt"))
        await until(lambda: server.requests["sendMessage"] == 1)
        with pytest.raises(TimedOut, match=r"^Pool timeout: All connections") as pool:
            await bot.get_chat(1001)
        assert server.requests["getChat"] == 0
        hanging.cancel()
        with suppress(asyncio.CancelledError):
            await hanging
        assert_no_token(pool.value)
        assert (await bot.get_chat(1001)).id == 1001


async def test_refused_connection_is_network_error(kind: str) -> None:
    prefix = {"httpx": "httpx.ConnectError: ", "aiohttp": "aiohttp.ClientConnectorError: "}
    async with make(kind) as request:
        base = f"http://127.0.0.1:{closed_port()}/bot"
        bot = telegram.Bot(TOKEN, base_url=base, request=request)
        with pytest.raises(NetworkError) as refused:
            await bot.get_me()
    assert type(refused.value) is NetworkError
    assert str(refused.value).startswith(prefix[kind])
    assert_no_token(refused.value)


@pytest.mark.skipif(sys.platform != "linux", reason="relies on Linux dropping SYNs to a full queue")
async def test_connect_timeout_is_timed_out(kind: str) -> None:
    # A listener that never accepts, its queue full: Linux drops further SYNs, connect hangs.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(3)]
        for filler in fillers:
            filler.setblocking(False)
            with suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
        try:
            async with make(kind, connect_timeout=0.2) as request:
                bot = telegram.Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
                with pytest.raises(TimedOut) as timed_out:
                    await bot.get_me()
        finally:
            for filler in fillers:
                filler.close()
    # aiohttp names the whole URL in its connect timeout: it must not come along.
    assert_no_token(timed_out.value)


async def test_connection_closed_without_answer_is_network_error(kind: str) -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with make(kind) as request:
            bot = telegram.Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
            with pytest.raises(NetworkError) as closed:
                await bot.get_me()
    finally:
        server.close()
        await server.wait_closed()
    assert type(closed.value) is NetworkError
    assert str(closed.value).startswith(f"{kind}.")
    assert_no_token(closed.value)


async def test_invalid_url_names_no_token() -> None:
    async with AiohttpRequest() as request:
        bot = telegram.Bot(TOKEN, base_url="http://127.0.0.1:99999/bot", request=request)
        with pytest.raises(NetworkError) as invalid:
            await bot.get_me()
    assert str(invalid.value).startswith("aiohttp.InvalidUrlClientError: ")
    assert_no_token(invalid.value)


# ------------------------------------------------------------------ same bytes on the wire


_COMPARED_HEADERS = ("Accept", "Accept-Encoding", "Content-Length", "User-Agent")


@asynccontextmanager
async def echo_server() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A Bot API stand-in that records each request and answers ``true``."""
    seen: list[dict[str, Any]] = []

    async def record(request: web.Request) -> web.Response:
        seen.append(
            {
                "method": request.method,
                "path": request.path,
                "target": request.raw_path,  # absolute-form when it came through a proxy
                "content_type": request.headers.get("Content-Type", ""),
                # Host differs (a server per run) and Connection: keep-alive is HTTP/1.1's
                # default, which only httpx spells out.
                **{name: request.headers.get(name) for name in _COMPARED_HEADERS},
                "body": await request.read(),
            }
        )
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/bot", seen
    finally:
        await runner.cleanup()


def comparable(seen: dict[str, Any]) -> dict[str, Any]:
    """A recorded request with its multipart boundary (random per request) replaced."""
    content_type, _, boundary = seen["content_type"].partition("; boundary=")
    body = seen["body"].replace(boundary.encode(), b"BOUNDARY") if boundary else seen["body"]
    return {**seen, "content_type": content_type, "body": body}


async def test_requests_are_byte_for_byte_those_of_httpx() -> None:
    odd_name = 'Plan "Café"\\\tneu.png'

    async def calls(bot: telegram.Bot) -> None:
        await bot.set_my_description("Hilfe & Termine: 100 % + ü = ok?")
        await bot.set_chat_photo(-2001, photo=InputFile(b"\x89PNG" * 100, filename=odd_name))
        await bot.close()  # no parameters at all

    sent: dict[str, list[dict[str, Any]]] = {}
    for kind in sorted(KINDS):
        async with echo_server() as (base, seen), make(kind) as request:
            await calls(telegram.Bot(TOKEN, base_url=base, request=request))
        sent[kind] = [comparable(s) for s in seen]
    assert sent["aiohttp"] == sent["httpx"]
    form, multipart, empty = sent["aiohttp"]
    assert form["content_type"] == "application/x-www-form-urlencoded"
    assert multipart["content_type"] == "multipart/form-data"
    assert b'filename="Plan %22Caf\xc3\xa9%22\\\\%09neu.png"' in multipart["body"]
    assert (empty["method"], empty["body"]) == ("POST", b"")
    assert form["User-Agent"] == BaseRequest.USER_AGENT


# ------------------------------------------------------------------ proxies


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY", "http_proxy"])
async def test_proxy_from_the_environment(
    kind: str, variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    target = f"http://127.0.0.1:{closed_port()}/bot"
    async with echo_server() as (proxy, seen):
        monkeypatch.setenv(variable, proxy.removesuffix("/bot"))
        async with make(kind) as request:
            bot = telegram.Bot(TOKEN, base_url=target, request=request)
            # Nothing listens at the target: only the proxy can answer.
            assert await bot.close() is True
            monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
            # httpx reads the environment when it makes its client, in initialize() after a
            # shutdown(); AiohttpRequest when it opens its session.
            await request.shutdown()
            await request.initialize()
            with pytest.raises(NetworkError) as refused:
                await bot.close()
    assert str(refused.value).startswith(f"{kind}.")
    assert [s["target"] for s in seen] == [f"{target}{TOKEN}/close"]


# ------------------------------------------------------------------ life cycle


async def test_defaults_and_life_cycle_match_httpx() -> None:
    for kind in sorted(KINDS):
        assert make(kind).read_timeout == 5.0
        assert make(kind, read_timeout=None).read_timeout is None
    async with FakeTelegramServer(TOKEN) as server:
        for kind in sorted(KINDS):
            request = make(kind)
            bot = telegram.Bot(TOKEN, base_url=server.base_url, request=request)
            assert (await bot.get_me()).id == 123456  # usable before initialize()
            await request.shutdown()
            await request.shutdown()  # idempotent
            with pytest.raises(NetworkError, match="is not initialized"):
                await bot.get_me()
            await request.initialize()
            await request.initialize()
            assert (await bot.get_me()).id == 123456
            await request.shutdown()
