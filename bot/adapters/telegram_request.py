"""PTB's Bot API requests over aiohttp instead of httpx.

``telegram.request.BaseRequest`` is PTB's documented extension point: PTB builds the URL
and the parameters and turns the status and body of each answer into its own exceptions
(BadRequest, Forbidden, RetryAfter, ...); an implementation only moves bytes. This one
mirrors ``HTTPXRequest`` (same defaults, timeouts, request bodies and errors) because an
httpx request costs several times the CPU of an aiohttp one (BENCHMARKS.md, "Telegram
button presses"; on a 2-core test machine a sendMessage's transport took 0.56-0.69 ms
with httpx, 0.16-0.21 ms here).

Where aiohttp differs from httpx, and what this class does about it:

- No pool timeout: a semaphore of ``connection_pool_size`` slots, waited for at most
  ``pool_timeout``, stands in for httpx's pool; the connector has the same limit.
- No write timeout: a ``total`` limit of connect + write + read timeout bounds a stalled
  upload (httpx would give up after write timeout without progress; this gives up after
  the sum, also on a slow but moving upload that takes longer).
- Redirects are not followed, as in httpx (PTB reports the 3xx).
- Certificates come from certifi, or SSL_CERT_FILE / SSL_CERT_DIR, as in httpx. Proxies
  come from HTTP_PROXY / HTTPS_PROXY / ALL_PROXY and NO_PROXY, read once per session and
  host as httpx reads them once per client: aiohttp's own ``trust_env`` reads them and
  ~/.netrc in worker threads on every request, which cost 0.44 ms of CPU per request here,
  more than the rest of the request.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import ssl
from typing import IO, TYPE_CHECKING
from urllib.parse import quote, unquote, urlencode, urlsplit
from urllib.request import getproxies, proxy_bypass_environment

import aiohttp
import certifi
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from telegram._utils.types import ODVInput

log = logging.getLogger(__name__)

_POOL_TIMEOUT = (
    # HTTPXRequest's wording, so logs and callers cannot tell the two apart.
    "Pool timeout: All connections in the connection pool are occupied. "
    "Request was *not* sent to Telegram. Consider adjusting the connection "
    "pool size or the pool timeout."
)
_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_JSON = {"Content-Type": "application/json"}
# httpx's escaping of multipart names and file names (the HTML5 form encoding).
_FORM_ESCAPES = {'"': "%22", "\\": "\\\\"} | {chr(c): f"%{c:02X}" for c in range(0x20) if c != 0x1B}
_FORM_ESCAPE_RE = re.compile("|".join(re.escape(c) for c in _FORM_ESCAPES))
_NO_CONTENT_TYPE = ("Content-Type",)
_REDACTED = "<redacted>"
# PTB's marker class for "not passed" (its module is private; HTTPXRequest checks the class).
_DefaultValue = type(BaseRequest.DEFAULT_NONE)


def _form_param(name: str, value: str) -> bytes:
    """One ``name="value"`` parameter of a Content-Disposition header, escaped like httpx."""
    escaped = _FORM_ESCAPE_RE.sub(lambda m: _FORM_ESCAPES[m.group(0)], value)
    return f'{name}="{escaped}"'.encode()


def _file_bytes(content: bytes | IO[bytes]) -> bytes:
    """An upload's content; file handles are read from the start, as httpx does."""
    if isinstance(content, bytes):
        return content
    try:
        content.seek(0)
    except (AttributeError, OSError):  # io.UnsupportedOperation is an OSError
        pass
    return content.read()


def multipart_body(
    fields: dict[str, str], files: dict[str, tuple[str, bytes | IO[bytes], str]]
) -> tuple[bytes, str]:
    """The multipart/form-data body and its Content-Type, laid out byte for byte as httpx's."""
    boundary = os.urandom(16).hex().encode("ascii")
    delimiter = b"--" + boundary + b"\r\n"
    parts: list[bytes] = []
    for name, value in fields.items():
        disposition = b"Content-Disposition: form-data; " + _form_param("name", name)
        parts += [delimiter, disposition, b"\r\n\r\n", value.encode(), b"\r\n"]
    for name, (filename, content, mimetype) in files.items():
        headers = [b"Content-Disposition: form-data; ", _form_param("name", name)]
        if filename:
            headers += [b"; ", _form_param("filename", filename)]
        headers += [b"\r\nContent-Type: ", mimetype.encode(), b"\r\n\r\n"]
        parts += [delimiter, *headers, _file_bytes(content), b"\r\n"]
    parts.append(b"--" + boundary + b"--\r\n")
    return b"".join(parts), f"multipart/form-data; boundary={boundary.decode('ascii')}"


def _secrets(url: str) -> list[str]:
    """The pieces of ``url`` that may carry the bot token, longest first."""
    path = urlsplit(url).path
    pieces = {url, path}
    # Every path segment but the method (or file name) may hold it: PTB appends the token
    # to base_url, or puts it where base_url says "{token}". Short ones ("bot") are kept
    # so messages stay readable; a token is much longer.
    pieces.update(segment for segment in path.split("/")[:-1] if len(segment) >= 8)
    variants = {variant for piece in pieces for variant in (piece, unquote(piece), quote(piece))}
    return sorted((v for v in variants if v), key=len, reverse=True)


def _redact(text: str, secrets: list[str]) -> str:
    """``text`` without any piece of the request URL (aiohttp puts URLs in some messages)."""
    for secret in secrets:
        text = text.replace(secret, _REDACTED)
    return text


def _safe_cause(exc: BaseException, secrets: list[str]) -> BaseException | None:
    """``exc`` to chain to, or None if its text holds a piece of the URL (tracebacks print it)."""
    # aiohttp's ConnectionTimeoutError, ClientResponseError and InvalidURL name the URL.
    texts = (str(exc), repr(exc))
    if any(secret in text for text in texts for secret in secrets):
        return None
    return exc


def _env_proxy(url: str) -> str | None:
    """The proxy the environment names for ``url``, chosen as httpx chooses it."""
    parts = urlsplit(url)
    proxies = getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or (parts.hostname and proxy_bypass_environment(parts.hostname, proxies)):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


def _origin(url: str) -> str:
    """``scheme://host:port`` of an absolute URL (cheaper than parsing it)."""
    end = url.find("/", url.find("://") + 3)
    return url if end < 0 else url[:end]


def _ssl_context() -> ssl.SSLContext:
    """The CA certificates httpx trusts (with trust_env): the environment's, else certifi's."""
    if cafile := os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=cafile)
    if capath := os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=capath)
    return ssl.create_default_context(cafile=certifi.where())


class AiohttpRequest(BaseRequest):
    """``BaseRequest`` over one ``aiohttp.ClientSession``, a drop-in for ``HTTPXRequest``."""

    __slots__ = (
        "_closed",
        "_connect_timeout",
        "_default_timeout",
        "_defaults",
        "_env_proxies",
        "_media_write_timeout",
        "_pool",
        "_pool_size",
        "_pool_timeout",
        "_post_timeout",
        "_proxy",
        "_read_timeout",
        "_session",
        "_urls",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        proxy: str | None = None,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        """Same arguments and defaults as ``HTTPXRequest`` (without httpx-only ones)."""
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._proxy = proxy
        # The session binds to the running event loop, so it is made on first use.
        self._session: aiohttp.ClientSession | None = None
        self._pool: asyncio.Semaphore | None = None
        self._closed = False
        self._env_proxies: dict[str, str | None] = {}
        self._urls: dict[str, URL] = {}  # post_json's few URLs, parsed once
        self._defaults = (read_timeout, write_timeout, connect_timeout)
        self._default_timeout = self._timeout(*self._defaults)
        # post_json's: the same overall limit, without sock_read's timer, which aiohttp
        # sets again on every read (two more timers per request, for a tiny answer).
        self._post_timeout = aiohttp.ClientTimeout(
            total=self._default_timeout.total, sock_connect=connect_timeout
        )

    @property
    def read_timeout(self) -> float | None:
        """The read timeout used when a call passes none."""
        return self._read_timeout

    @staticmethod
    def _timeout(
        read: float | None, write: float | None, connect: float | None
    ) -> aiohttp.ClientTimeout:
        """aiohttp's timeouts for httpx's read, write and connect timeouts (see module doc)."""
        phases = (read, write, connect)
        total = None if None in phases else sum(t for t in phases if t is not None)
        return aiohttp.ClientTimeout(total=total, sock_read=read, sock_connect=connect)

    def _open(self) -> aiohttp.ClientSession:
        """A new session, and the pool slots that go with it."""
        connector = aiohttp.TCPConnector(limit=self._pool_size, ssl=_ssl_context())
        self._session = aiohttp.ClientSession(
            connector=connector,
            # Like httpx: no exception for 4xx/5xx (PTB reads those bodies), PTB's
            # User-Agent. Proxies from the environment: see _proxy_for.
            trust_env=False,
            raise_for_status=False,
            headers={"User-Agent": self.USER_AGENT},
            timeout=self._default_timeout,
        )
        self._pool = asyncio.Semaphore(self._pool_size)
        self._env_proxies = {}  # a new session reads the environment again, as httpx would
        self._closed = False
        return self._session

    def _proxy_for(self, url: str) -> str | None:
        """The constructor's proxy, else the environment's for this host (looked up once)."""
        if self._proxy is not None:
            return self._proxy
        origin = _origin(url)
        try:
            return self._env_proxies[origin]
        except KeyError:
            proxy = self._env_proxies[origin] = _env_proxy(url)
            return proxy

    def _parsed(self, url: str) -> URL:
        """``url`` parsed once (aiohttp would parse the string on every request)."""
        try:
            return self._urls[url]
        except KeyError:
            parsed = self._urls[url] = URL(url)
            return parsed

    async def initialize(self) -> None:
        """Open the session unless it is open."""
        if self._session is None or self._session.closed:
            self._open()

    async def shutdown(self) -> None:
        """Close the session; calling it again does nothing."""
        if self._closed:
            log.debug("This AiohttpRequest is already shut down. Returning.")
            return
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; the HTTP status and body of whatever the server answered."""
        if self._closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        # Like an HTTPXRequest, a new one works before initialize().
        session = self._session or self._open()
        pool = self._pool
        assert pool is not None

        files = request_data.multipart_data if request_data else None
        data = request_data.json_parameters if request_data else None

        # Timeouts the call did not set are the ones given to the constructor; uploads
        # get the media write timeout (as in HTTPXRequest).
        if isinstance(read_timeout, _DefaultValue):
            read_timeout = self._read_timeout
        if isinstance(connect_timeout, _DefaultValue):
            connect_timeout = self._connect_timeout
        if isinstance(pool_timeout, _DefaultValue):
            pool_timeout = self._pool_timeout
        if isinstance(write_timeout, _DefaultValue):
            write_timeout = self._write_timeout if not files else self._media_write_timeout
        phases = (read_timeout, write_timeout, connect_timeout)
        timeout = self._default_timeout if phases == self._defaults else self._timeout(*phases)

        # The same body httpx sends: form fields, or a multipart form when there are files.
        body: bytes | None = None
        headers: dict[str, str] | None = None
        skip: tuple[str, ...] = ()
        if files:
            body, content_type = multipart_body(data or {}, files)
            headers = {"Content-Type": content_type}
        elif data:
            body, headers = urlencode(list(data.items())).encode(), _FORM
        else:
            skip = _NO_CONTENT_TYPE  # aiohttp would call "nothing" application/octet-stream

        async with self._slot(pool, pool_timeout, url):
            async with session.request(
                method,
                url,
                data=body,
                headers=headers,
                skip_auto_headers=skip,
                proxy=self._proxy_for(url),
                timeout=timeout,
                allow_redirects=False,
            ) as response:
                body_read = await response.read()
                # As httpx logs it (the log formatter masks the token in the URL).
                log.debug('HTTP Request: %s %s "%s"', method, url, response.status)
                return response.status, body_read

    @contextlib.asynccontextmanager
    async def _slot(
        self, pool: asyncio.Semaphore, pool_timeout: float | None, url: str
    ) -> AsyncIterator[None]:
        """A pool slot for one request, and its errors as PTB's, without the token."""
        # A free slot is taken at once, without a timer (that costs CPU).
        if pool.locked():
            try:
                async with asyncio.timeout(pool_timeout):
                    await pool.acquire()
            except TimeoutError as exc:
                raise TimedOut(message=_POOL_TIMEOUT) from exc
        else:
            await pool.acquire()
        try:
            yield
        except TimeoutError as exc:
            # aiohttp's timeouts (ServerTimeoutError and the total timer) are TimeoutErrors.
            raise TimedOut from _safe_cause(exc, _secrets(url))
        except (aiohttp.ClientError, OSError) as exc:
            # Messages of some aiohttp errors carry the URL, and so the bot's token.
            secrets = _secrets(url)
            message = f"aiohttp.{type(exc).__name__}: {_redact(str(exc), secrets)}"
            raise NetworkError(message) from _safe_cause(exc, secrets)
        finally:
            pool.release()

    async def post_json(self, url: str, body: bytes) -> tuple[int, bytes]:
        """POST a JSON body built by the caller (a button press's answer, see
        ``answer_callback_query``): the same session, pool, proxy, default timeouts and
        errors as ``do_request``, without PTB's parameter objects and form encoding."""
        if self._closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        session = self._session or self._open()
        pool = self._pool
        assert pool is not None
        async with self._slot(pool, self._pool_timeout, url):
            async with session.post(
                self._parsed(url),
                data=body,
                headers=_JSON,
                proxy=self._proxy_for(url),
                timeout=self._post_timeout,
                allow_redirects=False,
            ) as response:
                return response.status, await response.read()


async def answer_callback_query(
    request: AiohttpRequest, url: str, query_id: str, text: str | None
) -> str | None:
    """answerCallbackQuery as one prebuilt JSON POST; None when Telegram took it, else why
    not (its description, or the network error, never the token). A press's answer is the
    most frequent request, and PTB's way (parameter objects, a form body, its decorators
    and checks) cost about as much CPU as aiohttp's request itself (BENCHMARKS.md,
    "Telegram button presses", third pass)."""
    body = {"callback_query_id": query_id}
    if text:
        body["text"] = text
    try:
        status, payload = await request.post_json(url, json.dumps(body).encode())
    except TelegramError as exc:  # TimedOut, NetworkError: their texts carry no URL
        return str(exc)
    except RuntimeError as exc:  # the session is shut down (PTB would call it NetworkError)
        return str(exc)
    if status == 200:
        return None
    try:
        description = json.loads(payload).get("description")
    except (ValueError, AttributeError):
        description = None
    return f"{status} {description or 'without a description'}"
