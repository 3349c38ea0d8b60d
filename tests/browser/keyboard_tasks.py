"""Staff tasks done with the keyboard alone, for the keyboard-only test.

Each task is one async function taking a ``Keys`` (the page, the running bot, and notes the
tasks pass on); it uses ``page.keyboard`` only (Tab, Shift+Tab, Enter, Space, arrow keys,
typing), never ``click()`` or ``fill()``, and finds its way by tabbing and looking at
``document.activeElement``. Going to the overview's address counts as typing it into the
address bar. Each task asserts its effect (the page or the database).

To add a task: write one function below, then add it as one line at the end of ``TASKS``.
(helper a1's branch: only the announcements task and the helpers it needs; helper a4's
branch has the full file with the same helpers.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from playwright.async_api import Page, expect

from tests.browser.test_staff_overview import Desk

# Where the focus is: tag, id, name, type, href and the text (spaces collapsed).
FOCUS = """() => {
  const e = document.activeElement;
  return {tag: e.tagName.toLowerCase(), id: e.id || "", name: e.getAttribute("name") || "",
          type: e.getAttribute("type") || "", href: e.getAttribute("href") || "",
          value: e.value === undefined ? "" : String(e.value),
          text: (e.textContent || "").replace(/\\s+/g, " ").trim()};
}"""
MOST_TABS = 150


@dataclass
class Keys:
    page: Page
    desk: Desk
    notes: dict[str, Any] = field(default_factory=dict)


async def focused(page: Page) -> dict[str, str]:
    return dict(await page.evaluate(FOCUS))


async def tab_to(page: Page, wanted: Callable[[dict[str, str]], bool], what: str) -> None:
    """Press Tab until the focus is on what ``wanted`` accepts."""
    seen = []
    for _ in range(MOST_TABS):
        await page.keyboard.press("Tab")
        now = await focused(page)
        if wanted(now):
            return
        seen.append(now["id"] or now["text"][:40])
    raise AssertionError(f"Tab never reached {what}; passed: {seen}")


def text_is(text: str) -> Callable[[dict[str, str]], bool]:
    return lambda f: f["text"] == text


def id_is(name: str) -> Callable[[dict[str, str]], bool]:
    return lambda f: f["id"] == name


async def press_and_wait(page: Page, key: str = "Enter") -> None:
    """A key that sends a form or follows a link: wait for the next page."""
    async with page.expect_navigation():
        await page.keyboard.press(key)


async def type_into(page: Page, field_id: str, text: str) -> None:
    """Tab to a field, select what is in it (Ctrl+A) and type over it."""
    await tab_to(page, id_is(field_id), f"the field #{field_id}")
    await page.keyboard.press("Control+A")
    await page.keyboard.type(text)


async def overview(keys: Keys) -> None:
    """Type the overview's address (the address bar is the keyboard's too)."""
    await keys.page.goto(keys.notes["overview"])


async def follow(keys: Keys, wanted: Callable[[dict[str, str]], bool], what: str) -> None:
    """From the overview, tab to a link and press Enter."""
    await overview(keys)
    await tab_to(keys.page, wanted, what)
    await press_and_wait(keys.page)


async def heading(page: Page) -> str:
    return await page.get_by_role("heading", level=1).inner_text()


async def sign_in(keys: Keys) -> None:
    page = keys.page
    await page.goto(await keys.desk.link())
    await tab_to(page, text_is("Jetzt anmelden"), "the sign-in button")
    await press_and_wait(page)
    await page.wait_for_url("**/staff/")
    keys.notes["overview"] = page.url
    assert await heading(page) == "Übersicht: Digitalcafé Musterstadt"


async def write_and_schedule_announcement(keys: Keys) -> None:
    """From the overview: write an announcement (the tip shows while typing), see the
    preview, schedule it for Monday 9 o'clock; the overview lists it."""
    page = keys.page
    text = "Das Event ist am Montag um 15 Uhr im Raum 2."
    await follow(keys, text_is("Eine Ankündigung schreiben"), "the announcements link")
    await type_into(page, "text", text)
    await expect(page.locator("#tips")).to_contain_text('Schreiben Sie "Termin" statt "Event".')
    # Tab reaches the chosen radio button ("Jetzt verschicken"); the arrow picks "Später".
    await tab_to(page, id_is("timing-now"), "the choice when")
    await page.keyboard.press("ArrowDown")
    assert await page.locator("#timing-later").is_checked()
    await type_into(page, "when", "Montag 9 Uhr")
    await press_and_wait(page)
    assert await heading(page) == "So wird es aussehen"
    await tab_to(page, text_is("Ja, so planen"), "the button that schedules it")
    await press_and_wait(page)
    assert "Gespeichert." in await page.get_by_role("status").inner_text()
    await overview(keys)
    assert text in await page.locator("section[aria-labelledby=posts]").inner_text()


Task = Callable[[Keys], Awaitable[None]]

# The tasks, in the order they run (each after sign_in).
TASKS: list[Task] = [
    write_and_schedule_announcement,
]
