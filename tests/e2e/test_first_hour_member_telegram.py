"""Anna's first hour on Telegram (#18): a 78-year-old member of a Digitalcafé's group, played
on the fake Bot API server with the real bot (PTB unmodified) polling it. One story, step by
step, asserting what Anna (and Bert, Carl and Carla from the same group) see.

Issue #18 points covered, as the member meets them:

* 10 (set-up): staff link the group with the README's ``/verbinden 1@botname``.
* 1: the greeting's promise holds in the group and in private; a plain question about dates
  gets the next date; what is not understood gets a menu whose buttons work.
* 9: a voice message gets a kind answer saying what to do instead.
* 7: the announcement says in one line what to tap.
* 3: a press in the group is answered in the press's own notice, nothing in the group.
* 4: the companion question comes privately; asked in the group (the person cannot be
  written to privately), it names the person and a press by someone else changes nothing.
* 2: forged and stale buttons are answered to the presser alone, never in the group, so the
  group's message quota stays untouched.
* 5: a reply to the later of two dates' posts answers that post; the confirmation names date,
  time and place; "ja" under her list of dates picks none and hears to tap a button.
* 16: counts read grammatically ("mit 1 Begleitperson", "1 Person steht auf der Warteliste").
* 6: full, the post offers the waiting list; over (FakeClock), "Dieser Termin ist vorbei"
  without buttons; a date nobody signed up for is called off and the group is told.
* 17: on Telegram the help topics are buttons; no "1, 2, 3, … 15 oder 16" to read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.domain.models import Account, Event, Rsvp
from tests.e2e.telegram_bot import RunningBot, fast_server, settled
from tests.fakes.clock import FakeClock
from tests.fakes.telegram_server import SEND_METHODS, FakeTelegramServer, SentRecord

GROUP_ID = -700
WAIT = 20.0
UNDER_THE_LIST = (
    "Das habe ich leider nicht verstanden.\n"
    "Bitte tippen Sie auf einen Knopf unter meiner letzten Nachricht."
)


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


def labels(markup: dict | None) -> list[str]:  # type: ignore[type-arg]
    return [b["text"] for row in (markup or {}).get("inline_keyboard", []) for b in row]


class Group:
    """People in the linked group and their private chats, as the fake server plays them."""

    def __init__(self, server: FakeTelegramServer) -> None:
        self.server = server
        self.chat = server.group(GROUP_ID, "Digitalcafé Stadtbibliothek")

    async def say(self, user: dict, text: str, *, in_group: bool = False, **kw) -> SentRecord:  # type: ignore[no-untyped-def, type-arg]
        """``user`` writes; returns the bot's next message in that chat."""
        mark = len(self.server.sent)
        chat = self.chat if in_group else self.server.private_chat(user)
        self.server.post_message(chat, user, text, **kw)
        return await self.next_to(chat["id"], mark)

    async def next_to(self, chat_id: int, mark: int) -> SentRecord:
        def sent(record: SentRecord) -> bool:
            return record.chat_id == chat_id and record.method in SEND_METHODS

        return await self.server.wait_for(sent, WAIT, start=mark)

    def press(self, user: dict, message: SentRecord, label: str) -> str:  # type: ignore[type-arg]
        """``user`` taps ``label`` under the message as it looks now; the callback query id."""
        rows = self.current(message).get("reply_markup", {}).get("inline_keyboard", [])
        [data] = [b["callback_data"] for row in rows for b in row if b["text"] == label]
        return self.server.press_button(message.chat_id, user, message.message_id, data)  # type: ignore[arg-type]

    async def notice(self, query_id: str) -> str | None:
        """The text of the press's own notice (what the presser alone sees)."""
        deadline = time.monotonic() + WAIT
        while query_id not in self.server.answered_callbacks:
            assert time.monotonic() < deadline, "the press was never answered"
            await asyncio.sleep(0.05)
        return self.server.answered_callbacks[query_id]

    def current(self, message: SentRecord) -> dict:  # type: ignore[type-arg]
        """The message as people see it now, after the bot's edits."""
        found = self.server.message(message.chat_id, message.message_id)  # type: ignore[arg-type]
        assert found is not None
        return found

    def sent_to_group(self, mark: int) -> list[SentRecord]:
        """What the bot did in the group since ``mark`` other than editing a post."""
        return [
            r
            for r in self.server.sent[mark:]
            if r.chat_id == GROUP_ID and r.method != "editMessageText"
        ]


async def _places(bot: RunningBot, event_id: int) -> dict[str, tuple[str, int]]:
    """external Telegram id → (status, seats) of the sign-ups of one date."""
    async with bot.app.sessions() as session:  # type: ignore[union-attr]
        rows = await session.execute(
            select(Account.external_id, Rsvp.status, Rsvp.party_size)
            .join(Account, Account.person_id == Rsvp.person_id)
            .where(Rsvp.event_id == event_id, Account.platform == "telegram")
        )
        return {external: (status, seats) for external, status, seats in rows}


async def _event_id(bot: RunningBot, title: str, place: str) -> int:
    """The date staff planned (the demo group has a sample Digitalcafé elsewhere)."""
    async with bot.app.sessions() as session:  # type: ignore[union-attr]
        query = select(Event.id).where(Event.title == title, Event.place == place)
        found = await session.scalar(query)
    assert found is not None
    return found


async def test_annas_first_hour_on_telegram(server, bot) -> None:  # type: ignore[no-untyped-def]
    people = Group(server)
    ada = server.user(1, "Ada")  # staff
    anna, bert = server.user(1001, "Anna"), server.user(1002, "Bert")
    carl, carla = server.user(1003, "Carl"), server.user(1004, "Carla")
    server.never_started(carl)
    username = server.bot_user["username"]

    # Point 10 (set-up): staff link the group the way the README says.
    linked = await people.say(ada, f"/verbinden 1@{username}", in_group=True)
    assert linked.text == "Fertig. Dieser Chat gehört jetzt zu Digitalcafé Musterstadt."

    # Point 1: Anna's /start in the group promises /hilfe; there it lists what she can do.
    hello = await people.say(anna, "/start", in_group=True)
    assert hello.text.startswith("Hallo Anna!\nIch bin der Lotsenbot von Digitalcafé Musterstadt.")
    assert (
        hello.text.splitlines()[-1] == "Schreiben Sie /hilfe. Dann zeige ich Ihnen, was ich kann."
    )
    listed = await people.say(anna, "/hilfe", in_group=True)
    assert listed.text.startswith("Das kann ich für Sie tun:\n/start – Start und Begrüßung\n")
    assert "/termine – Nächste Termine und Ihre Anmeldungen zeigen" in listed.text

    # Point 1: in private the greeting promises the same, and a plain question too.
    hello = await people.say(anna, "/start")
    assert hello.text.splitlines()[-2:] == [
        "Schreiben Sie /hilfe. Dann zeige ich Ihnen, was ich kann.",
        "Oder fragen Sie mich einfach, zum Beispiel: Wann ist das nächste Treffen?",
    ]
    menu = await people.say(anna, "/hilfe")
    assert menu.text == "Was möchten Sie tun?"
    assert labels(menu.reply_markup) == ["Termine", "Hilfe von einem Lotsen", "Alle Befehle"]
    answer = await people.say(anna, "Wann ist das nächste Treffen?")
    assert answer.text.splitlines()[:3] == [
        "Digitalcafé",
        "Mittwoch, 25. November 2026, 15:00 bis 17:00 Uhr",
        "Ort: Stadtbibliothek, Raum 2",
    ]
    assert labels(answer.reply_markup)[0] == "Ich komme"
    lost = await people.say(anna, "Mein Handy ist kaputt")
    assert lost.text == "Das habe ich leider nicht verstanden.\nWas möchten Sie tun?"
    mark = len(server.sent)
    people.press(anna, lost, "Alle Befehle")
    everything = await people.next_to(anna["id"], mark)
    assert everything.text.startswith("Das kann ich für Sie tun:")

    # Point 17: the help topics are buttons to tap on Telegram, not numbers to read.
    mark = len(server.sent)
    people.press(anna, lost, "Hilfe von einem Lotsen")
    topics = await people.next_to(anna["id"], mark)
    assert topics.text == "Wobei brauchen Sie Hilfe? Bitte tippen Sie auf ein Thema."
    assert len(labels(topics.reply_markup)) == 16
    stopped = await people.say(anna, "abbrechen")
    assert stopped.text == "Gut, ich habe aufgehört. Es wurde nichts geändert."
    mark = len(server.sent)
    people.press(anna, lost, "Termine")
    dates = await people.next_to(anna["id"], mark)
    assert dates.text.startswith(
        "Die nächsten Termine:\nNr. 1: Digitalcafé, Mittwoch, 25. November"
    )

    # Point 9: she speaks instead of typing.
    mark = len(server.sent)
    server.post_voice(server.private_chat(anna), anna)
    voice = await people.next_to(anna["id"], mark)
    assert voice.text.splitlines()[:2] == [
        "Sprachnachrichten kann ich leider noch nicht anhören.",
        "Bitte schreiben Sie mir stattdessen einen kurzen Text.",
    ]

    # Staff announce three dates in the group.
    posts = []
    for spec in (
        "Digitalcafé; 2.12. 15–17 Uhr; Stadtbibliothek, Markt 1; 2",
        "Handy-Sprechstunde; 9.12. 10–12 Uhr; Seniorentreff, Lindenstraße 4; 10",
        "Tablet-Kurs; 16.12. 10–12 Uhr; Seniorentreff, Lindenstraße 4; 10",
    ):
        preview = await people.say(ada, f"/termin_neu {spec}")
        mark = len(server.sent)
        people.press(ada, preview, "Speichern und jetzt ankündigen")
        posts.append(await people.next_to(GROUP_ID, mark))
        saved = await people.next_to(ada["id"], mark)
        assert saved.text.endswith("An 1 Chat geschickt.")
    december, phone, tablet = posts
    # Point 7: the post says in one line what to tap (a typed "ja" never reaches the bot
    # in a group with privacy mode on).
    assert (december.plain_text or "").splitlines() == [
        "Digitalcafé",
        "Mittwoch, 2. Dezember 2026, 15:00 bis 17:00 Uhr",
        "Ort: Stadtbibliothek, Markt 1",
        "Noch 2 von 2 Plätzen frei.",
        "Tippen Sie auf „Ich komme“.",
    ]
    assert labels(december.reply_markup) == [
        "Ich komme",
        "Ich komme mit Begleitung",
        "Ich kann nicht",
    ]
    december_id = await _event_id(bot, "Digitalcafé", "Stadtbibliothek, Markt 1")
    phone_id = await _event_id(bot, "Handy-Sprechstunde", "Seniorentreff, Lindenstraße 4")
    await settled(server, app=bot.app)

    # Point 3: Anna taps "Ich komme"; the press itself says it worked, to her alone.
    mark = len(server.sent)
    query = people.press(anna, december, "Ich komme")
    assert await people.notice(query) == "Sie sind angemeldet. Mehr im privaten Chat."
    confirmed = await people.next_to(anna["id"], mark)
    assert confirmed.text.splitlines()[:5] == [
        "Sie sind angemeldet. Wir freuen uns auf Sie!",
        "",
        "Digitalcafé",
        "Mittwoch, 2. Dezember 2026, 15:00 bis 17:00 Uhr",
        "Ort: Stadtbibliothek, Markt 1",
    ]
    await settled(server, app=bot.app)
    assert people.sent_to_group(mark) == []
    assert "Noch 1 von 2 Plätzen frei." in people.current(december)["text"]

    # Point 4: "mit Begleitung" asks privately; the press says where to look (point 3).
    mark = len(server.sent)
    query = people.press(anna, phone, "Ich komme mit Begleitung")
    assert await people.notice(query) == "Ich habe Ihnen im privaten Chat geschrieben."
    asked = await people.next_to(anna["id"], mark)
    assert (
        asked.text
        == "Wie viele Personen bringen Sie mit? Bitte schreiben Sie eine Zahl, zum Beispiel 1."
    )
    # Point 16: one companion, singular.
    brought = await people.say(anna, "1")
    assert brought.text.startswith(
        "Sie sind angemeldet, mit 1 Begleitperson. Wir freuen uns auf Sie!"
    )
    await settled(server, app=bot.app)
    assert people.sent_to_group(mark) == []

    # Point 4: Carl never opened a private chat. His first press is held for him (the group
    # tells him to open the chat); when he taps again, the question is asked in the group,
    # by his name.
    mark = len(server.sent)
    query = people.press(carl, phone, "Ich komme mit Begleitung")
    held = await people.next_to(GROUP_ID, mark)
    assert held.text.startswith("Carl, ich habe eine Nachricht für Sie.")
    # His own notice does not pretend the message is already there.
    assert await people.notice(query) == (
        "Bitte öffnen Sie zuerst den privaten Chat mit mir. In der Gruppe steht, wie das geht."
    )
    await settled(server, app=bot.app)
    mark = len(server.sent)
    people.press(carl, phone, "Ich komme mit Begleitung")
    named = await people.next_to(GROUP_ID, mark)
    assert named.text == "Carl, wie viele Personen bringen Sie mit?"
    await settled(server, app=bot.app)

    # Points 2 and 4: Bert taps "2" under Carl's question, then 25 forged or stale buttons.
    # Each is answered on his screen alone; the group sees nothing, its quota is untouched.
    mark = len(server.sent)
    foreign = people.press(bert, named, "2")
    forged = [
        server.press_button(GROUP_ID, bert, december.message_id, f"old-{n}", forged=True)  # type: ignore[arg-type]
        for n in range(25)
    ]
    assert await people.notice(foreign) == (
        "Diese Frage ist für eine andere Person. Für Sie hat sich nichts geändert."
    )
    for query in forged:
        assert (
            await people.notice(query)
            == "Dieser Knopf geht nicht mehr.\nBitte schreiben Sie /start."
        )
    await settled(server, app=bot.app)
    # Every call the fake server performs is recorded, and only performed calls count
    # against the group's 20 a minute.
    assert [r for r in server.sent[mark:] if r.chat_id == GROUP_ID] == []
    assert [r for r in server.sent[mark:] if r.chat_id == bert["id"]] == []
    assert await _places(bot, phone_id) == {"1001": ("yes", 2)}

    # Point 5: signed up for two dates, Anna answers the LATER date's post with "nein".
    mark = len(server.sent)
    server.post_message(people.chat, anna, "nein", reply_to=phone.message_id)
    given_back = await people.next_to(anna["id"], mark)
    assert (given_back.plain_text or given_back.text or "").splitlines() == [
        # Her companion's place went too, and the answer says so.
        "Danke für Ihre Nachricht. Sie und Ihre Begleitung sind abgemeldet. "
        "2 Plätze sind jetzt für andere frei.",
        "",
        "Handy-Sprechstunde",
        "Mittwoch, 9. Dezember 2026, 10:00 bis 12:00 Uhr",
        "Ort: Seniorentreff, Lindenstraße 4",
    ]
    await settled(server, app=bot.app)
    assert people.sent_to_group(mark) == []
    assert await _places(bot, phone_id) == {"1001": ("no", 2)}
    assert await _places(bot, december_id) == {"1001": ("yes", 1)}
    assert "Noch 10 von 10 Plätzen frei." in people.current(phone)["text"]
    # Her list of dates agrees: still signed up for the café, no longer for the other one.
    mine = await people.say(anna, "/termine")
    assert (
        "Nr. 2: Digitalcafé, Mittwoch, 2. Dezember 2026, 15:00 bis 17:00 Uhr\n"
        "   Sie sind angemeldet.\n"
        "Nr. 3: Handy-Sprechstunde" in mine.text
    )
    assert (
        "Nr. 3: Handy-Sprechstunde, Mittwoch, 9. Dezember 2026, 10:00 bis 12:00 Uhr\nNr. 4"
        in mine.text
    )
    # Point 5: "ja" under her list picks no date: she hears what to do instead.
    kind = await people.say(anna, "ja")
    assert kind.text == UNDER_THE_LIST

    # Point 6: Bert takes the last place; the post now offers the waiting list.
    query = people.press(bert, december, "Ich komme")
    assert await people.notice(query) == "Sie sind angemeldet. Mehr im privaten Chat."
    await settled(server, app=bot.app)
    full = people.current(december)
    assert full["text"].splitlines()[-2:] == [
        "Alle Plätze sind vergeben. Sie können auf die Warteliste.",
        "Tippen Sie auf „Auf die Warteliste“.",
    ]
    assert labels(full["reply_markup"])[0] == "Auf die Warteliste"
    # Point 16: one person waiting, singular.
    query = people.press(carla, december, "Auf die Warteliste")
    assert await people.notice(query) == "Sie stehen auf der Warteliste. Mehr im privaten Chat."
    await settled(server, app=bot.app)
    assert (
        "Alle Plätze sind vergeben. 1 Person steht auf der Warteliste."
        in (people.current(december)["text"])
    )

    # Point 6: nobody signed up for the tablet course; staff call it off and the group is told
    # where the date was announced.
    tablet_id = await _event_id(bot, "Tablet-Kurs", "Seniorentreff, Lindenstraße 4")
    sure = await people.say(ada, f"/absagen {tablet_id}")
    assert sure.text.startswith("Soll ich diesen Termin absagen?\n\nTablet-Kurs\n")
    mark = len(server.sent)
    people.press(ada, sure, "Ja, absagen")
    told = await people.next_to(GROUP_ID, mark)
    assert told.text.startswith("Leider fällt dieser Termin aus:")
    assert "Mittwoch, 16. Dezember 2026, 10:00 bis 12:00 Uhr" in told.text
    await settled(server, app=bot.app)
    skipped = people.current(tablet)
    assert skipped["text"].startswith("FÄLLT AUS:") and "reply_markup" not in skipped

    # Point 6: the café is over; its post says so, without buttons.
    bot.clock.set(datetime(2026, 12, 2, 16, 35, tzinfo=UTC))  # 17:35 in Berlin
    await bot.app.scheduler.run_due()
    await settled(server, app=bot.app)
    over = people.current(december)
    assert over["text"].splitlines()[-1] == "Dieser Termin ist vorbei."
    assert "reply_markup" not in over and "Plätze" not in over["text"]
