"""Real-browser tests: Debian's Chromium driven by Playwright, axe-core for accessibility.

Chromium comes from the machine (`make provision` installs Debian's ``chromium`` package,
see tests/servers/provision_postgres.py); Playwright only drives it (``executable_path``),
``playwright install`` is never used. One browser per test module: the browser fixture and
every test of this folder run in the module's event loop (``pytestmark = IN_MODULE_LOOP``), so
the async fixtures a test uses (the bot, its web server) are declared with
``loop_scope="module"`` too.

Screenshots go to build/screenshots/ (git-ignored), one PNG per call of ``screenshot``.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

CHROMIUM = Path(os.environ.get("LOTSENBOT_TEST_CHROMIUM", "/usr/bin/chromium"))
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
# The two sizes of the issue: a desk PC, and a tablet held upright.
DESK = {"width": 1280, "height": 800}
UPRIGHT = {"width": 800, "height": 1280}


# Every test module here starts with ``pytestmark = IN_MODULE_LOOP``.
IN_MODULE_LOOP = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    """Chromium, headless, with a fresh profile (Playwright gives each launch a new
    temporary user-data-dir), no network of its own (updates, sync, QUIC)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make provision` (apt-get install chromium)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=FLAGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest_asyncio.fixture(loop_scope="module")
async def open_page(browser: Browser) -> AsyncIterator[Callable[[dict[str, int]], Awaitable[Page]]]:
    """``await open_page(DESK)``: a page of its own (own cookies) at that viewport."""
    contexts: list[BrowserContext] = []

    async def opened(viewport: dict[str, int]) -> Page:
        context = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
        contexts.append(context)
        return await context.new_page()

    yield opened
    for context in contexts:
        await context.close()


@pytest_asyncio.fixture(loop_scope="module")
async def page(open_page: Callable[[dict[str, int]], Awaitable[Page]]) -> Page:
    """A page at the desk size, 1280×800."""
    return await open_page(DESK)


async def axe_violations(page: Page) -> list[str]:
    """What axe-core finds on the page as it is now: one line per violation and node, so a
    failing assert names the rule and the element."""
    results = await Axe().run(page)
    found = results.response.get("violations", [])
    return [
        f"{v['id']} ({v['impact']}): {node['target']} {v['help']}"
        for v in found
        for node in v.get("nodes", [])
    ]


async def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as build/screenshots/<name>.png and return the path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.png"
    await page.screenshot(path=str(target), full_page=True)
    return target
