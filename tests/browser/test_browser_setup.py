"""The browser set-up itself: Chromium starts, axe-core runs, screenshots are kept."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from aiohttp import web
from aiohttp.typedefs import Handler
from playwright.async_api import Page

from tests.browser.conftest import IN_MODULE_LOOP, axe_violations, screenshot

pytestmark = IN_MODULE_LOOP

GOOD = """<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Probe</title></head>
<body><main><h1>Probe</h1><p><a href="/">Start</a></p></main></body></html>"""
BAD = """<!DOCTYPE html><html><head><meta charset="utf-8"></head>
<body><img src="x.png"><a href="/"></a></body></html>"""


def _html(text: str) -> Handler:
    async def answer(_request: web.Request) -> web.Response:
        return web.Response(text=text, content_type="text/html")

    return answer


@pytest_asyncio.fixture(loop_scope="module")
async def site() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/", _html(GOOD))
    app.router.add_get("/bad", _html(BAD))
    runner = web.AppRunner(app)
    await runner.setup()
    listening = web.TCPSite(runner, "127.0.0.1", 0)
    await listening.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_chromium_shows_a_page_and_axe_judges_it(page: Page, site: str) -> None:
    await page.goto(site)
    assert await page.locator("h1").inner_text() == "Probe"
    assert await axe_violations(page) == []
    shot = await screenshot(page, "browser-setup")
    assert shot.read_bytes().startswith(b"\x89PNG")


async def test_axe_finds_what_is_wrong(page: Page, site: str) -> None:
    await page.goto(f"{site}/bad")
    found = " ".join(await axe_violations(page))
    assert "image-alt" in found
    assert "html-has-lang" in found
