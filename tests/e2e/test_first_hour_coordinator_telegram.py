"""A coordinator's first hour on Telegram (#18's acceptance), PTB unmodified against the fake
Bot API server: after the December Digitalcafé, Cora, new in the coordination, takes the
tables and the half-year report out of the bot.

Issue points met on the way:

* 11 – ``/export`` in one line: ``xlsx``, ``excel`` or no file type all give XLSX, "mit
  Namen" works in any position, single tables have German file names; the step-by-step
  dialog offers "Mit Namen"; each file really arrives as a document and opens with openpyxl
  with the right sheets; the half-year report arrives (key figures, three charts, a text
  for the groups);
* 14 (the export part) – staff who only took attendance are not in the volunteers' sheet;
* 10 – the bot's @name after the README's ``/verbinden 1@bot``;
* 16 – counts in their grammar in the report ("kam 1 Mensch zu 2 Terminen"), and no
  "im Schnitt – von 5" while nobody has rated.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from openpyxl.workbook import Workbook

from tests.e2e.telegram_bot import RunningBot, fast_server
from tests.e2e.telegram_story import Story, download, labels, seen, settled
from tests.fakes.clock import FakeClock
from tests.fakes.telegram_server import FakeTelegramServer, SentRecord

GROUP_ID = -4200
START = datetime(2026, 12, 9, 14, 0, tzinfo=UTC)  # 15:00 in Berlin
SLUG = "digitalcafe-musterstadt"
SHEETS = [
    "Termine",
    "Anwesenheit",
    "Reihen",
    "Rückmeldungen",
    "Themenwünsche",
    "Digitallotsen",
    "Hilfe-Anfragen",
    "Wen wir erreichen",
]
YEAR = "Ihre Datei für Digitalcafé Musterstadt, Donnerstag, 1. Januar 2026 bis Donnerstag, "
YEAR += "31. Dezember 2026."
WITH_NAMES = "Mit Namen, wie gewünscht. Bitte bewahren Sie die Datei sicher auf."
LABELLED = (
    "Personen stehen dort als Kennung wie P-3F9A2C. In jeder Tabelle dieser Datei ist sie gleich."
)
# What Cora types, the words in any order: the file she gets, and whether names are in it.
ONE_LINERS = [
    ("/export anwesenheit xlsx 2026", "anwesenheit", False),
    ("/export 2026 excel anwesenheit", "anwesenheit", False),
    ("/export anwesenheit 2026", "anwesenheit", False),  # no file type: XLSX
    ("/export mit Namen anwesenheit 2026", "anwesenheit", True),
    ("/export anwesenheit mit Namen 2026", "anwesenheit", True),
    ("/export anwesenheit 2026 mit Namen", "anwesenheit", True),
]


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with fast_server() as fake:
        yield fake
    assert fake.internal_errors == []


@pytest.fixture
async def bot(server, sqlite_url, tmp_path) -> AsyncIterator[RunningBot]:  # type: ignore[no-untyped-def]
    # An hour squeezed into seconds: more messages than the flood guard's minute allows.
    running = RunningBot(
        server, sqlite_url, tmp_path, clock=FakeClock(), privacy={"flood_messages": 1000}
    )
    await running.start()
    yield running
    await running.stop()


async def _workbook(server: FakeTelegramServer, sent: SentRecord) -> tuple[str, Workbook]:
    """The document as Cora's Telegram app downloads it, opened as a workbook."""
    assert sent.method == "sendDocument", seen(sent)
    name, data = await download(server, sent)
    return name, load_workbook(io.BytesIO(data))


def _rows(book: Workbook, sheet: str) -> list[list[object]]:
    return [[cell.value for cell in row] for row in book[sheet].iter_rows()]


async def _report(story: Story, cora: dict) -> list[SentRecord]:  # type: ignore[type-arg]
    """The half-year report: every message it brings, up to the text for the groups."""
    mark = len(story.server.sent)
    story.server.post_message(
        story.server.private_chat(cora), cora, "/export bericht 2. Halbjahr 2026"
    )
    await story.answer(cora["id"], mark, "Danke an alle")
    return [r for r in story.server.sent[mark:] if r.chat_id == cora["id"]]


async def test_cora_takes_the_tables_and_the_report(server, bot) -> None:  # type: ignore[no-untyped-def]
    story = Story(server, GROUP_ID, "Digitalcafé Musterstadt")
    ada = server.user(1, "Ada")  # staff (the bot's admin): plans the date, takes attendance
    cora = server.user(300, "Cora")
    anna, bert = server.user(1001, "Anna"), server.user(1002, "Bert")
    me = server.bot_user["username"]

    # The December café, as the staff story makes it (point 10: the README's linking form).
    linked = await story.say(ada, f"/verbinden 1@{me}", in_group=True)
    assert seen(linked) == "Fertig. Dieser Chat gehört jetzt zu Digitalcafé Musterstadt."
    preview = await story.say(ada, "/termin_neu Digitalcafé; 9.12. 15–17 Uhr; Stadtbibliothek; 10")
    mark = len(server.sent)
    await story.press(ada, preview, "Speichern und jetzt ankündigen")
    post = await story.answer(GROUP_ID, mark, "Digitalcafé")
    for person in (anna, bert):
        server.press_button(GROUP_ID, person, post.message_id, post.callback_data[0])  # type: ignore[arg-type]
        await story.answer(person["id"], mark, "Sie sind angemeldet.")
    # At the door Ada ticks Anna off; Bert does not come.
    bot.clock.set(START)
    door = await story.say(ada, "/anwesenheit")
    assert labels(door)[:2] == ["⬜ Anna", "⬜ Bert"]
    ticked = await story.press(ada, door, "⬜ Anna", edited=True)
    assert labels(ticked)[:2] == ["✅ Anna", "⬜ Bert"]
    bot.clock.set(START + timedelta(hours=2, minutes=30))
    await bot.app.scheduler.run_due()
    asked = await story.answer(anna["id"], mark, "Wie war es?")
    await settled(server, app=bot.app)

    # Cora joins the group and gets the coordination role.
    await story.say(cora, "/start", in_group=True, contains="Hallo Cora")
    number = seen(await story.say(cora, "/ich")).split()[3].rstrip(".")
    granted = await story.say(ada, f"/rolle_geben {number} koordination", in_group=True)
    assert seen(granted) == "Cora hat jetzt die Rolle Koordination."

    # Point 11: the dialog, step by step, offers names; the file arrives and opens.
    what = await story.say(cora, "/export")
    assert seen(what) == "Was möchten Sie als Datei haben?"
    assert labels(what) == ["Halbjahresbericht", "Alle Tabellen", *SHEETS]
    kind = await story.press(cora, what, "Alle Tabellen")
    assert seen(kind) == "Welche Art von Datei?"
    assert labels(kind) == ["Excel (XLSX)", "CSV mit Komma", "CSV mit Semikolon (Excel)"]
    names = await story.press(cora, kind, "Excel (XLSX)")
    assert seen(names).splitlines() == [
        "Sollen Namen in der Datei stehen?",
        "Ohne Namen stehen dort Kennzeichen wie P-3F9A2C.",
    ]
    assert labels(names) == ["Ohne Namen", "Mit Namen"]
    period = await story.press(cora, names, "Mit Namen")
    assert seen(period).startswith("Welcher Zeitraum?")
    assert labels(period) == ["Dieses Halbjahr", "Letztes Halbjahr", "Dieses Jahr", "Letztes Jahr"]
    sent = await story.press(cora, period, "Dieses Halbjahr")
    assert seen(sent).splitlines() == [
        "Ihre Datei für Digitalcafé Musterstadt, Mittwoch, 1. Juli 2026 bis Donnerstag, "
        "31. Dezember 2026. Zeilen: 5.",
        WITH_NAMES,
    ]
    name, book = await _workbook(server, sent)
    assert name == f"{SLUG}-tabellen-2026-07-01-2026-12-31.xlsx"
    assert book.sheetnames == SHEETS
    attendance = _rows(book, "Anwesenheit")
    assert attendance[0] == ["Datum", "Termin", "Person", "Erfasst", "Angemeldet"]
    assert attendance[1:] == [
        [datetime(2026, 12, 9, 15, 0), "Digitalcafé", "Anna", "von den Verantwortlichen", "ja"]
    ]
    # Point 14: Ada took attendance, but she is staff, not a Digitallotse.
    assert _rows(book, "Digitallotsen")[1:] == []

    # Point 11: one line, the words in any order; XLSX unless she names another type.
    for line, table, named in ONE_LINERS:
        sent = await story.say(cora, line)
        assert seen(sent).splitlines() == [f"{YEAR} Zeilen: 1.", WITH_NAMES if named else LABELLED]
        name, book = await _workbook(server, sent)
        assert name == f"{SLUG}-{table}-2026-01-01-2026-12-31.xlsx", line
        assert book.sheetnames == ["Anwesenheit"], line
        [row] = _rows(book, "Anwesenheit")[1:]
        assert (row[2] == "Anna") is named, (line, row)
    sent = await story.say(cora, "/export lotsen 2026 mit Namen")
    name, book = await _workbook(server, sent)
    assert name == f"{SLUG}-digitallotsen-2026-01-01-2026-12-31.xlsx"
    assert book.sheetnames == ["Digitallotsen"] and _rows(book, "Digitallotsen")[1:] == []
    sent = await story.say(cora, "/export rückmeldungen csv 2026")
    assert sent.filename == f"{SLUG}-rueckmeldungen-2026-01-01-2026-12-31.csv"

    # Point 11: the half-year report; nobody has rated yet (point 16: no "– von 5").
    summary, pdf, *charts, intro, public = await _report(story, cora)
    assert seen(summary).splitlines() == [
        "Halbjahresbericht: Digitalcafé Musterstadt",
        "Im zweiten Halbjahr 2026",
        "",
        "Termine: 2 (abgesagt: 0)",  # the demo community's sample date and ours
        "Besuche: 1, davon ohne Anmeldung: 0",
        "Verschiedene Personen: 1",
        "Anmeldungen: 2, nicht gekommen: 1 (50 %)",
        "Bewertungen: 0; Kommentare: 0",
        "Themenwünsche: 0",
        "Hilfe-Anfragen: 0, erledigt: 0, Minuten Hilfe: 0",
        "Aktive Digitallotsen: 0",
    ]
    # The whole report as one PDF to print, then three charts as pictures, each saying what
    # it shows.
    assert (pdf.method, seen(pdf)) == (
        "sendDocument",
        "Der ganze Bericht als PDF, zum Ausdrucken oder Weiterschicken.",
    )
    assert pdf.filename == f"{SLUG}-bericht-2026-07-01-2026-12-31.pdf"
    assert [(c.method, seen(c)) for c in charts] == [
        ("sendPhoto", "Ein Bild für Ihren Bericht: Besuche pro Termin"),
        ("sendPhoto", "Ein Bild für Ihren Bericht: Wie war es? (Bewertungen)"),
        ("sendPhoto", "Ein Bild für Ihren Bericht: Hilfe-Anfragen nach Thema"),
    ]
    assert [c.filename for c in charts] == [
        f"{SLUG}-{part}-2026-07-01-2026-12-31.png"
        for part in ("besuche", "bewertungen", "hilfe-themen")
    ]
    assert seen(intro).startswith("Ein kurzer Text für Ihre Gruppen, ohne Namen.")
    assert seen(public).splitlines() == [
        "Im zweiten Halbjahr 2026 kam 1 Mensch zu 2 Terminen.",
        "Danke an alle, die mitgemacht haben!",
    ]
    assert "Anna" not in seen(public) and "Bert" not in seen(public)

    # Anna answers "Wie war es?"; the next report counts her rating.
    await story.press(anna, asked, "😀 Sehr gut")
    summary, *_rest = await _report(story, cora)
    assert "Bewertungen: 1, im Schnitt 5 von 5; Kommentare: 0" in seen(summary).splitlines()

    # Only the coordination, and only privately: the group never gets a file.
    assert not any(r.filename for r in server.messages_to(GROUP_ID))
