"""The monthly Digitalcafé from #5's acceptance, on Telegram: PTB unmodified, the Bot-API
test server playing staff and 18 residents in a group and their private chats. It begins
with the sign-up script (tests/scenarios/sign_up_script.py) that every platform runs; then
the crowd comes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.domain.models import Account, Event, Rsvp, Series
from tests.e2e.telegram_bot import RunningBot, fast_server, settled
from tests.fakes.clock import FakeClock
from tests.fakes.telegram_server import FakeTelegramServer, SentRecord
from tests.scenarios.drivers import TelegramDriver
from tests.scenarios.sign_up_script import ANNOUNCE, BRING_COMPANION, run_script

GROUP_ID = -700
BOT = "@lotsen_test_bot"


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with fast_server() as fake:
        yield fake
    assert fake.internal_errors == []


@pytest.fixture
async def bot(server, sqlite_url, tmp_path) -> AsyncIterator[RunningBot]:  # type: ignore[no-untyped-def]
    running = RunningBot(server, sqlite_url, tmp_path, clock=FakeClock())
    await running.start()
    yield running
    await running.stop()


class Residents:
    """Plays people on the test server and reads what the bot sent them."""

    def __init__(self, server: FakeTelegramServer) -> None:
        self.server = server
        self.group = server.group(GROUP_ID, "Digitalcafé Stadtbibliothek")

    async def say(
        self, user: dict, text: str, *, contains: str, in_group: bool = False
    ) -> SentRecord:  # type: ignore[type-arg]
        """``user`` writes; returns the bot's first answer containing ``contains``."""
        mark = len(self.server.sent)
        chat = self.group if in_group else self.server.private_chat(user)
        self.server.post_message(chat, user, text)
        return await self.server.wait_for(lambda r: contains in (r.text or ""), 20, start=mark)

    def private(self, user_id: int, start: int = 0) -> list[str]:
        return [r.text or "" for r in self.server.sent[start:] if r.chat_id == user_id]


async def test_monthly_cafe_on_telegram(server, bot) -> None:  # type: ignore[no-untyped-def]
    people = Residents(server)
    ada = server.user(1, "Ada")
    await people.say(ada, f"/verbinden{BOT} 1", contains="gehört jetzt zu", in_group=True)
    await people.say(ada, f"/start{BOT}", contains="Hallo Ada", in_group=True)

    # 18 residents: most opened a private chat with the bot before, one never did.
    residents = [server.user(100 + n, f"Person{n}") for n in range(18)]
    server.never_started(residents[9])
    # Staff announce the café (the guided dialog in their private chat, the post in the
    # group); the first resident brings a companion: the sign-up script every platform runs.
    driver = TelegramDriver(server, ada, residents[0], GROUP_ID)
    replies = await run_script(driver, ANNOUNCE + BRING_COMPANION)
    post: SentRecord = replies[len(ANNOUNCE) - 1].raw
    confirmed: SentRecord = replies[-1].raw
    # The confirmation carries the date as a calendar file.
    assert confirmed.method == "sendDocument" and confirmed.filename.endswith(".ics")  # type: ignore[union-attr]
    queries = {}
    for person in residents[1:]:
        # The post as it is now: its count (and so its buttons) may have been edited.
        current = server.message(GROUP_ID, post.message_id)  # type: ignore[arg-type]
        assert current is not None
        rows = current["reply_markup"]["inline_keyboard"]
        [data] = [b["callback_data"] for row in rows for b in row if b["text"] == "Ich komme"]
        queries[person["id"]] = server.press_button(GROUP_ID, person, post.message_id, data)  # type: ignore[arg-type]
    # Every press answered (on a busy machine that can take a while), and what followed sent.
    for _ in range(600):
        if all(q in server.answered_callbacks for q in queries.values()):
            break
        await asyncio.sleep(0.05)
    await settled(server, app=bot.app)
    # Each press is answered on the presser's own screen (the callback's notice).
    answered = {uid: server.answered_callbacks.get(q) for uid, q in queries.items()}
    assert answered[101] == "Sie sind angemeldet. Mehr im privaten Chat."
    assert answered[115] == "Sie stehen auf der Warteliste. Mehr im privaten Chat."
    # A forged or stale button: the note goes to the presser alone, never to the group.
    mark = len(server.sent)
    forged = [
        server.press_button(GROUP_ID, residents[2], post.message_id, f"old-{n}", forged=True)  # type: ignore[arg-type]
        for n in range(25)
    ]
    for _ in range(600):
        if all(q in server.answered_callbacks for q in forged):
            break
        await asyncio.sleep(0.05)
    await settled(server, app=bot.app)
    assert {server.answered_callbacks.get(q) for q in forged} == {
        "Dieser Knopf geht nicht mehr.\nBitte schreiben Sie /start."
    }
    assert [r for r in server.sent[mark:] if r.chat_id == GROUP_ID] == []
    waiting = {
        p["id"]: next(t for t in people.private(p["id"]) if "Warteliste" in t)
        for p in residents
        if any("Warteliste" in t for t in people.private(p["id"]))
    }
    assert sorted(waiting) == [114, 115, 116, 117]
    assert "Sie sind Nummer 2 auf der Warteliste." in waiting[115]
    # The one who never started the bot is asked in the group to open a chat; no name leaks
    # otherwise, and the post's count is edited in place.
    asks = [r for r in server.messages_to(GROUP_ID) if "Nachricht für Sie" in (r.text or "")]
    assert [r.text.split(",")[0] for r in asks] == ["Person9"]  # type: ignore[union-attr]
    edits = server.edits_of(GROUP_ID, post.message_id)  # type: ignore[arg-type]
    assert "Alle Plätze sind vergeben. 4 Personen stehen auf der Warteliste." in (
        edits[-1].plain_text or ""
    )
    # The post says what to tap (a group in privacy mode never passes a typed "ja" on);
    # once full, its first button offers the waiting list (#18, points 6 and 7).
    assert (post.plain_text or "").splitlines()[-1] == "Tippen Sie auf „Ich komme“."
    assert (edits[-1].plain_text or "").splitlines()[-1] == "Tippen Sie auf „Auf die Warteliste“."
    keyboard = edits[-1].reply_markup["inline_keyboard"]  # type: ignore[index]
    assert [row[0]["text"] for row in keyboard][:2] == [
        "Auf die Warteliste",
        "Mit Begleitung auf die Warteliste",
    ]
    group_texts = " ".join(r.text or "" for r in server.messages_to(GROUP_ID) if r not in asks)
    assert not any(f"Person{n}" in group_texts for n in range(18))

    # Two cancel; the first two on the waiting list move up and are told privately.
    await people.say(residents[3], "/abmelden", contains="Sie sind abgemeldet")
    await people.say(residents[5], "/abmelden", contains="Sie sind abgemeldet")
    await settled(server, app=bot.app)
    assert any(t.startswith("Gute Nachricht") for t in people.private(114))
    assert any(t.startswith("Gute Nachricht") for t in people.private(115))
    assert not any(t.startswith("Gute Nachricht") for t in people.private(116))
    status = await people.say(residents[16], "/termine", contains="Warteliste")
    assert "Sie sind Nummer 1 auf der Warteliste." in (status.text or "")

    # The date moves by one hour: everyone affected hears old and new side by side.
    async with bot.app.sessions() as session:
        ours = Event.place == "Stadtbibliothek, Markt 1"  # not the demo community's sample
        query = select(Event).where(ours).order_by(Event.starts_at)
        first, second, *_ = (await session.scalars(query)).all()
    mark = len(server.sent)
    done = await people.say(ada, f"/verschieben {first.id}; 16 Uhr", contains="verschoben")
    assert "15 Personen haben eine persönliche Nachricht bekommen." in (done.text or "")
    assert "Person9" in (done.text or "")  # on staff's call list
    await settled(server, app=bot.app)
    told = {r.chat_id for r in server.sent[mark:] if (r.text or "").startswith("Bitte beachten")}
    expected = {100 + n for n in range(18) if n not in (3, 5, 9)}
    assert told == expected | {GROUP_ID}  # the group hears it for the one without a chat
    notice = next(r for r in server.sent[mark:] if r.chat_id == 100 and r.text)
    assert "Bisher: Mittwoch, 2. Dezember 2026, 15:00 Uhr" in (notice.text or "")
    assert "Neu: Mittwoch, 2. Dezember 2026, 16:00 Uhr" in (notice.text or "")

    # Person9 opens the chat now and gets what was held for them.
    mark = len(server.sent)
    server.post_message(server.private_chat(residents[9]), residents[9], "/start")
    await settled(server, app=bot.app)
    held = people.private(109, mark)
    assert any(t.startswith("Sie sind angemeldet") for t in held)

    # January's date falls on a holiday and is skipped.
    await people.say(ada, f"/ausfallen {second.id}", contains="Soll dieser Termin ausfallen?")
    await people.say(ada, "ja", contains="Der Termin fällt aus.")
    await bot.app.scheduler.extend_series(force=True)
    async with bot.app.sessions() as session:
        january = (
            await session.scalars(select(Event.status).where(Event.occurrence == second.occurrence))
        ).all()
        exdates = await session.scalar(select(Series.exdates).where(Series.id == first.series_id))
        seats = (
            await session.execute(
                select(Rsvp.status, Rsvp.party_size).where(Rsvp.event_id == first.id)
            )
        ).all()
        unreachable = await session.scalar(
            select(Account.unreachable).where(Account.external_id == "109")
        )
    assert list(january) == ["cancelled"] and exdates == ["2027-01-06"]
    assert sum(size for s, size in seats if s == "yes") == 15
    assert unreachable is False

    # The first date gets another room (/aendern, #20): typed answers, as in any chat.
    await people.say(ada, f"/aendern {first.id}", contains="Was möchten Sie ändern?")
    await people.say(ada, "3", contains="Wo findet der Termin jetzt statt?")
    await people.say(ada, "Raum 3", contains="Nur diesen Termin oder alle ab diesem Termin?")
    asked = await people.say(ada, "1", contains="Soll ich das so ändern?")
    assert "Ort bisher: Stadtbibliothek, Markt 1\nOrt neu: Raum 3" in (asked.text or "")
    mark = len(server.sent)
    done = await people.say(ada, "ja", contains="Geändert:")
    # Person9 opened the chat since the move: 16 now.
    assert "16 Personen haben eine persönliche Nachricht bekommen." in (done.text or "")
    await settled(server, app=bot.app)
    notice = next(r for r in server.sent[mark:] if r.chat_id == 100 and r.text)
    assert "Neuer Ort: Raum 3 (bisher: Stadtbibliothek, Markt 1)" in (notice.text or "")
