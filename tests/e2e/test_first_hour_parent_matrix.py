"""Paula's first hour: a parent on Element, in an encrypted group and an encrypted private
room, against the real Synapse (issue #18, as the parent meets it).

One story, step by step, asserting what Paula sees:

* point 8: she joins the group after the dates were announced (posts she cannot decrypt) and
  is greeted with the next date; "/termine" is answered and she is told once about "!";
  "!termine" in the group shows nobody's status, in private it shows hers with her
  companions, and names each date once (the numbered lines are the list); the companion
  question takes a typed number and offers no numbered choice that would clash with it;
  giving a place back sends a calendar cancellation; nothing she receives says "tippen"
  (there is nothing to tap on Matrix);
* point 1: "Wann ist das nächste Treffen?" in private shows the next date; "!hilfe" and a
  text the bot does not understand offer 1 – Termine, 2 – Hilfe von einem Lotsen,
  3 – Alle Befehle, and typing "1" shows the dates;
* point 9: a voice message (m.audio, encrypted) gets the kind answer;
* point 5: signed up for two dates, her "nein" replying to the later date's post gives back
  that date only, and the answer names its date, time and place; a "ja" with nothing open
  gets a kind answer;
* point 16: the counts she reads ("mit 2 Begleitpersonen", "Noch 12 von 15 Plätzen frei")
  go through plural forms;
* point 17: the weekly café's eight dates are answered "mit einer Zahl von 1 bis 8", three
  choices "mit 1, 2 oder 3".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from nio import Event, MegolmEvent, RoomEncryptedFile, RoomMessageNotice
from nio.crypto.attachments import decrypt_attachment
from sqlalchemy import select

from bot.domain.models import Account, Rsvp
from bot.domain.models import Event as Date
from tests.e2e.matrix_bot import RunningMatrixBot, bot_account
from tests.e2e.test_matrix_voice_messages import ENCRYPTED_FILE, VOICE
from tests.fakes.clock import RunningClock
from tests.fakes.matrix_peer import WAIT, Peer, logged_in, say
from tests.servers.synapse import SynapseServer, synapse_fixture  # noqa: F401 - fixture

ENCRYPTED = {
    "type": "m.room.encryption",
    "state_key": "",
    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
}
ELTERNCAFE = "!termin_neu Elterncafé; jeden Mittwoch 16–18 Uhr; Familienzentrum; 12"
WEEKLY = [
    f"Nr. {number}: Elterncafé, Mittwoch, {day}, 16:00 bis 18:00 Uhr"
    for number, day in enumerate(
        [
            "25. November 2026",
            "2. Dezember 2026",
            "9. Dezember 2026",
            "16. Dezember 2026",
            "23. Dezember 2026",
            "30. Dezember 2026",
            "6. Januar 2027",
        ],
        start=2,
    )
]
NEXT_DATE = [
    "Digitalcafé",
    "Mittwoch, 25. November 2026, 15:00 bis 17:00 Uhr",
    "Ort: Stadtbibliothek, Raum 2",
    "Thema: Fotos vom Handy an die Familie schicken",
]
MENU = [
    "1 – Termine",
    "2 – Hilfe von einem Lotsen",
    "3 – Alle Befehle",
    "Antworten Sie mit 1, 2 oder 3.",
]


def lines(event: RoomMessageNotice) -> list[str]:
    """What a message says, line by line, without its blank lines."""
    return [line for line in event.body.splitlines() if line.strip()]


def _notice(start: str) -> Callable[[Event], bool]:
    return lambda e: isinstance(e, RoomMessageNotice) and e.body.startswith(start)


class Person:
    """A nio client that reads what the bot sends, joins the private room the bot opens for
    it, and says what it types."""

    def __init__(self, peer: Peer) -> None:
        self.peer = peer
        self.group: str | None = None
        self.private: str | None = None

    async def _sync(self) -> None:
        await self.peer.sync_once()
        for room_id in list(self.peer.client.invited_rooms):
            await self.peer.client.join(room_id)  # the private room the bot opened

    async def say(self, room_id: str, text: str, reply_to: str | None = None) -> int:
        mark = len(self.peer.events)
        await say(self.peer, room_id, text, reply_to)
        return mark

    async def sees(self, room_id: str, start: str, mark: int = 0) -> RoomMessageNotice:
        """The bot's first notice in that room since ``mark`` that starts so."""
        found = await self.sees_event(room_id, _notice(start), mark, f"a text {start!r}")
        return found  # type: ignore[return-value]

    async def sees_event(
        self, room_id: str, matches: Callable[[Event], bool], mark: int, what: str
    ) -> Event:
        deadline = time.monotonic() + WAIT
        while True:
            for seen, event in self.peer.events[mark:]:
                if seen == room_id and matches(event):
                    return event
            if time.monotonic() > deadline:
                bodies = [
                    getattr(e, "body", "") for r, e in self.peer.events[mark:] if r == room_id
                ]
                raise AssertionError(f"no {what} in {room_id}: {bodies}")
            await self._sync()

    async def sees_privately(self, start: str, mark: int = 0) -> RoomMessageNotice:
        """Her private room with the bot is the one room besides the group."""
        deadline = time.monotonic() + WAIT
        while self.private is None:
            rooms = [r for r in self.peer.client.rooms if r != self.group]
            if rooms:
                self.private = rooms[0]
                break
            if time.monotonic() > deadline:
                raise AssertionError("the bot opened no private room")
            await self._sync()
        return await self.sees(self.private, start, mark)

    async def nothing_more(self, room_id: str, mark: int) -> list[str]:
        """What the bot sent to that room since ``mark``, after a few more syncs."""
        for _ in range(3):
            await self._sync()
        return [
            e.body
            for r, e in self.peer.events[mark:]
            if r == room_id and isinstance(e, RoomMessageNotice)
        ]

    def everything_read(self) -> list[str]:
        """Every text the bot showed her, edits of posts included."""
        texts = []
        for _, event in self.peer.events:
            if not isinstance(event, RoomMessageNotice):
                continue
            content = event.source.get("content", {})
            texts += [event.body, content.get("formatted_body", "")]
            texts.append(content.get("m.new_content", {}).get("body", ""))
        return texts


async def _staff_announce(ada: Person, bot_id: str) -> None:
    """Ada, staff, plans the Elterncafé in her private room and announces it at once."""
    created = await ada.peer.client.room_create(invite=[bot_id], is_direct=True)
    ada.private = created.room_id  # type: ignore[union-attr]
    await ada.sees(ada.private, "Hallo")
    mark = await ada.say(ada.private, ELTERNCAFE)
    preview = await ada.sees(ada.private, "So sehen es die Mitglieder", mark)
    assert "2 – Speichern und jetzt ankündigen" in preview.body
    mark = await ada.say(ada.private, "2")
    await ada.sees_event(ada.private, lambda e: isinstance(e, RoomMessageNotice), mark, "answer")


async def _seats(app, user_id: str) -> dict[str, tuple[str, int]]:  # type: ignore[no-untyped-def]
    """Paula's sign-ups as the database holds them: date title → (status, party size)."""
    async with app.sessions() as session:
        rows = await session.execute(
            select(Date.title, Rsvp.status, Rsvp.party_size)
            .join(Rsvp, Rsvp.event_id == Date.id)
            .join(Account, Account.person_id == Rsvp.person_id)
            .where(Account.external_id == user_id)
        )
    return {title: (status, party) for title, status, party in rows}


async def _calendar_file(paula: Person, room_id: str, mark: int) -> tuple[str, str]:
    """The next file in that room since ``mark``, downloaded and decrypted: name, text."""
    file = await paula.sees_event(
        room_id, lambda e: isinstance(e, RoomEncryptedFile), mark, "calendar file"
    )
    assert isinstance(file, RoomEncryptedFile)
    downloaded = await paula.peer.client.download(file.url)
    data = decrypt_attachment(downloaded.body, file.key["k"], file.hashes["sha256"], file.iv)  # type: ignore[attr-defined]
    return file.body, data.decode()


async def test_paulas_first_hour(synapse: SynapseServer, sqlite_url: str, tmp_path: Path) -> None:
    account = await bot_account(synapse)
    bot_id = account.user_id
    ada_user = await synapse.new_user_async("ada")
    paula_user = await synapse.new_user_async("paula")
    admin = await synapse.new_user_async("admin", admin=True)
    for user in (ada_user, paula_user):  # they write as fast as a test can
        await synapse.override_ratelimit_async(user.user_id, admin.access_token)
    running = RunningMatrixBot(
        synapse,
        account,
        sqlite_url,
        tmp_path,
        clock=RunningClock(),  # Friday, 20 November 2026, 10:00 in Germany
        bot={"admins": [f"matrix:{ada_user.user_id}"]},
    )
    app = await running.start()
    try:
        async with (
            logged_in(synapse, ada_user, tmp_path / "ada") as ada_peer,
            logged_in(synapse, paula_user, tmp_path / "paula") as paula_peer,
        ):
            ada, paula = Person(ada_peer), Person(paula_peer)
            await paula_peer.client.set_displayname("Paula")
            await _story(app, ada, paula, bot_id)
    finally:
        await running.stop()


async def _story(app, ada: Person, paula: Person, bot_id: str) -> None:  # type: ignore[no-untyped-def]
    paula_id = paula.peer.client.user_id
    # The café's encrypted group: Ada links it and announces the Elterncafé. Paula is invited
    # only afterwards, so she cannot decrypt what was posted before she came.
    created = await ada.peer.client.room_create(invite=[bot_id], initial_state=[ENCRYPTED])
    group = created.room_id  # type: ignore[union-attr]
    paula.group = ada.group = group
    await ada.peer.wait_until(
        lambda: group in ada.peer.client.rooms and bot_id in ada.peer.client.rooms[group].users
    )
    mark = await ada.say(group, "!verbinden 1")
    await ada.sees(group, "Fertig.", mark)
    await _staff_announce(ada, bot_id)
    announced = await ada.sees(group, "Elterncafé")
    await ada.peer.client.room_invite(group, paula_id)

    # Point 8: she joins and is greeted with the next date, readable for her.
    await paula.peer.wait_until(lambda: group in paula.peer.client.invited_rooms)
    await paula.peer.client.join(group)
    welcome = await paula.sees(group, "Willkommen, Paula!")
    unreadable = [e for r, e in paula.peer.events if r == group and isinstance(e, MegolmEvent)]
    assert announced.event_id in [e.event_id for e in unreadable]
    assert welcome.decrypted  # type: ignore[attr-defined]
    assert welcome.body.splitlines() == [
        "Willkommen, Paula!",
        "Der nächste Termin:",
        "",
        *NEXT_DATE,
        "Noch 15 von 15 Plätzen frei.",
        "",
        "1 – Ich komme",
        "2 – Ich komme mit Begleitung",
        "3 – Ich kann nicht",
        "Antworten Sie mit 1, 2 oder 3.",
    ]

    # Point 8: "/termine" as she knows it from elsewhere is answered in the group, and she is
    # told once, privately, that commands start with "!" here.
    mark = await paula.say(group, "/termine")
    listing = await paula.sees(group, "Die nächsten Termine:", mark)
    tip = await paula.sees_privately("Tipp:", mark)
    assert tip.body == "Tipp: Hier fangen Befehle mit ! an, zum Beispiel !termine."
    assert tip.decrypted  # type: ignore[attr-defined]
    mark = await paula.say(group, "/termine")
    await paula.sees(group, "Die nächsten Termine:", mark)
    assert await paula.nothing_more(paula.private, mark) == []  # type: ignore[arg-type]

    # Each date once, with its one number (the choices are the list where nothing can be
    # tapped); point 17: eight choices are answered with a range, not eight numbers.
    assert lines(listing) == [
        "Die nächsten Termine:",
        "Schreiben Sie die Nummer eines Termins. Dann sehen Sie ihn und können sich anmelden.",
        "Nr. 1: Digitalcafé, Mittwoch, 25. November 2026, 15:00 bis 17:00 Uhr",
        *WEEKLY,
        "Antworten Sie mit einer Zahl von 1 bis 8.",
    ]
    # Typing the number of the Elterncafé on 2 December in the group shows its post.
    mark = await paula.say(group, "3")
    later = await paula.sees(group, "Elterncafé", mark)
    assert lines(later)[:4] == [
        "Elterncafé",
        "Mittwoch, 2. Dezember 2026, 16:00 bis 18:00 Uhr",
        "Ort: Familienzentrum",
        "Noch 12 von 12 Plätzen frei.",
    ]
    # Point 5: a reply answers the post it replies to; the answer names date, time and place.
    mark = await paula.say(group, "1", reply_to=later.event_id)
    signed_up = await paula.sees_privately("Sie sind angemeldet.", mark)
    assert lines(signed_up)[:4] == [
        "Sie sind angemeldet. Wir freuen uns auf Sie!",
        "Elterncafé",
        "Mittwoch, 2. Dezember 2026, 16:00 bis 18:00 Uhr",
        "Ort: Familienzentrum",
    ]

    # Point 8: with her two children, answering the welcome post: the question takes a
    # typed number, and no numbered choice stands beside it that "2" could also mean.
    mark = await paula.say(group, "2", reply_to=welcome.event_id)
    how_many = await paula.sees_privately("Wie viele Personen", mark)
    assert how_many.body == (
        "Wie viele Personen bringen Sie mit? Bitte schreiben Sie eine Zahl, zum Beispiel 1."
    )
    mark = await paula.say(paula.private, "2")  # type: ignore[arg-type]
    with_children = await paula.sees_privately("Sie sind angemeldet", mark)
    # Point 16: the count through its plural form.
    assert lines(with_children)[:5] == [
        "Sie sind angemeldet, mit 2 Begleitpersonen. Wir freuen uns auf Sie!",
        *NEXT_DATE,
    ]
    name, calendar = await _calendar_file(paula, paula.private, mark)  # type: ignore[arg-type]
    assert name == "termin-2026-11-25.ics" and "METHOD:PUBLISH" in calendar
    assert await _seats(app, paula_id) == {"Elterncafé": ("yes", 1), "Digitalcafé": ("yes", 3)}

    # Point 8: "!termine" in the group names nobody's status; in private, hers with the
    # children.
    mark = await paula.say(group, "!termine")
    in_group = await paula.sees(group, "Die nächsten Termine:", mark)
    assert lines(in_group) == lines(listing)
    mark = await paula.say(paula.private, "!termine")  # type: ignore[arg-type]
    private_list = await paula.sees_privately("Die nächsten Termine:", mark)
    assert lines(private_list)[2:] == [
        "Nr. 1: Digitalcafé, Mittwoch, 25. November 2026, 15:00 bis 17:00 Uhr",
        "   Sie sind angemeldet, mit 2 Begleitpersonen.",
        WEEKLY[0],
        WEEKLY[1],
        "   Sie sind angemeldet.",
        *WEEKLY[2:],
        "Antworten Sie mit einer Zahl von 1 bis 8.",
    ]

    # Point 1: a plain question about the next date, in private.
    mark = await paula.say(paula.private, "Wann ist das nächste Treffen?")  # type: ignore[arg-type]
    answer = await paula.sees_privately("Digitalcafé", mark)
    assert lines(answer)[:6] == [
        *NEXT_DATE,
        "Noch 12 von 15 Plätzen frei.",
        "Sie sind angemeldet, mit 2 Begleitpersonen.",
    ]

    # Point 1: help in private is a short menu, and so is what the bot does not understand;
    # typing "1" shows the dates.
    mark = await paula.say(paula.private, "!hilfe")  # type: ignore[arg-type]
    menu = await paula.sees_privately("Was möchten Sie tun?", mark)
    assert lines(menu)[-4:] == MENU
    mark = await paula.say(paula.private, "Kann ich mein Fahrrad mitbringen?")  # type: ignore[arg-type]
    lost = await paula.sees_privately("Das habe ich leider nicht verstanden.", mark)
    assert lost.body.splitlines() == [
        "Das habe ich leider nicht verstanden.",
        "Was möchten Sie tun?",
        "",
        *MENU,
    ]
    mark = await paula.say(paula.private, "1")  # type: ignore[arg-type]
    await paula.sees_privately("Die nächsten Termine:", mark)

    # Point 9: she speaks instead of typing.
    mark = len(paula.peer.events)
    await paula.peer.client.room_send(
        paula.private,  # type: ignore[arg-type]
        "m.room.message",
        {**VOICE, "file": ENCRYPTED_FILE},
        ignore_unverified_devices=True,
    )
    voice = await paula.sees_privately("Sprachnachrichten", mark)
    assert voice.body.startswith(
        "Sprachnachrichten kann ich leider noch nicht anhören.\n"
        "Bitte schreiben Sie mir stattdessen einen kurzen Text."
    )

    # Point 5: "nein" replying to the Elterncafé post gives back that date only, named in
    # full; the Digitalcafé with the children stays.
    mark = await paula.say(group, "nein", reply_to=later.event_id)
    given_back = await paula.sees_privately("Danke für Ihre Nachricht.", mark)
    assert lines(given_back) == [
        "Danke für Ihre Nachricht. Ihr Platz ist jetzt für andere frei.",
        "Elterncafé",
        "Mittwoch, 2. Dezember 2026, 16:00 bis 18:00 Uhr",
        "Ort: Familienzentrum",
    ]
    assert await _seats(app, paula_id) == {"Elterncafé": ("no", 1), "Digitalcafé": ("yes", 3)}
    # Point 8: her calendar learns that the Elterncafé is off.
    name, calendar = await _calendar_file(paula, paula.private, mark)  # type: ignore[arg-type]
    assert name == "termin-2026-12-02-abgesagt.ics"
    assert "METHOD:CANCEL" in calendar and "STATUS:CANCELLED" in calendar

    # Point 5: "ja" with no open question is answered kindly, never with silence.
    mark = await paula.say(paula.private, "ja")  # type: ignore[arg-type]
    kind = await paula.sees_privately("Gerade ist keine Frage an Sie offen.", mark)
    assert kind.body == (
        "Gerade ist keine Frage an Sie offen.\nDie nächsten Termine sehen Sie mit !termine."
    )

    # Point 8: in all she read, nothing asks her to tap.
    read = paula.everything_read()
    assert len(read) > 40
    assert [text for text in read if "tippen" in text.lower()] == []
