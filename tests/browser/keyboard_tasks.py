"""Staff tasks done with the keyboard alone, for tests/browser/test_keyboard_only.py.

Each task is one async function taking a ``Keys`` (the page, the running bot, and notes the
tasks pass on); it uses ``page.keyboard`` only (Tab, Shift+Tab, Enter, Space, arrow keys,
typing), never ``click()`` or ``fill()``, and finds its way by tabbing and looking at
``document.activeElement``. Going to the overview's address counts as typing it into the
address bar. Each task asserts its effect (the page or the database).

To add a task: write one function below, then add it as one line at the end of ``TASKS``.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import openpyxl
from odf import teletype
from odf.opendocument import load
from odf.text import H, P
from playwright.async_api import Page, expect
from sqlalchemy import select

from bot.domain.models import Attendance, Event, HelpRequest, Person, Rsvp
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


async def create_a_fortnightly_series(keys: Keys) -> None:
    page = keys.page
    await follow(keys, text_is("Termine"), "the dates")
    await tab_to(page, text_is("Neuer Termin"), "the new date link")
    await press_and_wait(page)
    await type_into(page, "title", "Computertreff")
    await type_into(page, "when", "alle zwei Wochen samstags 10 Uhr")
    await type_into(page, "place", "Stadtbücherei")
    await type_into(page, "capacity", "8")
    await tab_to(page, text_is("Termin speichern"), "the save button")
    await press_and_wait(page)
    assert await heading(page) == "Computertreff"
    async with keys.app.sessions() as session:
        found = await session.scalars(
            select(Event).where(Event.title == "Computertreff").order_by(Event.starts_at)
        )
        dates = list(found.all())
    assert len(dates) > 3
    assert f"{dates[0].starts_at:%Y-%m-%d}" == "2026-11-21"  # tomorrow, a Saturday
    assert all(
        b.starts_at - a.starts_at == timedelta(days=14) for a, b in itertools.pairwise(dates)
    )
    keys.notes["series"] = [d.id for d in dates]


async def edit_one_dates_room(keys: Keys) -> None:
    page = keys.page
    first, second, third = keys.notes["series"][:3]
    await follow(keys, text_is("Termine"), "the dates")
    await tab_to(page, lambda f: f["href"].startswith(f"/staff/dates/{second}?"), "the 2nd date")
    await press_and_wait(page)
    await type_into(page, "place", "Stadtbücherei, Raum 3")
    await tab_to(page, text_is("Änderung zeigen"), "the show-the-change button")
    await press_and_wait(page)
    assert "Stadtbücherei, Raum 3" in await page.locator("table").inner_text()
    await tab_to(page, text_is("Ja, ändern"), "the yes button")
    await press_and_wait(page)
    async with keys.app.sessions() as session:
        places = {e.id: e.place for e in await session.scalars(select(Event))}
    assert places[second] == "Stadtbücherei, Raum 3"
    assert places[first] == places[third] == "Stadtbücherei"


async def add_phone_callers(keys: Keys) -> None:
    """The first date of the series (tomorrow): a caller with a number, and two more."""
    page = keys.page
    await follow(keys, lambda f: f["text"].startswith("Personen Computertreff"), "the people")
    assert await heading(page) == "Personen: Computertreff"
    for name, phone in (
        ("Erika Muster", "04542 1234"),
        ("Hans Berg", "04542 5678"),
        ("Olga Kühn", ""),
    ):
        await type_into(page, "add-name", name)
        await type_into(page, "add-phone", phone)
        await tab_to(page, text_is("Anmelden"), "the sign-up button")
        await press_and_wait(page)
        assert await page.get_by_role("status").inner_text() == "Die Person ist angemeldet."
    async with keys.app.sessions() as session:
        rows = await session.execute(
            select(Person.display_name, Rsvp.phone)
            .join(Rsvp, Rsvp.person_id == Person.id)
            .where(Rsvp.event_id == keys.notes["series"][0])
            .order_by(Rsvp.id)
        )
        assert [tuple(r) for r in rows] == [
            ("Erika Muster", "04542 1234"),
            ("Hans Berg", "04542 5678"),
            ("Olga Kühn", None),
        ]


async def check_three_in_at_the_door(keys: Keys) -> None:
    page = keys.page
    await follow(keys, lambda f: f["text"].startswith("An der Tür Computertreff"), "the door")
    for name in ("Erika Muster", "Hans Berg", "Olga Kühn"):
        await tab_to(page, text_starts(name), f"the button of {name}")
        await press_and_wait(page)
    status = page.get_by_role("status").first
    assert await status.inner_text() == "Da: 3. Angemeldet: 3. Gäste: 0."
    async with keys.app.sessions() as session:
        there = await session.scalars(
            select(Person.display_name)
            .join(Attendance, Attendance.person_id == Person.id)
            .where(Attendance.event_id == keys.notes["series"][0])
            .order_by(Person.display_name)
        )
        assert list(there) == ["Erika Muster", "Hans Berg", "Olga Kühn"]


async def download_an_export(keys: Keys) -> None:
    page = keys.page
    await follow(keys, text_is("Exporte: Tabellen und Halbjahresbericht"), "the exports")
    await tab_to(page, text_is("Tabellen herunterladen (Excel)"), "the tables button")
    name, data = await download(page)
    assert name.endswith("-tabellen-2026-07-01-2026-12-31.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(data))
    cells = {str(c.value) for sheet in book for row in sheet.iter_rows() for c in row}
    assert "Computertreff" in cells


async def download_a_press_text(keys: Keys) -> None:
    """The series' text: the first date is chosen already; the arrow key picks "series"."""
    page = keys.page
    await follow(keys, text_is("Texte für das Amtsblatt und die Zeitung"), "the press texts")
    await checked(page, "press")
    await tab_to(page, id_is("what-date"), "the choice of what the text names")
    await page.keyboard.press("ArrowDown")
    assert (await focused(page))["id"] == "what-series"
    await tab_to(page, text_is("Für die Textverarbeitung herunterladen (.odt)"), "the .odt button")
    name, data = await download(page)
    assert name == "presse-reihe-2026-11-21.odt"
    document = load(io.BytesIO(data))
    lines = [teletype.extractText(e) for e in document.getElementsByType(H)] + [
        teletype.extractText(e) for e in document.getElementsByType(P)
    ]
    assert lines[0] == "Digitalcafé Musterstadt lädt ein: Computertreff"
    assert "– Samstag, 21. November 2026, 10:00 Uhr" in lines
    assert "– Samstag, 5. Dezember 2026, 10:00 Uhr" in lines


async def mark_a_reminder_call_done(keys: Keys) -> None:
    """Erika wants a reminder call (staff say so in chat); tomorrow's list on the web page."""
    page, server, ada = keys.page, keys.desk.server, keys.desk.ada
    first = keys.notes["series"][0]
    mark = len(server.sent)
    server.post_message(server.private_chat(ada), ada, f"/anrufe {first}")
    listing = await server.wait_for(
        lambda r: r.chat_id == 1 and "Erinnerungsanruf" in (r.text or ""), timeout=20, start=mark
    )
    [erika] = [
        b["callback_data"]
        for row in listing.reply_markup["inline_keyboard"]
        for b in row
        if b["text"] == "Erika Muster"
    ]
    mark = len(server.sent)
    server.press_button(1, ada, listing.message_id, erika)
    await server.wait_for(
        lambda r: r.chat_id == 1 and "bekommt einen" in (r.text or ""), timeout=20, start=mark
    )
    await follow(keys, text_starts("Morgen bitte anrufen: 1 Person"), "the calls")
    assert await heading(page) == "Morgen bitte anrufen: Digitalcafé Musterstadt"
    await tab_to(page, text_starts("Erledigt"), "the done button")
    await press_and_wait(page)
    assert "✓ angerufen" in await page.locator(".calls").inner_text()
    await checked(page, "calls")
    async with keys.app.sessions() as session:
        called = await session.scalar(
            select(Rsvp.called_at)
            .join(Person, Person.id == Rsvp.person_id)
            .where(Person.display_name == "Erika Muster")
        )
    assert called is not None


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

TASKS: list[Task] = [
    sign_in,
    create_a_fortnightly_series,
    edit_one_dates_room,
    add_phone_callers,
    check_three_in_at_the_door,
    download_an_export,
    download_a_press_text,
    mark_a_reminder_call_done,
    handle_help_request,
    write_and_schedule_announcement,
]
