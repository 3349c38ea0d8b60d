"""A small web server for each community's calendar feed (GET /kalender/<slug>.ics), the
health check for monitoring (GET /health) and the Prometheus metrics (GET /metrics); further
pages (the public calendar page, web/public.py) are mounted under a path prefix.

Calendar apps (phone, Outlook, Thunderbird) subscribe to the address and fetch it again
every few hours; a change or cancellation then shows up without anyone doing anything.
The feed holds only what a notice board would: public dates, no persons.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence

from aiohttp import web

from bot.language.i18n import Catalogs, install

log = logging.getLogger(__name__)

# Short enough that a cancellation reaches subscribers soon; long enough that an app
# polling every minute does not reach the database every minute.
MAX_AGE = 300
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"
ROUTES = ("/kalender/{slug}.ics", "/calendar/{slug}.ics")

_DTSTAMP = re.compile(rb"^DTSTAMP:[^\r\n]*\r\n", re.M)


# A community's feed as .ics by its slug; None when no community has that slug.
CalendarFeed = Callable[[str], Awaitable[bytes | None]]


class FeedServer:
    """Serves the iCalendar feeds; start() binds, stop() closes."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        catalogs: Catalogs | None = None,
        health: Callable[[], Awaitable[tuple[int, dict[str, object]]]] | None = None,
        calendar: CalendarFeed | None = None,
        metrics: Callable[[], Awaitable[bytes]] | None = None,
        mounts: Mapping[str, web.Application] | None = None,
        routes: Sequence[web.RouteDef] = (),
    ) -> None:
        self._host = host
        self._port = port
        self._catalogs = catalogs
        self._health = health
        self._calendar = calendar
        self._metrics = metrics
        # Further pages under a path prefix (the public calendar page at /termine,
        # the staff web page at /staff).
        self._mounts = dict(mounts or {})
        # More pages features serve (the links in e-mails, the newsletter's pages).
        self._routes = tuple(routes)
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int:
        """The bound port once started (port 0 asks the system for a free one)."""
        if self._runner is not None and self._runner.addresses:
            return int(self._runner.addresses[0][1])
        return self._port

    async def start(self) -> None:
        """Bind and serve until stop()."""
        app = web.Application()
        for route in ROUTES if self._calendar is not None else ():
            app.router.add_get(route, self._feed)
        if self._health is not None:
            app.router.add_get("/health", self._health_check)
        if self._metrics is not None:
            app.router.add_get("/metrics", self._metrics_text)
        for prefix, pages in self._mounts.items():
            app.add_subapp(prefix, pages)
        app.router.add_routes(self._routes)
        # No access log: it would record the IP addresses of the people who subscribe.
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        parts = (
            ("calendar feed", self._calendar is not None),
            ("/health", self._health is not None),
            ("/metrics", self._metrics is not None),
            *((prefix, True) for prefix in self._mounts),
            ("e-mail links", bool(self._routes)),
        )
        served = [name for name, on in parts if on]
        log.info("%s listening on http://%s:%s", " and ".join(served), self._host, self.port)

    async def stop(self) -> None:
        """Close the listening socket and open connections; safe to call twice."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _health_check(self, _request: web.Request) -> web.StreamResponse:
        assert self._health is not None
        status, body = await self._health()
        return web.json_response(body, status=status, headers={"Cache-Control": "no-store"})

    async def _metrics_text(self, _request: web.Request) -> web.StreamResponse:
        assert self._metrics is not None
        body = await self._metrics()
        # The Prometheus text format, version 0.0.4 (what prometheus_client writes).
        headers = {"Content-Type": PROMETHEUS_TEXT, "Cache-Control": "no-store"}
        return web.Response(body=body, headers=headers)

    async def _feed(self, request: web.Request) -> web.StreamResponse:
        if self._catalogs is not None:
            # Each request runs in its own task; the catalogs must be visible to it.
            install(self._catalogs)
        assert self._calendar is not None
        slug = request.match_info["slug"]
        body = await self._calendar(slug)
        if body is None:
            raise web.HTTPNotFound(text="No calendar at this address.\n")
        etag = _etag(body)
        headers = {"Cache-Control": f"max-age={MAX_AGE}", "ETag": etag}
        if _matches(request.headers.get("If-None-Match", ""), etag):
            return web.Response(status=304, headers=headers)
        headers["Content-Disposition"] = f'inline; filename="{slug}.ics"'
        return web.Response(
            body=body, content_type="text/calendar", charset="utf-8", headers=headers
        )


def _etag(body: bytes) -> str:
    # DTSTAMP is the time of writing and changes on every request; the tag must change
    # only when a date does, so apps can be told "nothing new" with a 304.
    digest = hashlib.sha256(_DTSTAMP.sub(b"", body)).hexdigest()[:32]
    return f'"{digest}"'


def _matches(header: str, etag: str) -> bool:
    tags: Sequence[str] = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags
