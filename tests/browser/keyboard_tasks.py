"""Staff tasks done with the keyboard alone, for tests/browser/test_keyboard_only.py.

Each task is one async function taking a ``Keys`` (the page, the running bot, and notes the
tasks pass on); it uses ``page.keyboard`` only (Tab, Shift+Tab, Enter, Space, arrow keys,
typing), never ``click()`` or ``fill()``, and finds its way by tabbing and looking at
``document.activeElement``. Going to the overview's address counts as typing it into the
address bar. Each task asserts its effect (the page or the database).

To add a task: write one function below, then add it as one line at the end of ``TASKS``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from playwright.async_api import Page
from sqlalchemy import select

from bot.domain.models import HelpRequest
from tests.browser.conftest import DESK, UPRIGHT, axe_violations, screenshot
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

    @property
    def app(self) -> Any:
        assert self.desk.bot.app is not None
        return self.desk.bot.app


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


def text_starts(text: str) -> Callable[[dict[str, str]], bool]:
    return lambda f: f["text"].startswith(text)


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


async def checked(page: Page, name: str) -> None:
    """axe-core finds nothing on the page, at the desk and upright; a screenshot of each."""
    for size, label in ((UPRIGHT, "800x1280"), (DESK, "1280x800")):
        await page.set_viewport_size(size)
        assert await axe_violations(page) == [], label
        await screenshot(page, f"staff-{name}-{label}")


async def download(page: Page) -> tuple[str, bytes]:
    async with page.expect_download() as started:
        await page.keyboard.press("Enter")
    got = await started.value
    return got.suggested_filename, (await got.path()).read_bytes()


# The tasks, in the order they run.


async def sign_in(keys: Keys) -> None:
    page = keys.page
    await page.goto(await keys.desk.link())
    await tab_to(page, text_is("Jetzt anmelden"), "the sign-in button")
    await press_and_wait(page)
    await page.wait_for_url("**/staff/")
    keys.notes["overview"] = page.url
    assert await heading(page) == "Übersicht: Digitalcafé Musterstadt"


async def handle_help_request(keys: Keys) -> None:
    """A request for someone who called, on the help page: name, phone, topic, words, by
    phone (arrow keys in the radio group), saved and looked for."""
    page = keys.page
    await follow(keys, text_is("Hilfe-Anfragen"), "the help requests")
    assert await heading(page) == "Hilfe-Anfragen: Digitalcafé Musterstadt"
    await type_into(page, "caller-name", "Hanna Hand")
    await type_into(page, "caller-phone", "04542 777")
    await tab_to(page, id_is("caller-topic"), "the topic")
    await page.keyboard.type("Tablet")
    await type_into(page, "caller-what", "E-Mails lesen")
    await tab_to(page, id_is("where-cafe"), "where")
    await page.keyboard.press("ArrowDown")
    assert (await focused(page))["id"] == "where-phone"
    await tab_to(page, text_is("Speichern und jemanden suchen"), "the save button")
    await press_and_wait(page)
    assert "ist gespeichert. Wir suchen jemanden." in await page.get_by_role("status").inner_text()
    await checked(page, "help-keyboard")
    async with keys.app.sessions() as session:
        saved = await session.scalar(
            select(HelpRequest).where(HelpRequest.description == "E-Mails lesen")
        )
    assert saved is not None
    assert (saved.skill, saved.place, saved.phone) == ("tablet", "phone", "04542 777")


Task = Callable[[Keys], Awaitable[None]]

TASKS: list[Task] = [
    sign_in,
    handle_help_request,
]
