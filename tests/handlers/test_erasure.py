"""/loeschen as the person would check it: after the erasure nothing anywhere still shows
their name (with umlauts, or only two letters), first name, phone number or platform id.

The person was everywhere others see people: on the staff's lists of a date and of the
group, on the attendance list (a button with their name), in a help request a volunteer took
(the volunteer's copy has the phone number), in messages through the bot ("Nachricht von
Jürgen"), in a group nudge ("Jürgen, ich habe eine Nachricht für Sie"), in exports with names
and in their own data copy. The scan reads every table and every value as a person would:
JSON decoded and walked, files opened (XLSX, CSV, JSON, PDF text).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from bot.bootstrap import build_app, prepare
from bot.chat.errors import Unreachable
from bot.chat.types import ChatRef, Delivery
from bot.domain.models import (
    Account,
    Attendance,
    Base,
    ButtonToken,
    ButtonTokenSubject,
    Chat,
    Community,
    Event,
    HelpRequest,
    OutboxMessage,
    OutboxSubject,
    Person,
    Rsvp,
)
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, Shown, telegram_like
from tests.fakes.memory import Person as Someone
from tests.handlers.conftest import ADA, GROUP
from tests.handlers.test_help_requests import VOLKER, _volunteer, tap, to
from tests.scenarios.world import Template, build_template, open_world

JUERGEN = Someone("7004713", "Jürgen Müßig")
JO = Someone("7004714", "Jo")
PHONE = "04542 778899"
DATE_START = datetime(2026, 12, 9, 9, 0, tzinfo=UTC)  # 10:00 in Berlin


def private(person: Someone) -> ChatRef:
    return ChatRef("telegram", person.user_id, "direct")


@pytest.fixture
async def tg(db_url: str, tmp_path: Path) -> AsyncIterator[Conversation]:
    adapter = telegram_like()
    settings = make_settings(
        db_url,
        tmp_path,
        bot={"admins": ["telegram:1"]},
        privacy={"flood_messages": 1000, "flood_seconds": 5},
    )
    app = build_app(settings, clock=FakeClock(), adapters=[adapter])
    await prepare(app)
    conversation = Conversation(app, adapter)
    await conversation.say(ADA, "/verbinden 1", chat=conversation.group(GROUP))
    await conversation.say(ADA, "/start", chat=conversation.group(GROUP))
    yield conversation
    await app.close()


def needles(person: Someone) -> list[tuple[str, re.Pattern[str]]]:
    """What would identify the person: each part of the name, the phone number (as typed and
    as digits), the platform id; matched as whole words, in any case."""
    words = {person.name, *person.name.split(), PHONE, PHONE.replace(" ", ""), person.user_id}
    return [
        (word, re.compile(rf"(?<![\w]){re.escape(word)}(?![\w])", re.IGNORECASE))
        for word in sorted(words)
    ]


def texts(value: Any) -> Iterator[str]:
    """Every piece of text in a stored value, decoded as a reader would see it."""
    if value is None or isinstance(value, bool | int | float | datetime):
        if isinstance(value, int) and not isinstance(value, bool):
            yield str(value)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            if key != "key":  # a rendered button's random key (see OPAQUE_KEYS)
                yield from texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from texts(item)
    elif isinstance(value, bytes | bytearray | memoryview):
        yield from file_texts(bytes(value))
    elif isinstance(value, str):
        yield value
        stripped = value.strip()
        if stripped[:1] in ("{", "["):
            try:
                decoded = json.loads(stripped)
            except ValueError:
                return
            yield from texts(decoded)
    else:
        yield str(value)


def file_texts(data: bytes) -> Iterator[str]:
    """The text in an attachment: XLSX cells, PDF streams, JSON values, CSV fields."""
    if data.startswith(b"PK"):
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        for sheet in workbook.worksheets:
            yield sheet.title
            for row in sheet.iter_rows(values_only=True):
                yield from (str(cell) for cell in row if cell is not None)
        return
    if data.startswith(b"%PDF"):
        yield data.decode("latin-1")
        for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
            try:
                yield zlib.decompress(stream).decode("latin-1")
            except zlib.error:
                continue
        return
    if data.startswith(b"\x89PNG"):
        return  # a chart or QR code: pictures, no names
    text = data.decode("utf-8-sig", errors="replace")
    yield from texts(text)
    for row in csv.reader(io.StringIO(text), delimiter=";" if ";" in text else ","):
        yield from row


def found_in(value: Any, person: Someone) -> list[str]:
    hits = []
    for text in texts(value):
        hits += [word for word, pattern in needles(person) if pattern.search(text)]
    return hits


# Random button keys (``secrets.token_urlsafe``): "x-Jo…" is chance, not a name.
OPAQUE_KEYS = {
    ("button_tokens", "key"),
    ("button_token_subjects", "button_key"),
    ("chats", "choices"),
}


async def scan(tg: Conversation, person: Someone) -> list[tuple[str, str, str]]:
    """(table, column, word) wherever anything still identifies the person."""
    hits = []
    async with tg.app.sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                for column, value in row.items():
                    if (table.name, column) in OPAQUE_KEYS:
                        continue
                    hits += [(table.name, column, word) for word in found_in(value, person)]
    return sorted(set(hits))


async def person_id(tg: Conversation, who: Someone) -> int:
    async with tg.app.sessions() as session:
        found = await session.scalar(
            select(Account.person_id).where(Account.external_id == who.user_id)
        )
    assert found is not None
    return found


async def ask_for_help_by_phone(tg: Conversation, person: Someone) -> list[Shown]:
    me = private(person)
    [menu] = await tg.say(person, "Hilfe", chat=me)
    [question] = await tg.press(person, menu, "Hilfe von einem Lotsen", chat=me)
    [describe] = await tg.press(person, question, "Smartphone", chat=me)
    assert describe.text.startswith("Beschreiben Sie es bitte kurz.")
    await tg.say(person, "Fotos an die Enkel schicken.", chat=me)
    [where] = await tg.say(person, "dienstags nachmittags", chat=me)
    await tg.press(person, where, "Am Telefon", chat=me)
    return await tg.say(person, PHONE, chat=me)


async def everywhere(tg: Conversation, person: Someone) -> None:
    """The person in every place where others see people."""
    await tg.say(ADA, "/rolle_geben 1 koordination", chat=tg.group(GROUP))
    await _volunteer(tg, VOLKER, ["Smartphone"], "dienstags 14-18 Uhr")
    await tg.say(person, "/start", chat=tg.group(GROUP))
    await tg.say(person, "/start", chat=private(person))
    number = await person_id(tg, person)

    # A help request by phone; Volker takes it and gets the name and the number.
    shown = await ask_for_help_by_phone(tg, person)
    [offer] = [s for s in shown if s.text.startswith("Jemand braucht Hilfe.")]
    shown = await tap(tg, VOLKER, offer, "Ich übernehme")
    [yours] = to(shown, VOLKER)
    assert person.name in yours.text and PHONE in yours.text
    # Messages through the bot: "Nachricht von Volker" cannot reach the person at first,
    # so the group is asked, by first name, to open a private chat.
    blocked: list[int] = []

    async def unreachable_once(delivery: Delivery) -> None:
        if delivery.chat.external_id == person.user_id and not blocked:
            blocked.append(delivery.id)
            raise Unreachable("403 Forbidden: bot was blocked by the user")

    tg.adapter.during_send = unreachable_once
    await tap(tg, VOLKER, yours, "Nachricht schreiben")
    shown = await tg.say(VOLKER, "Passt Ihnen Dienstag um 15 Uhr?")
    tg.adapter.during_send = None
    nudge = [s for s in tg.adapter.to(GROUP) if "ich habe eine Nachricht für Sie" in s.text]
    assert nudge and nudge[0].text.startswith(person.name.split()[0]), nudge
    shown = await tg.say(person, "/start", chat=private(person))  # delivered now
    [message] = [s for s in shown if s.text.startswith("Nachricht von Volker")]
    await tg.press(person, message, "Antworten", chat=private(person))
    shown = await tg.say(person, "Ja, gerne!", chat=private(person))
    [relayed] = to(shown, VOLKER)
    assert relayed.text.startswith(f"Nachricht von {person.name.split()[0]} (Anfrage")

    # A date: signed up in the group, on the staff's lists, checked in at the door.
    [preview] = await tg.say(ADA, "/termin_neu Sprechstunde; 9.12. 10 Uhr; Rathaus; 5")
    await tg.press(ADA, preview, "Speichern und jetzt ankündigen")
    [post] = [s for s in tg.adapter.to(GROUP) if s.buttons and "Sprechstunde" in s.text]
    await tg.press(person, post, "Ich komme", chat=tg.group(GROUP))
    async with tg.app.sessions() as session:
        event = await session.scalar(select(Event).where(Event.title == "Sprechstunde"))
    assert event is not None
    [listing] = await tg.say(ADA, f"/teilnehmer {event.id}")
    assert person.name in listing.text
    [people] = await tg.say(ADA, "/personen")
    assert f"{number}. {person.name}" in people.text
    tg.app.clock.set(DATE_START)  # type: ignore[attr-defined]
    [door] = await tg.say(ADA, f"/anwesenheit {event.id}")
    await tg.press(ADA, door, f"⬜ {person.name}")
    assert f"✅ {person.name}" in [
        label for label, _ in tg.adapter.current(door.message_id).buttons
    ]

    # Exports with names (XLSX and CSV), and the person's own copy of their data.
    [xlsx] = await tg.say(ADA, "/export anwesenheit xlsx 1.12.2026 - 31.12.2026 mit Namen")
    assert xlsx.attachment is not None and found_in(xlsx.attachment.data, person)
    [table] = await tg.say(ADA, "/export anwesenheit csv; 1.12.2026 - 31.12.2026 mit Namen")
    assert table.attachment is not None and found_in(table.attachment.data, person)
    [copy] = [s for s in await tg.say(person, "/meine_daten", chat=private(person)) if s.attachment]
    assert copy.attachment is not None and found_in(copy.attachment.data, person)


async def unrecorded_mentions(
    tg: Conversation, person: Someone, number: int | None = None, *, full_name_only: bool = False
) -> list[str]:
    """Outbox rows and buttons that name the person without recording them as a subject:
    each is a caller that forgot ``Outgoing.about``."""
    if number is None:
        number = await person_id(tg, person)

    def found_in(value: Any, person: Someone) -> list[str]:
        if not full_name_only:
            return globals()["found_in"](value, person)
        pattern = re.compile(rf"(?<![\w]){re.escape(person.name)}(?![\w])")
        return [person.name for text in texts(value) if pattern.search(text)]

    missing = []
    async with tg.app.sessions() as session:
        about_rows = set(
            (
                await session.scalars(
                    select(OutboxSubject.outbox_id).where(OutboxSubject.person_id == number)
                )
            ).all()
        )
        for row in (await session.scalars(select(OutboxMessage))).all():
            if row.id not in about_rows and found_in([row.content, row.attachment], person):
                missing.append(f"outbox {row.dedup_key}: {row.content.get('text', '')[:80]!r}")
        about_keys = set(
            (
                await session.scalars(
                    select(ButtonTokenSubject.button_key).where(
                        ButtonTokenSubject.person_id == number
                    )
                )
            ).all()
        )
        for token in (await session.scalars(select(ButtonToken))).all():
            if token.key not in about_keys and found_in([token.label, token.args], person):
                missing.append(f"button {token.action}: {token.label!r}")
    return missing


@pytest.mark.parametrize("person", [JUERGEN, JO], ids=["umlauts", "two_letters"])
async def test_erasure_leaves_nothing_a_person_could_recognise(
    tg: Conversation, person: Someone
) -> None:
    await everywhere(tg, person)
    number = await person_id(tg, person)
    assert await scan(tg, person)  # the scan does find them while they are there
    assert await unrecorded_mentions(tg, person) == []

    [ask] = await tg.say(person, "/loeschen", chat=private(person))
    shown = await tg.press(person, ask, "Ja, alles löschen", chat=private(person))
    assert [s.text for s in shown if s.chat_id == person.user_id][-1].startswith(
        "Erledigt. Ihre Daten sind gelöscht."
    )
    tg.app.clock.set(DATE_START + timedelta(hours=1))  # type: ignore[attr-defined]
    await tg.app.scheduler.run_due()  # the goodbye is out: the chat goes
    await tg.flush()

    assert await scan(tg, person) == []
    # The counts stay for the reports: the sign-up, the visit and the help given.
    async with tg.app.sessions() as session:
        assert (await session.scalars(select(Rsvp.person_id))).all().count(number) == 1
        visits = (await session.scalars(select(Attendance.person_id))).all()
        assert visits.count(number) == 1
        [request] = (await session.scalars(select(HelpRequest))).all()
        assert (request.requester_id, request.status, request.phone) == (
            number,
            "accepted",
            None,
        )


@pytest.fixture(scope="module")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return build_template(tmp_path_factory.mktemp("world"))


async def test_every_message_naming_someone_records_them(
    world_template: Template, tmp_path: Path
) -> None:
    """Across the shared test world (two communities, every role, dates, a phone sign-up,
    role grants, lists): no outbox row or button names a person it does not record. A new
    message that names people without ``Outgoing.about`` shows up here."""
    world = await open_world(world_template, tmp_path)
    try:
        async with world.app.sessions() as session:
            names = (await session.execute(select(Person.id, Person.display_name))).all()
            places = {
                *(await session.scalars(select(Community.name))).all(),
                *(await session.scalars(select(Chat.title))).all(),
            }
        counted = Counter(name for _id, name in names)
        checked = [
            (number, name)
            for number, name in names
            if len(name) >= 2 and counted[name] == 1 and name not in places
        ]
        assert len(checked) >= 7, checked
        missing = []
        for number, name in checked:
            someone = Someone(f"person-{number}", name)
            missing += await unrecorded_mentions(world.tg, someone, number, full_name_only=True)
        assert missing == []
    finally:
        await world.close()
