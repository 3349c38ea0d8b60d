"""The busiest hour's Matrix share counts what Synapse got: the bot's sends from the access
log, and reminders and posts (with their repeats) from a room's history."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench.matrix_share import SendLog, copies

BOT = "@lotsenbot-1-1-abc:localhost"
LINE = (
    "{at} - synapse.access.http.8008 - 643 - INFO - PUT-{n} - 127.0.0.1 - 8008 - {{{who}}}"
    " Processed request: 0.116sec/0.006sec ru=(0.003sec, 0.000sec) db=(0.012sec/0.011sec/9)"
    ' 59B {code} "PUT /_matrix/client/v3/rooms/{room}/send/m.room.message/lb25d HTTP/1.1"'
    ' "Python/3.11 aiohttp/3.14.5" [0 dbevts]\n'
)


def test_send_log_reads_the_bots_sends_only_and_waits_for_a_whole_line(tmp_path: Path) -> None:
    log = tmp_path / "homeserver.log"
    log.write_text("2026-12-07 11:00:00,000 - synapse - INFO - before the hour\n")
    sends = SendLog(SimpleNamespace(log_path=log), BOT)  # type: ignore[arg-type]
    with log.open("a") as out:
        out.write(LINE.format(at="2026-12-07 11:25:54,143", n=1, who=BOT, code=200, room="!a:x"))
        out.write(
            LINE.format(at="2026-12-07 11:25:54,200", n=2, who="@m1:x", code=200, room="!a:x")
        )
        out.write(
            LINE.format(at="2026-12-07 11:25:55,000", n=3, who=BOT, code=429, room="%21b%3Ax")
        )
        out.write("2026-12-07 11:25:56,000 - synapse.access.http.8008 - 643 - INFO - PUT")
    at = datetime(2026, 12, 7, 11, 25, 54, 143_000).timestamp()
    assert sends.read() == [(at, "!a:x", 200), (pytest.approx(at + 0.857), "!b:x", 429)]


def event(sender: str, body: str, ts: int, edit: bool = False) -> dict[str, object]:
    content: dict[str, object] = {"msgtype": "m.notice", "body": body}
    if edit:
        content["m.relates_to"] = {"rel_type": "m.replace", "event_id": "$r"}
    return {"sender": sender, "content": content, "origin_server_ts": ts}


REMINDER = "Erinnerung für heute: Handysprechstunde\n\nSie können nicht?\n\n1 – Ich kann nicht"


def test_the_answer_to_a_typed_one_and_an_edit_are_no_second_reminder() -> None:
    room = [
        event(BOT, REMINDER, 1),
        event("@m1:x", "1", 2),
        event(BOT, "Sie sind abgemeldet von: Handysprechstunde, Montag, 7. Dezember", 3),
        event(BOT, "* " + REMINDER, 4, edit=True),
    ]
    assert copies(room, BOT, "Handysprechstunde") == [room[0]]


def test_a_reminder_sent_again_is_a_repeat() -> None:
    room = [event(BOT, REMINDER, 1), event(BOT, REMINDER, 5), event("@m1:x", REMINDER, 6)]
    assert copies(room, BOT, "Handysprechstunde") == room[:2]
    assert copies(room[2:], BOT, "Handysprechstunde") == []
