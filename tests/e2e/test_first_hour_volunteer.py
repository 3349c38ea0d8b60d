"""A Digitallotse's first hour, through the real adapters: Volker on Telegram (PTB against
the suite's Bot API server), Rosa, a resident who asks for help, on Matrix (the real Synapse),
one bot serving both. Issue #18 points covered, as Volker and Rosa meet them:

- 14: Volker's profile (skills ticked in one message, languages, places, parts of town,
  times) asks "höchstens gleichzeitig" with an example and buttons 1, 2, 3, and the summary
  names topics, languages, places, parts of town and times; "45 Minuten" answers how long.
- 9: Rosa's voice message gets the kind answer instead of "nicht verstanden".
- 17: her topic choice (sixteen, written out on Matrix) ends "Antworten Sie mit einer Zahl
  von 1 bis 16."; where nothing is to be tapped no question says "tippen", and a place in
  her own words ("Per Telefon bitte") answers "Wo soll die Hilfe sein?".
- 16: "Sie übernehmen jetzt die Anfrage N" (never "Die Anfrage N übernehmen jetzt Sie");
  counts read right: "Höchstens 1 Anfrage", "Höchstens 2 Anfragen", "45 Minuten",
  "1 erledigt".
- 2: once Volker took it, every offer says who has it and has no buttons; presses from a
  screen that still showed them (Walter's "Ich übernehme", Volker's "Diesmal nicht") and an
  old button in the group are answered to the presser alone; the group hears nothing.
- Done: Volker gets thanks, Rosa one question (faces written out), Volker pauses; the
  database holds the minutes, the rating, the offers' answers and the pause.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from nio import RoomMessageNotice
from sqlalchemy import select

from bot.domain.models import HelpOffer, HelpRequest, VolunteerProfile
from tests.e2e.matrix_bot import RunningMatrixBot, bot_account
from tests.e2e.telegram_bot import fast_server
from tests.fakes.clock import RunningClock
from tests.fakes.matrix_peer import VOICE_MESSAGE, Peer, logged_in
from tests.fakes.telegram_server import FakeTelegramServer, SentRecord
from tests.servers.synapse import SynapseServer, synapse_fixture  # noqa: F401 - fixture

GROUP_ID = -700
ADA_ID, VOLKER_ID, WALTER_ID = 1, 2001, 2002
VOICE = {**VOICE_MESSAGE, "url": "mxc://localhost/voice"}


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with fast_server() as fake:
        yield fake
    assert fake.internal_errors == []


@pytest.fixture
async def staff_on_matrix(synapse: SynapseServer, tmp_path: Path) -> AsyncIterator[Peer]:
    user = await synapse.new_user_async("ada")
    async with logged_in(synapse, user, tmp_path / "ada-store") as peer:
        yield peer


@pytest.fixture
async def bot(
    synapse: SynapseServer,
    server: FakeTelegramServer,
    staff_on_matrix: Peer,
    sqlite_url: str,
    tmp_path: Path,
) -> AsyncIterator[RunningMatrixBot]:
    admins = [f"telegram:{ADA_ID}", f"matrix:{staff_on_matrix.client.user_id}"]
    running = RunningMatrixBot(
        synapse,
        await bot_account(synapse),
        sqlite_url,
        tmp_path,
        clock=RunningClock(),  # the sender's retries wait while a new Matrix room syncs
        telegram=server,
        bot={"admins": admins},
    )
    await running.start()
    yield running
    await running.stop()


# ---------------------------------------------------------------- Telegram side


def labels(record: SentRecord | dict[str, Any] | None) -> list[str]:
    markup = (
        record.reply_markup
        if isinstance(record, SentRecord)
        else (record or {}).get("reply_markup")
    ) or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def data_of(record: SentRecord | dict[str, Any], label: str) -> str:
    markup = record.reply_markup if isinstance(record, SentRecord) else record["reply_markup"]
    return next(
        b["callback_data"] for row in markup["inline_keyboard"] for b in row if b["text"] == label
    )


async def say(server: FakeTelegramServer, user: dict[str, Any], text: str) -> SentRecord:
    """``user`` writes in the private chat; the bot's next message there."""
    mark = len(server.sent)
    server.post_message(server.private_chat(user), user, text)
    return await server.wait_for(
        lambda r: r.chat_id == user["id"] and r.method == "sendMessage", 20, start=mark
    )


async def press(
    server: FakeTelegramServer, user: dict[str, Any], shown: SentRecord, label: str
) -> SentRecord:
    """``user`` taps a button of a message in the private chat, as it reads now; the bot's
    next message or edit there."""
    mark = len(server.sent)
    now = server.message(shown.chat_id, shown.message_id or 0)
    assert now is not None
    server.press_button(shown.chat_id, user, shown.message_id or 0, data_of(now, label))
    return await server.wait_for(lambda r: r.chat_id == user["id"], 20, start=mark)


async def answered(server: FakeTelegramServer, query: str) -> None:
    """Until the bot has answered the press (its notice is the answer)."""
    for _ in range(400):
        if query in server.answered_callbacks:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"press {query} never answered")


async def number_of(server: FakeTelegramServer, user: dict[str, Any]) -> int:
    me = await say(server, user, "/ich")
    found = re.search(r"\d+", me.text or "")
    assert found, me.text
    return int(found.group())


# ---------------------------------------------------------------- Matrix side


async def write(peer: Peer, room_id: str, content: dict[str, Any] | str) -> RoomMessageNotice:
    """Rosa writes (or sends a voice message); the bot's next notice in that room."""
    if isinstance(content, str):
        content = {"msgtype": "m.text", "body": content}
    seen = len(peer.events)
    await peer.client.room_send(room_id, "m.room.message", content, ignore_unverified_devices=True)
    return await next_notice(peer, room_id, seen)


async def next_notice(peer: Peer, room_id: str, seen: int, starts: str = "") -> RoomMessageNotice:
    """The bot's first notice in the room after the peer's first ``seen`` events (that
    starts with ``starts``; a joining peer syncs the room's earlier posts too)."""

    def new() -> list[RoomMessageNotice]:
        return [
            e
            for room, e in peer.events[seen:]
            if room == room_id and isinstance(e, RoomMessageNotice) and e.body.startswith(starts)
        ]

    await peer.wait_until(lambda: bool(new()), within=30)
    return new()[0]


async def test_volunteer_first_hour(  # type: ignore[no-untyped-def]
    synapse, server, bot, staff_on_matrix, tmp_path
) -> None:
    app = bot.app
    bot_id = bot.account.user_id
    ada = server.user(ADA_ID, "Ada")
    volker = server.user(VOLKER_ID, "Volker", last_name="Vogt")
    walter = server.user(WALTER_ID, "Walter", last_name="Wolf")
    group = server.group(GROUP_ID, "Digitalcafé Stadtbibliothek")
    username = server.bot_user["username"]

    # The café's Telegram group is linked; Volker and Walter say hello there.
    server.post_message(group, ada, f"/verbinden 1@{username}")
    await server.wait_for(lambda r: "gehört jetzt zu" in (r.text or ""), 20)
    for person in (volker, walter):
        mark = len(server.sent)
        server.post_message(group, person, "/start")
        await server.wait_for(lambda r: r.chat_id == GROUP_ID, 20, start=mark)
    group_posts = len(server.messages_to(GROUP_ID))

    # Staff make both Digitallotsen; each is told what to do next.
    for person in (volker, walter):
        number = await number_of(server, person)
        mark = len(server.sent)
        server.post_message(server.private_chat(ada), ada, f"/lotse_einladen {number}")
        chat_id = person["id"]
        welcome = await server.wait_for(lambda r, to=chat_id: r.chat_id == to, 20, start=mark)
        assert welcome.text == (
            "Sie sind jetzt Digitallotse bei Digitalcafé Musterstadt. Danke!\n"
            "Bitte schreiben Sie /lotse. Dann sagen Sie uns, wobei und wann Sie helfen können."
        )

    # Point 14: Volker's profile. Skills are ticked one by one in the same message.
    skills = await say(server, volker, "/lotse")
    assert skills.text == (
        "Wobei können Sie helfen? Tippen Sie alles an, was passt. Dann tippen Sie: Fertig, weiter"
    )
    assert labels(skills)[0] == "⬜ Smartphone" and labels(skills)[-1] == "Fertig, weiter"
    await press(server, volker, skills, "⬜ Smartphone")
    await press(server, volker, skills, "⬜ Fotos")
    ticked = labels(server.message(VOLKER_ID, skills.message_id or 0))
    assert [label for label in ticked if label.startswith("✅")] == ["✅ Smartphone", "✅ Fotos"]
    languages = await press(server, volker, skills, "Fertig, weiter")
    assert (
        languages.text == "Welche Sprachen sprechen Sie? Zum Beispiel: Deutsch, Englisch, Türkisch"
    )
    assert labels(languages) == ["Nur Deutsch"]
    places = await say(server, volker, "Deutsch, Englisch")
    assert places.text == (
        "Wo helfen Sie? Tippen Sie alles an, was passt. Dann tippen Sie: Fertig, weiter"
    )
    await press(server, volker, places, "⬜ Bei den Leuten zu Hause")
    await press(server, volker, places, "⬜ Am Telefon")
    areas = await press(server, volker, places, "Fertig, weiter")
    assert areas.text == "In welchen Ortsteilen besuchen Sie Leute? Zum Beispiel: Altstadt, Nord"
    assert labels(areas) == ["Überall"]
    times = await say(server, volker, "Altstadt, Nord")
    assert times.text.startswith("Wann haben Sie meistens Zeit? Zum Beispiel:")
    assert labels(times) == ["Ganz unterschiedlich"]
    # Point 14: "höchstens gleichzeitig" with an example and buttons.
    how_many = await say(server, volker, "dienstags 14-18 Uhr")
    assert how_many.text == (
        "Wie viele Anfragen möchten Sie höchstens gleichzeitig haben? Zum Beispiel 2. "
        "Sie können jede Zahl bis 10 schreiben."
    )
    assert labels(how_many) == ["1", "2", "3"]
    # Point 14: the summary names topics, languages, places, parts of town and times.
    summary = await press(server, volker, how_many, "2")
    assert summary.text == (
        "Danke! Ihr Profil ist gespeichert.\n"
        "Themen: Smartphone, Fotos\n"
        "Sprachen: Deutsch, Englisch\n"
        "Wo: Bei den Leuten zu Hause, Am Telefon\n"
        "Ortsteile: Altstadt, Nord\n"
        "Zeiten: Dienstag 14–18 Uhr\n"
        "Höchstens 2 Anfragen gleichzeitig.\n"
        "\n"
        "Ändern können Sie es jederzeit mit /lotse. Eine Pause: /pause"
    )

    # Walter, quickly: Smartphone, by phone, any time; point 16: "1 Anfrage", singular.
    skills = await say(server, walter, "/lotse")
    await press(server, walter, skills, "⬜ Smartphone")
    languages = await press(server, walter, skills, "Fertig, weiter")
    places = await press(server, walter, languages, "Nur Deutsch")
    await press(server, walter, places, "⬜ Am Telefon")
    times = await press(server, walter, places, "Fertig, weiter")
    await press(server, walter, times, "Ganz unterschiedlich")
    summary = await say(server, walter, "1")
    assert "Zeiten: ganz unterschiedlich" in summary.text.splitlines()
    assert "Höchstens 1 Anfrage gleichzeitig." in summary.text.splitlines()
    async with app.sessions() as session:
        at_most = sorted((await session.scalars(select(VolunteerProfile.max_open))).all())
    assert at_most == [1, 2]

    # Rosa, a resident on Matrix: staff link the café's Matrix room, she joins it.
    rosa_user = await synapse.new_user_async("rosa")
    async with logged_in(synapse, rosa_user, tmp_path / "rosa-store") as rosa:
        await rosa.client.set_displayname("Rosa Rot")
        staff = staff_on_matrix
        created = await staff.client.room_create(invite=[bot_id, rosa.client.user_id])
        room_id = created.room_id  # type: ignore[union-attr]
        await staff.wait_until(
            lambda: room_id in staff.client.rooms and bot_id in staff.client.rooms[room_id].users
        )
        seen = len(staff.events)
        await staff.client.room_send(
            room_id,
            "m.room.message",
            {"msgtype": "m.text", "body": "!verbinden 1"},
            ignore_unverified_devices=True,
        )
        await staff.wait_until(
            lambda: any(
                isinstance(e, RoomMessageNotice) and e.body.startswith("Fertig.")
                for _, e in staff.events[seen:]
            ),
            within=30,
        )
        await rosa.wait_until(lambda: room_id in rosa.client.invited_rooms)
        seen = len(rosa.events)
        await rosa.client.join(room_id)
        welcome = await next_notice(rosa, room_id, seen, "Willkommen, Rosa Rot!")
        assert "1 – Ich komme" in welcome.body
        # She opens a private chat with the bot.
        created = await rosa.client.room_create(invite=[bot_id], is_direct=True)
        private = created.room_id  # type: ignore[union-attr]
        greeting = await next_notice(rosa, private, 0)
        assert greeting.body.startswith("Hallo Rosa Rot!\nIch bin der Lotsenbot")

        # Point 9: she speaks rather than types; the bot says kindly what to do instead.
        voice = await write(rosa, private, VOICE)
        assert voice.body.splitlines()[:2] == [
            "Sprachnachrichten kann ich leider noch nicht anhören.",
            "Bitte schreiben Sie mir stattdessen einen kurzen Text.",
        ]
        menu = await write(rosa, private, "Ich brauche Hilfe mit meinem Handy")
        assert menu.body.splitlines()[-4:] == [
            "1 – Termine",
            "2 – Hilfe von einem Lotsen",
            "3 – Alle Befehle",
            "Antworten Sie mit 1, 2 oder 3.",
        ]
        # Point 17: sixteen written choices end with a range, not sixteen numbers; nothing
        # here is to be tapped.
        topics = await write(rosa, private, "2")
        lines = topics.body.splitlines()
        assert lines[:3] == ["Wobei brauchen Sie Hilfe?", "", "1 – Smartphone"]
        assert lines[-3:] == [
            "15 – Etwas anderes",
            "16 – Was kann der Bot?",
            "Antworten Sie mit einer Zahl von 1 bis 16.",
        ]
        describe = await write(rosa, private, "1")
        assert describe.body.startswith("Beschreiben Sie es bitte kurz.")
        when = await write(rosa, private, "Ich möchte Fotos an meine Enkel schicken.")
        assert when.body.startswith("Wann passt es Ihnen?")
        where = await write(rosa, private, "dienstags nachmittags")
        assert where.body.splitlines()[0] == "Wo soll die Hilfe sein?"
        # Nothing to tap on Matrix: an unclear answer is told the numbers, a place in her
        # own words is understood.
        unclear = await write(rosa, private, "weiß nicht")
        assert unclear.body == "Bitte schreiben Sie die Zahl einer Antwort."
        phone = await write(rosa, private, "Per Telefon bitte")
        assert phone.body.splitlines() == [
            "Unter welcher Telefonnummer können wir Sie anrufen? Oder schreiben Sie: Lieber hier "
            "im Chat",
            "",
            "1 – Lieber hier im Chat",
            "Antworten Sie mit 1.",
        ]
        mark = len(server.sent)
        searching = await write(rosa, private, "04542 1234")
        assert searching.body == "Danke. Wir suchen jemanden für Sie. Sie hören bis morgen von uns."

        # Both Digitallotsen are offered the request, without her name or number.
        offer = await server.wait_for(lambda r: r.chat_id == VOLKER_ID, 20, start=mark)
        walters = await server.wait_for(lambda r: r.chat_id == WALTER_ID, 20, start=mark)
        for shown in (offer, walters):
            assert (shown.text or "").splitlines() == [
                "Jemand braucht Hilfe. Können Sie das übernehmen?",
                "Thema: Smartphone",
                "Wann: dienstags nachmittags",
                "Wo: am Telefon",
            ]
            assert labels(shown) == ["Ich übernehme", "Diesmal nicht"]

        # Point 16: Volker takes it, "Sie übernehmen jetzt die Anfrage 1."
        seen = len(rosa.events)
        yours = await press(server, volker, offer, "Ich übernehme")
        async with app.sessions() as session:
            request_id = await session.scalar(select(HelpRequest.id))
        assert (yours.text or "").splitlines()[:3] == [
            f"Danke! Sie übernehmen jetzt die Anfrage {request_id}.",
            "Name: Rosa Rot",
            "Telefon: 04542 1234",
        ]
        assert labels(yours) == [
            "Nachricht schreiben",
            "Treffen eintragen",
            "Erledigt",
            "Zurückgeben",
        ]
        news = await next_notice(rosa, private, seen)
        assert news.body.splitlines()[0] == (
            "Gute Nachricht: Volker hilft Ihnen. Volker meldet sich bald bei Ihnen."
        )

        # The offers now say who has it; nothing is left to press.
        for shown, head in (
            (offer, f"Danke! Sie übernehmen jetzt die Anfrage {request_id}."),
            (walters, "Danke! Jemand anderes hat die Anfrage schon übernommen."),
        ):
            edit = await server.wait_for(
                lambda r, m=shown: r.method == "editMessageText" and r.message_id == m.message_id,
                20,
            )
            assert edit.chat_id == shown.chat_id
            assert (edit.text or "").splitlines() == [
                head,
                "Thema: Smartphone",
                "Wann: dienstags nachmittags",
                "Wo: am Telefon",
            ]
            assert labels(server.message(shown.chat_id, shown.message_id or 0)) == []

        # Point 2: presses from a screen that still showed the offer's buttons are answered
        # to the presser alone: Walter hears it is taken, Volker's "Diesmal nicht" changes
        # nothing (no "In Ordnung" while he has it).
        seen = len(rosa.events)
        for who, shown, label, answer in (
            (
                walter,
                walters,
                "Ich übernehme",
                "Danke! Jemand anderes hat die Anfrage schon übernommen.",
            ),
            (
                volker,
                offer,
                "Diesmal nicht",
                "Dieser Knopf geht nicht mehr.\nBitte schreiben Sie /start.",
            ),
        ):
            mark = len(server.sent)
            server.press_button(
                who["id"], who, shown.message_id or 0, data_of(shown, label), forged=True
            )
            late = await server.wait_for(lambda r: r.method == "sendMessage", 20, start=mark)
            assert (late.chat_id, late.text) == (who["id"], answer)
        # ... and an old button he finds in the group: the press's own notice, never a post.
        old = server.messages_to(GROUP_ID)[-1]
        mark = len(server.sent)
        query = server.press_button(GROUP_ID, walter, old.message_id or 0, "hr.x:9", forged=True)
        await answered(server, query)
        assert server.answered_callbacks[query] == (
            "Dieser Knopf geht nicht mehr.\nBitte schreiben Sie /start."
        )
        assert server.sent[mark:] == []

        # Volker marks it done; point 14: "45 Minuten" is an answer.
        minutes = await press(server, volker, yours, "Erledigt")
        assert (
            minutes.text == "Wie lange hat es gedauert? Zum Beispiel: 45 Minuten oder 1,5 Stunden."
        )
        note = await say(server, volker, "45 Minuten")
        assert note.text == "Möchten Sie noch etwas notieren? Sonst schreiben Sie: nein"
        mark = len(server.sent)
        await say(server, volker, "nein")
        await server.wait_until_sent(mark + 2)
        assert [r.text for r in server.sent[mark:]] == [
            "Eingetragen: 45 Minuten.",
            "Danke für Ihre Hilfe! Das bedeutet den Leuten viel.",
        ]
        # Rosa gets one question; on Matrix there is no face to tap, she writes a number.
        question = await next_notice(rosa, private, seen)
        assert question.body.splitlines() == [
            "Hat Ihnen die Hilfe genützt?",
            "",
            "1 – 😀 Sehr gut",
            "2 – 🙂 Gut",
            "3 – 😐 Es geht",
            "4 – 🙁 Nicht so gut",
            "5 – 😞 Schlecht",
            "Antworten Sie mit einer Zahl von 1 bis 5.",
        ]
        thanks = await write(rosa, private, "1")
        assert thanks.body == "Danke für Ihre Antwort!"

    # Volker takes a break; point 16: the staff overview counts right.
    pause = await say(server, volker, "/pause")
    assert pause.text == (
        "Gute Erholung! Bis Freitag, 4. Dezember 2026 bekommen Sie keine Anfragen. "
        "Wenn Sie früher wieder helfen möchten: Schreiben Sie /weiter"
    )
    overview = await say(server, ada, "/lotsen")
    assert (overview.text or "").splitlines() == [
        "Digitallotsen:",
        "2. Volker Vogt: 0 offen, 1 erledigt, 45 Minuten (macht gerade Pause)",
        "3. Walter Wolf: 0 offen, 0 erledigt, 0 Minuten",
    ]
    async with app.sessions() as session:
        request = await session.scalar(select(HelpRequest))
        answers = sorted((await session.scalars(select(HelpOffer.answer))).all())
        paused = await session.scalar(
            select(VolunteerProfile.paused_until).where(VolunteerProfile.max_open == 2)
        )
    assert request is not None
    assert (request.status, request.minutes, request.rating) == ("done", 45, 5)
    assert answers == ["accepted", "taken"]
    assert paused is not None
    # Point 2: nothing of this was posted in the group.
    assert len(server.messages_to(GROUP_ID)) == group_posts
