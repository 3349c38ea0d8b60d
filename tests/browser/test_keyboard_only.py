"""Every staff task with the keyboard alone, in one real Chromium session: sign in through
the link the bot sent in the suite's Telegram server, then each task of
tests/browser/keyboard_tasks.py in order (each asserts what it changed). The focus ring is
clear, and the first Tab on every page reaches the skip link."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from playwright.async_api import Page

from tests.browser.conftest import DESK, IN_MODULE_LOOP
from tests.browser.keyboard_tasks import TASKS, Keys, focused
from tests.browser.test_staff_overview import GERMAN, Desk
from tests.browser.test_staff_overview import desk as desk  # the bot with a date

pytestmark = IN_MODULE_LOOP

CSS = Path(__file__).resolve().parents[2] / "web" / "static" / "staff.css"


async def test_the_focus_ring_is_clear() -> None:
    """Every control that takes the focus shows a thick outline when the keyboard is used."""
    css = CSS.read_text(encoding="utf-8")
    rules = re.findall(r"([^{}]*:focus-visible[^{}]*)\{([^}]*)\}", css)
    selectors = " ".join(selector for selector, _body in rules)
    for control in ("a", "button", "input", "select", "textarea"):
        assert f"{control}:focus-visible" in selectors, control
    widths = [int(w) for _s, body in rules for w in re.findall(r"outline:\s*(\d+)px solid", body)]
    assert widths and min(widths) >= 3


async def test_every_task_with_the_keyboard_alone(
    desk: Desk, open_page: Callable[[dict[str, int]], Awaitable[Page]]
) -> None:
    page = await open_page(DESK)
    await page.set_extra_http_headers(GERMAN)
    keys = Keys(page, desk)
    for task in TASKS:
        await task(keys)
        # on every page the task ends on, the first Tab reaches the skip link
        await page.evaluate("document.activeElement && document.activeElement.blur()")
        await page.evaluate("window.scrollTo(0, 0)")
    await page.goto(keys.notes["overview"])
    await page.keyboard.press("Tab")
    assert (await focused(page))["text"] == "Zum Inhalt springen"
    await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")
    assert (await focused(page))["text"] != "Abmelden"  # past the header
