"""One community on Telegram and Matrix: linked accounts, notices to both, optional relay."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.bootstrap import App, build_app, prepare
from bot.domain.models import Account, Person, Role
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, matrix_like, telegram_like
from tests.fakes.memory import Person as Someone

ADA_TG = Someone("1", "Ada")
ANNA_TG = Someone("100", "Anna")
ANNA_MX = Someone("@anna:stadt.example", "Anna B.")
MIA_TG = Someone("200", "Mia")


@pytest.fixture
async def both(
    db_url: str, tmp_path: Path
) -> AsyncIterator[tuple[App, Conversation, Conversation]]:
    telegram, matrix = telegram_like(), matrix_like()
    settings = make_settings(db_url, tmp_path, bot={"admins": ["telegram:1"]})
    app = build_app(settings, clock=FakeClock(), adapters=[telegram, matrix])
    await prepare(app)
    yield app, Conversation(app, telegram), Conversation(app, matrix)
    await app.close()


async def test_linking_makes_one_person(both) -> None:  # type: ignore[no-untyped-def]
    app, tg, mx = both
    tg_group = tg.group("-10")
    await tg.say(ADA_TG, "/verbinden 1", chat=tg_group)
    await tg.say(ANNA_TG, "/start", chat=tg_group)  # Anna becomes a member on Telegram
    [code_message] = await tg.say(ANNA_TG, "/verknuepfen")
    code = re.search(r"Ihr Code ist: (\w+)", code_message.text).group(1)  # type: ignore[union-attr]
    assert f"!verknuepfen {code}" in code_message.text
    [wrong] = await mx.say(ANNA_MX, "!verknuepfen XXXXXX")
    assert wrong.text.startswith("Dieser Code passt nicht.")
    [done] = await mx.say(ANNA_MX, f"!verknuepfen {code.lower()}")
    assert done.text.startswith("Fertig. Beide Apps gehören jetzt zu Ihnen.")
    async with app.sessions() as session:
        owners = dict((await session.execute(select(Account.external_id, Account.person_id))).all())
        assert owners["100"] == owners["@anna:stadt.example"] != owners["1"]
        persons = await session.scalar(select(func.count(Person.id)))
        roles = (
            await session.scalars(select(Role.role).where(Role.person_id == owners["100"]))
        ).all()
    assert persons == 2 and roles == ["member"]
    [me_tg] = await tg.say(ANNA_TG, "/ich")
    [me_mx] = await mx.say(ANNA_MX, "!ich")
    assert me_tg.text.splitlines()[0] == me_mx.text.splitlines()[0]
    [reused] = await mx.say(Someone("@eve:stadt.example", "Eve"), f"!verknuepfen {code}")
    assert reused.text.startswith("Dieser Code passt nicht.")


async def test_expired_code_is_refused(both) -> None:  # type: ignore[no-untyped-def]
    app, tg, mx = both
    [code_message] = await tg.say(ANNA_TG, "/verknuepfen")
    code = re.search(r"Ihr Code ist: (\w+)", code_message.text).group(1)  # type: ignore[union-attr]
    app.clock.advance(minutes=31)
    [late] = await mx.say(ANNA_MX, f"!verknuepfen {code}")
    assert late.text.startswith("Dieser Code passt nicht.")


async def test_notice_and_relay_reach_both_platforms(both) -> None:  # type: ignore[no-untyped-def]
    _app, tg, mx = both
    tg_group, mx_room = tg.group("-10", "Café"), mx.group("!room:stadt.example", "Café")
    await tg.say(ADA_TG, "/verbinden 1", chat=tg_group)
    await tg.say(ADA_TG, "/verknuepfen")
    [code_message] = tg.adapter.shown[-1:]
    code = re.search(r"Ihr Code ist: (\w+)", code_message.text).group(1)  # type: ignore[union-attr]
    ada_mx = Someone("@ada:stadt.example", "Ada")
    await mx.say(ada_mx, f"!verknuepfen {code}")
    [linked] = await mx.say(ada_mx, "!verbinden 1", chat=mx_room)
    assert linked.text.startswith("Fertig.")

    await tg.say(ADA_TG, "/mitteilung Am Montag ist die Bibliothek geschlossen.", chat=tg_group)
    await mx.flush()
    assert tg.adapter.to("-10")[-2].text == "Am Montag ist die Bibliothek geschlossen."
    assert (
        mx.adapter.to("!room:stadt.example")[-1].text == "Am Montag ist die Bibliothek geschlossen."
    )

    # Relay is off by default.
    await tg.say(MIA_TG, "Hallo zusammen", chat=tg_group)
    assert [s.text for s in await mx.flush()] == []
    await tg.say(ADA_TG, "/weiterleiten an", chat=tg_group)
    await tg.say(MIA_TG, "Hallo zusammen", chat=tg_group)
    await tg.say(MIA_TG, "/hilfe", chat=tg_group)
    relayed = [s.text for s in await mx.flush()]
    assert relayed == ["Mia (Telegram): Hallo zusammen"]  # the command was not relayed
    await mx.say(Someone("@otto:stadt.example", "Otto"), "Guten Tag", chat=mx_room)
    assert tg.adapter.to("-10")[-1].text == "Otto (Matrix): Guten Tag"


async def test_one_sign_up_count_across_both_platforms(both) -> None:  # type: ignore[no-untyped-def]
    app, tg, mx = both
    tg_group, mx_room = tg.group("-10", "Café"), mx.group("!room:stadt.example", "Café")
    ada_mx = Someone("@ada:stadt.example", "Ada")
    await tg.say(ADA_TG, "/verbinden 1", chat=tg_group)
    [code_message] = await tg.say(ADA_TG, "/verknuepfen")
    code = re.search(r"Ihr Code ist: (\w+)", code_message.text).group(1)  # type: ignore[union-attr]
    await mx.say(ada_mx, f"!verknuepfen {code}")
    await mx.say(ada_mx, "!verbinden 1", chat=mx_room)
    # Anna uses both apps and links them.
    [code_message] = await tg.say(ANNA_TG, "/verknuepfen")
    code = re.search(r"Ihr Code ist: (\w+)", code_message.text).group(1)  # type: ignore[union-attr]
    await mx.say(ANNA_MX, f"!verknuepfen {code}")

    shown = await tg.say(ADA_TG, "/ankuendigen", chat=tg_group)
    assert [s.text for s in shown][-1] == "An 2 Chats geschickt."
    [tg_post] = [s for s in shown if s.buttons]
    [mx_post] = await mx.flush()
    for post in (tg_post, mx_post):
        assert post.text.splitlines()[:5] == [
            "Digitalcafé",
            "Mittwoch, 25. November 2026, 15:00 bis 17:00 Uhr",
            "Ort: Stadtbibliothek, Raum 2",
            "Thema: Fotos vom Handy an die Familie schicken",
            "Noch 15 von 15 Plätzen frei.",
        ]
        assert [label for label, _ in post.buttons] == [
            "Ich komme",
            "Ich komme mit Begleitung",
            "Ich kann nicht",
        ]
    # Where there are buttons, one line says which to tap (a Telegram group in privacy
    # mode never passes a typed "ja" on); Matrix keeps its numbered choices.
    assert tg_post.text.splitlines()[5:] == ["Tippen Sie auf „Ich komme“."]
    assert mx_post.text.splitlines()[5:] == []
    assert mx_post.rendered.splitlines()[-1] == "Antworten Sie mit 1, 2 oder 3."

    # The answer goes privately, so the group sees no names; the group posts show the count.
    [yes_tg] = await tg.press(ANNA_TG, tg_post, "Ich komme", chat=tg_group)
    assert yes_tg.chat_id == "dm-100"  # her private chat with the bot
    assert yes_tg.text.startswith("Sie sind angemeldet. Wir freuen uns auf Sie!")
    await mx.flush()
    assert "Noch 14 von 15 Plätzen frei." in tg.adapter.current_text(tg_post.message_id)
    assert mx.adapter.current_text(mx_post.message_id).endswith("Noch 14 von 15 Plätzen frei.")
    # The same person answers again in the Matrix room, typing the number of the choice.
    [yes_mx] = await mx.say(ANNA_MX, "1", chat=mx_room)
    assert yes_mx.chat_id != "!room:stadt.example"
    assert yes_mx.text.splitlines()[0] == "Sie sind schon angemeldet. Bis bald!"
    [mia] = await tg.press(MIA_TG, tg_post, "Ich komme", chat=tg_group)
    assert mia.chat_id == "200"
    await mx.flush()
    assert mx.adapter.current_text(mx_post.message_id).endswith("Noch 13 von 15 Plätzen frei.")
    [no] = await mx.say(ANNA_MX, "nein", chat=mx_room)
    assert no.text.splitlines()[:3] == [
        "Danke für Ihre Nachricht. Ihr Platz ist jetzt für andere frei.",
        "",
        "Digitalcafé",
    ]
    # Nobody's name ever appears in either group.
    for adapter, room in ((tg.adapter, "-10"), (mx.adapter, "!room:stadt.example")):
        texts = [s.text for s in adapter.to(room)] + [e.text for e in adapter.edits]
        assert not any(name in text for text in texts for name in ("Anna", "Mia"))
    async with app.sessions() as session:
        from bot.domain.models import Rsvp

        answers = (await session.execute(select(Rsvp.person_id, Rsvp.status))).all()
    assert sorted(status for _, status in answers) == ["no", "yes"]  # Anna once, Mia once
