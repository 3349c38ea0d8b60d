"""/export for coordinators: the questions, XLSX and CSV read back (pseudonyms, names on
request, neutralised formulas), the half-year report with charts and texts, who we reach
with small groups left out, the audit log, and who may not export.

The date, sign-ups, attendance and feedback are made through the chat; help requests and
the optional person facts (age band, Ortsteil) are written to the database directly, since
their own dialogs are long and tested elsewhere."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select

from bench.export import seed
from bot.chat.types import ChatRef
from bot.cli import main as cli_main
from bot.domain.models import (
    Account,
    Attendance,
    AuditLog,
    Event,
    HelpRequest,
    Person,
)
from tests.fakes.memory import Conversation, Shown
from tests.fakes.memory import Person as Someone
from tests.handlers.conftest import ADA, GROUP
from tests.pdfs import pages_of, reader

# Hostile names and answers: a spreadsheet must show them as text, never run them.
ANNA = Someone("100", '=HYPERLINK("http://evil.example","Anna")')
BERT, CARL = Someone("101", "+Bert"), Someone("102", "Carl")
CORA = Someone("300", "Cora Koordinatorin")
START = datetime(2026, 12, 9, 14, 0, tzinfo=UTC)  # 15:00 in Berlin
END = START + timedelta(hours=2)
PSEUDONYM = re.compile(r"^P-[0-9A-F]{6,}$")


def private(person: Someone) -> ChatRef:
    return ChatRef("telegram", person.user_id, "direct")


@pytest.fixture
async def tgx(tg: Conversation) -> AsyncIterator[Conversation]:
    yield tg


async def _number(tg: Conversation, person: Someone) -> str:
    [me] = await tg.say(person, "/ich")
    return me.text.split()[3].rstrip(".")


async def _coordinator(tg: Conversation) -> None:
    await tg.say(CORA, "/start", chat=tg.group(GROUP))
    number = await _number(tg, CORA)
    await tg.say(ADA, f"/rolle_geben {number} koordination", chat=tg.group(GROUP))


async def _date_with_answers(tg: Conversation) -> Event:
    """Anna, Bert and Carl sign up; Anna and Bert come; both rate it, with hostile text."""
    [preview] = await tg.say(ADA, "/termin_neu Digitalcafé; 9.12. 15–17 Uhr; Stadtbibliothek; 10")
    await tg.press(ADA, preview, "Speichern und jetzt ankündigen")
    [post] = [s for s in tg.adapter.to(GROUP) if s.buttons]
    for person in (ANNA, BERT, CARL):
        await tg.press(person, post, "Ich komme", chat=tg.group(GROUP))
    async with tg.app.sessions() as session:
        event = await session.scalar(select(Event).where(Event.place == "Stadtbibliothek"))
    assert event is not None
    tg.app.clock.set(START)  # type: ignore[attr-defined]
    [listing] = await tg.say(ADA, f"/anwesenheit {event.id}")
    await tg.press(ADA, listing, f"⬜ {ANNA.name}")
    await tg.press(ADA, tg.adapter.current(listing.message_id), "⬜ +Bert")
    tg.app.clock.set(END + timedelta(minutes=30))  # type: ignore[attr-defined]
    await tg.app.scheduler.run_due()
    shown = await tg.flush()
    asked = {s.chat_id: s for s in shown if "Wie war es?" in s.text}
    await tg.press(ANNA, asked["100"], "😀 Sehr gut", chat=private(ANNA))
    await tg.say(ANNA, "=1+1 sehr schön", chat=private(ANNA))
    await tg.say(ANNA, "@Fotos auf dem Handy", chat=private(ANNA))
    await tg.press(BERT, asked["101"], "🙂 Gut", chat=private(BERT))
    await tg.say(BERT, "-Super erklärt", chat=private(BERT))
    await tg.say(BERT, "nein", chat=private(BERT))
    return event


async def _person_id(tg: Conversation, who: Someone) -> int:
    async with tg.app.sessions() as session:
        found = await session.scalar(
            select(Account.person_id).where(Account.external_id == who.user_id)
        )
    assert found is not None
    return found


def _book(shown: Shown):  # type: ignore[no-untyped-def]
    assert shown.attachment is not None
    assert shown.attachment.filename.endswith(".xlsx")
    return load_workbook(io.BytesIO(shown.attachment.data))


def _values(book, sheet: str) -> list[list]:  # type: ignore[no-untyped-def,type-arg]
    return [[c.value for c in row] for row in book[sheet].iter_rows()]


async def test_export_asks_step_by_step_and_sends_a_pseudonymised_workbook(
    tgx: Conversation,
) -> None:
    tg = tgx
    await _coordinator(tg)
    await _date_with_answers(tg)
    [what] = await tg.say(CORA, "/export")
    assert what.chat_id == "dm-300"
    assert what.text == "Was möchten Sie als Datei haben?"
    labels = [label for label, _ in what.buttons]
    assert labels[:4] == ["Halbjahresbericht", "Alle Tabellen", "Termine", "Anwesenheit"]
    [kind] = await tg.press(CORA, what, "Alle Tabellen")
    assert kind.text == "Welche Art von Datei?"
    [names] = await tg.press(CORA, kind, "Excel (XLSX)")
    assert names.text.startswith("Sollen Namen in der Datei stehen?")
    assert [label for label, _ in names.buttons] == ["Ohne Namen", "Mit Namen"]
    [period] = await tg.press(CORA, names, "Ohne Namen")
    assert period.text.startswith("Welcher Zeitraum?")
    [wrong] = await tg.say(CORA, "im Sommer")
    assert wrong.text.startswith("Den Zeitraum habe ich nicht verstanden.")
    [sent] = await tg.say(CORA, "2. Halbjahr 2026")
    assert sent.chat_id == "dm-300"
    assert sent.text.startswith("Ihre Datei für Digitalcafé Musterstadt")
    assert "P-3F9A2C" in sent.text  # how labels look
    book = _book(sent)
    assert book.sheetnames[:4] == ["Termine", "Anwesenheit", "Reihen", "Rückmeldungen"]
    attendance = _values(book, "Anwesenheit")
    assert attendance[0] == ["Datum", "Termin", "Person", "Erfasst", "Angemeldet"]
    assert [row[4] for row in attendance[1:]] == ["ja", "ja"]
    people = [row[2] for row in attendance[1:]]
    assert all(PSEUDONYM.match(p) for p in people) and len(set(people)) == 2
    assert attendance[1][0] == datetime(2026, 12, 9, 15, 0)  # a real date, Berlin time
    # The same person has the same label in every sheet of this file.
    ratings = _values(book, "Rückmeldungen")
    assert {row[2] for row in ratings[1:]} == set(people)
    assert sorted((row[3], row[4]) for row in ratings[1:]) == [
        (4, "'-Super erklärt"),
        (5, "'=1+1 sehr schön"),
    ]
    assert [row[3] for row in _values(book, "Themenwünsche")[1:]] == ["'@Fotos auf dem Handy"]
    dates = _values(book, "Termine")
    assert dates[0][4:8] == ["Angemeldet", "Da", "Davon ohne Anmeldung", "Nicht gekommen"]
    # The community's demo date is in the sheet too; ours is the one on 9 December.
    [ours] = [row for row in dates[1:] if row[0] == datetime(2026, 12, 9, 15, 0)]
    assert ours[1:8] == ["Digitalcafé", "hat stattgefunden", 10, 3, 2, 0, 1]
    text = repr([_values(book, name) for name in book.sheetnames])
    assert "Anna" not in text and "Bert" not in text and "Carl" not in text
    async with tg.app.sessions() as session:
        [log] = (await session.scalars(select(AuditLog).where(AuditLog.action == "export"))).all()
    assert log.actor_person_id == await _person_id(tg, CORA)
    assert log.details["what"] == "all" and log.details["names"] is False
    assert log.details["start"] == "2026-07-01" and log.details["via"] == "chat"


async def test_one_line_csv_with_semicolons_and_names_on_request(tgx: Conversation) -> None:
    tg = tgx
    await _coordinator(tg)
    await _date_with_answers(tg)
    [sent] = await tg.say(CORA, "/export anwesenheit csv; 1.12.2026 - 31.12.2026 mit Namen")
    assert "Mit Namen, wie gewünscht." in sent.text
    assert sent.attachment is not None and sent.attachment.filename.endswith(".csv")
    raw = sent.attachment.data
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Datum", "Termin", "Person", "Erfasst", "Angemeldet"]
    assert sorted(row[2] for row in rows[1:]) == ["'+Bert", "'" + ANNA.name]
    assert rows[1][0] == "2026-12-09 15:00"
    [plain] = await tg.say(CORA, "/export rückmeldungen csv 2026")
    assert plain.attachment is not None
    rows = list(csv.reader(io.StringIO(plain.attachment.data.decode("utf-8-sig"))))
    assert all(PSEUDONYM.match(row[2]) for row in rows[1:])
    assert {row[4] for row in rows[1:]} == {"'=1+1 sehr schön", "'-Super erklärt"}
    async with tg.app.sessions() as session:
        logs = (
            await session.scalars(
                select(AuditLog).where(AuditLog.action == "export").order_by(AuditLog.id)
            )
        ).all()
    assert [(log.details["what"], log.details["names"]) for log in logs] == [
        ("attendance", True),
        ("feedback", False),
    ]


# What coordinators type, in any order: (line, file name part, suffix, names shown).
ONE_LINERS = [
    ("/export anwesenheit 2026", "anwesenheit-2026-01-01-2026-12-31", "xlsx", False),
    ("/export anwesenheit xlsx 2026", "anwesenheit-2026-01-01-2026-12-31", "xlsx", False),
    ("/export xlsx anwesenheit 2026", "anwesenheit-2026-01-01-2026-12-31", "xlsx", False),
    ("/export 2026 excel anwesenheit", "anwesenheit-2026-01-01-2026-12-31", "xlsx", False),
    ("/export Anwesenheit als Excel-Datei, 2. Halbjahr 2026", "anwesenheit-2026-07-01", "xlsx", 0),
    ("/export anwesenheit dieses Halbjahr", "anwesenheit-2026-07-01-2026-12-31", "xlsx", False),
    ("/export anwesenheit 1. Halbjahr", "anwesenheit-2026-01-01-2026-06-30", "xlsx", False),
    ("/export erstes Halbjahr 2026 anwesenheit", "anwesenheit-2026-01-01", "xlsx", False),
    ("/export termine Dezember 2026", "termine-2026-12-01-2026-12-31", "xlsx", False),
    ("/export termine letzten Monat", "termine-2026-11-01-2026-11-30", "xlsx", False),
    ("/export lotsen vom 1.7.2026 bis 31.12.2026", "digitallotsen-2026-07-01", "xlsx", False),
    ("/export mit Namen anwesenheit 2026", "anwesenheit-2026-01-01", "xlsx", True),
    ("/export anwesenheit mit Namen 2026", "anwesenheit-2026-01-01", "xlsx", True),
    ("/export anwesenheit 2026 mit Namen", "anwesenheit-2026-01-01", "xlsx", True),
    ("/export anwesenheit 2026 ohne Namen", "anwesenheit-2026-01-01", "xlsx", False),
    ("/export mit Namen csv rückmeldungen 2026", "rueckmeldungen-2026-01-01", "csv", True),
    ("/export hilfe 2026 csv", "hilfe-anfragen-2026-01-01", "csv", False),
    ("/export 2026 wünsche csv;", "themenwuensche-2026-01-01", "csv", False),
    ("/export alle Tabellen 2026", "tabellen-2026-01-01-2026-12-31", "xlsx", False),
    ("/export 2026 alles mit Namen xlsx", "tabellen-2026-01-01", "xlsx", True),
]


async def test_one_line_export_in_any_order_with_xlsx_as_default(tgx: Conversation) -> None:
    tg = tgx
    tg.app.clock.set(datetime(2026, 12, 7, 9, tzinfo=UTC))  # type: ignore[attr-defined]
    await _coordinator(tg)
    for line, part, suffix, names in ONE_LINERS:
        [sent] = await tg.say(CORA, line)
        assert sent.attachment is not None, (line, sent.text)
        name = sent.attachment.filename
        assert name.startswith(f"digitalcafe-musterstadt-{part}"), (line, name)
        assert name.endswith(f".{suffix}"), (line, name)
        assert ("Mit Namen, wie gewünscht." in sent.text) is bool(names), line
    [wrong] = await tg.say(CORA, "/export anwesenheit im Sommer")
    assert wrong.text.startswith("Den Zeitraum habe ich nicht verstanden.")


async def test_staff_who_took_attendance_are_not_in_the_volunteers_sheet(
    tgx: Conversation,
) -> None:
    tg = tgx
    await _coordinator(tg)
    await _date_with_answers(tg)  # Ada, staff, took attendance
    [sent] = await tg.say(CORA, "/export lotsen 2026 mit Namen")
    assert sent.attachment is not None
    assert sent.attachment.filename.startswith("digitalcafe-musterstadt-digitallotsen-2026")
    assert _values(_book(sent), "Digitallotsen")[1:] == []
    # Once Ada is a Digitallotse, the date she served at counts for her.
    await tg.say(ADA, f"/lotse_einladen {await _number(tg, ADA)}")
    [sent] = await tg.say(CORA, "/export lotsen 2026 mit Namen")
    rows = _values(_book(sent), "Digitallotsen")[1:]
    assert [(row[0], row[4], row[5]) for row in rows] == [("Ada", 1, "09.12.2026")]


async def test_half_year_report_with_charts_texts_and_who_we_reach(tgx: Conversation) -> None:
    tg = tgx
    await _coordinator(tg)
    event = await _date_with_answers(tg)
    requester = await _person_id(tg, CARL)
    helper = await _person_id(tg, ADA)
    async with tg.app.sessions() as session:
        # The demo community's own sample date would count too: it goes.
        await session.execute(delete(Event).where(Event.id != event.id))
        # Seven more visitors told us their age band and Ortsteil: 5 are 70-79, 2 are 80+.
        for n, band in enumerate(["70-79"] * 5 + ["80+"] * 2):
            person = Person(
                display_name=f"Gast {n}",
                age_band=band,
                area="Altstadt",
                facts_consent_at=START,
            )
            session.add(person)
            await session.flush()
            session.add(Attendance(event_id=event.id, person_id=person.id, how="guest"))
        session.add_all(
            [
                HelpRequest(
                    community_id=event.community_id,
                    requester_id=requester,
                    skill="smartphone",
                    status="done",
                    volunteer_id=helper,
                    created_at=START - timedelta(days=3),
                    accepted_at=START - timedelta(days=3) + timedelta(hours=5),
                    done_at=START - timedelta(days=1),
                    minutes=45,
                ),
                HelpRequest(
                    community_id=event.community_id,
                    requester_id=requester,
                    skill="printer",
                    status="open",
                    created_at=START - timedelta(days=2),
                ),
            ]
        )
        await session.commit()
    shown = await tg.say(CORA, "/export bericht 2. Halbjahr 2026")
    assert all(s.chat_id == "dm-300" for s in shown)
    summary, document, *charts, intro, public = shown
    assert summary.text.splitlines()[:2] == [
        "Halbjahresbericht: Digitalcafé Musterstadt",
        "Im zweiten Halbjahr 2026",
    ]
    assert "Termine: 1 (abgesagt: 0)" in summary.text
    assert "Besuche: 9, davon ohne Anmeldung: 7" in summary.text
    assert "Anmeldungen: 3, nicht gekommen: 1 (33,3 %)" in summary.text
    assert "Bewertungen: 2, im Schnitt 4,5 von 5; Kommentare: 2" in summary.text
    assert "Hilfe-Anfragen: 2, erledigt: 1, Minuten Hilfe: 45" in summary.text
    assert "Stunden bis übernommen (Median): 5" in summary.text
    # Who we reach: the 5 in their seventies are shown; the 2 over 80 are too few.
    assert "  Alter 70-79: 5" in summary.text
    assert "80+" not in summary.text
    assert "  Altstadt: 7" in summary.text
    # The whole report as one PDF: figures, charts, public summary; community and period
    # on every page.
    assert document.text == "Der ganze Bericht als PDF, zum Ausdrucken oder Weiterschicken."
    assert document.attachment is not None
    assert (
        document.attachment.filename == "digitalcafe-musterstadt-bericht-2026-07-01-2026-12-31.pdf"
    )
    pages = pages_of(document.attachment.data)
    for number, page in enumerate(pages, 1):
        assert "Digitalcafé Musterstadt · Im zweiten Halbjahr 2026" in page
        assert f"Seite {number} von {len(pages)}" in page
    whole = " ".join(pages)
    assert "Besuche: 9, davon ohne Anmeldung: 7" in whole
    assert "Für Ihre Gruppen und die Presse" in whole
    assert "Digitallotsen haben 1 Mal einzeln geholfen." in whole
    assert sum(len(page.images) for page in reader(document.attachment.data).pages) == 3
    assert len(charts) == 3
    for chart in charts:
        assert chart.attachment is not None and chart.attachment.data.startswith(b"\x89PNG")
    names = [c.attachment.filename for c in charts]  # type: ignore[union-attr]
    for part, name in zip(("-besuche-", "-bewertungen-", "-hilfe-themen-"), names, strict=True):
        assert part in name and name.endswith("-2026-07-01-2026-12-31.png")
    assert intro.text.startswith("Ein kurzer Text für Ihre Gruppen, ohne Namen.")
    assert public.text.splitlines()[0] in (
        "Im zweiten Halbjahr 2026 kamen 9 Menschen zu 1 Digitalcafé.",
        "Im zweiten Halbjahr 2026 kamen 9 Menschen zu 1 Termin.",
    )
    assert "Digitallotsen haben 1 Mal einzeln geholfen." in public.text
    for name in ("Anna", "Bert", "Carl", "Gast"):
        assert name not in public.text and name not in summary.text
    async with tg.app.sessions() as session:
        [log] = (await session.scalars(select(AuditLog).where(AuditLog.action == "export"))).all()
    assert log.details["format"] == "report" and len(log.details["files"]) == 4


async def test_only_coordinators_in_a_private_chat(tgx: Conversation) -> None:
    tg = tgx
    await _coordinator(tg)
    await tg.say(BERT, "/start", chat=tg.group(GROUP))
    [refused] = await tg.say(BERT, "/export")
    assert refused.text == "Das dürfen hier leider nur die Verantwortlichen."
    number = await _number(tg, BERT)
    await tg.say(ADA, f"/rolle_geben {number} team", chat=tg.group(GROUP))
    [staff] = await tg.say(BERT, "/export anwesenheit xlsx 2026")
    assert staff.text == "Das dürfen hier leider nur die Verantwortlichen."
    [group] = await tg.say(CORA, "/export", chat=tg.group(GROUP))
    assert group.text.startswith("Bitte schreiben Sie mir das in einem privaten Chat.")
    async with tg.app.sessions() as session:
        assert (
            await session.scalars(select(AuditLog).where(AuditLog.action == "export"))
        ).all() == []


def test_command_line_export_writes_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    asyncio.run(seed(url, 300))  # 3 dates with 100 people each, as in the benchmark
    monkeypatch.setenv("LOTSENBOT_DATABASE__URL", url)
    out = tmp_path / "out"
    common = ["--period", "2026", "--out", str(out)]
    assert cli_main(["export", "bench", "--what", "attendance", *common]) == 0
    assert cli_main(["export", "bench", "--what", "report", *common]) == 0
    [xlsx] = out.glob("*.xlsx")
    sheet = load_workbook(xlsx)["Anwesenheit"]
    assert sheet.max_row == 301
    assert all(PSEUDONYM.match(str(c.value)) for c in sheet["C"][1:])
    assert sorted(p.name for p in out.glob("*.png")) == [
        "bench-besuche-2026-01-01-2026-12-31.png",
        "bench-bewertungen-2026-01-01-2026-12-31.png",
        "bench-hilfe-themen-2026-01-01-2026-12-31.png",
    ]
    public = (out / "bench-oeffentlich.txt").read_text(encoding="utf-8")
    assert public.splitlines()[0] == (
        "Vom 1. Januar 2026 bis 31. Dezember 2026 kamen 300 Menschen zu 3 Terminen."
    )
