"""Texts for the Amtsblatt and the local paper: /presse for a date, a series and a month,
read back from the .odt and the .txt."""

from __future__ import annotations

import io

from odf import teletype
from odf.opendocument import load
from odf.text import H, P
from sqlalchemy import select

from bot.domain.models import Event
from tests.fakes.memory import Conversation, Shown
from tests.fakes.memory import Person as Someone
from tests.handlers.conftest import ADA

ERIKA = Someone("300", "Erika")


def _odt_text(shown: Shown) -> list[str]:
    assert shown.attachment is not None
    document = load(io.BytesIO(shown.attachment.data))
    return [teletype.extractText(e) for e in document.getElementsByType(H)] + [
        teletype.extractText(e) for e in document.getElementsByType(P)
    ]


async def _new_date(tg: Conversation, line: str) -> Event:
    [preview] = await tg.say(ADA, f"/termin_neu {line}")
    await tg.press(ADA, preview, "Speichern und jetzt ankündigen")
    async with tg.app.sessions() as session:
        title = line.split(";")[0]
        query = select(Event).where(Event.title == title).order_by(Event.starts_at)
        return (await session.scalars(query)).first()  # type: ignore[return-value]


async def test_press_text_for_one_date(tg: Conversation) -> None:
    number = (await _new_date(tg, "Sprechstunde; 9.12. 10 Uhr; Rathaus, Saal 1; 12; WhatsApp")).id
    odt, txt = await tg.say(ADA, f"/presse {number}")
    assert odt.chat_id == "dm-1"
    assert odt.text.startswith("Hier ist der Text für das Amtsblatt")
    assert odt.attachment is not None and odt.attachment.filename == "presse-2026-12-09.odt"
    lines = _odt_text(odt)
    assert lines[0] == "Digitalcafé Musterstadt lädt ein: Sprechstunde"
    assert "Wann: Mittwoch, 9. Dezember 2026, 10:00 Uhr" in lines
    assert "Ort: Rathaus, Saal 1" in lines
    assert "Thema: WhatsApp" in lines
    assert "Anmeldung: in der Chat-Gruppe »Digitalcafé Musterstadt«." in lines
    assert txt.attachment is not None and txt.attachment.filename == "presse-2026-12-09.txt"
    text = txt.attachment.data.decode("utf-8")
    assert text.startswith("Digitalcafé Musterstadt lädt ein: Sprechstunde\n\nWann: Mittwoch, 9.")
    [members] = await tg.say(ERIKA, f"/presse {number}")
    assert members.attachment is None


async def test_press_text_for_a_series_and_a_month(tg: Conversation) -> None:
    number = (await _new_date(tg, "Digitalcafé am Mittwoch; jeden Mittwoch 15 Uhr; Bibliothek")).id
    odt, _txt = await tg.say(ADA, f"/presse reihe {number}")
    lines = _odt_text(odt)
    assert lines[0] == "Digitalcafé Musterstadt lädt ein: Digitalcafé am Mittwoch"
    assert "Die nächsten Termine:" in lines
    assert "– Mittwoch, 9. Dezember 2026, 15:00 Uhr" in lines
    assert "– Mittwoch, 16. Dezember 2026, 15:00 Uhr" in lines
    assert "Ort: Bibliothek" in lines

    odt, _txt = await tg.say(ADA, "/presse Dezember")
    assert odt.attachment is not None and odt.attachment.filename == "presse-2026-12.odt"
    lines = _odt_text(odt)
    assert lines[0] == "Digitalcafé Musterstadt: unsere Termine im Dezember 2026"
    assert lines.count("Digitalcafé am Mittwoch") == 5  # 2., 9., 16., 23., 30. December
    assert "Wann: Mittwoch, 30. Dezember 2026, 15:00 Uhr" in lines
    [none] = await tg.say(ADA, "/presse März 2026")
    assert none.text == "Im März 2026 gibt es keine öffentlichen Termine."
    [unclear] = await tg.say(ADA, "/presse irgendwann")
    assert unclear.text.startswith("Bitte schreiben Sie die Nummer eines Termins oder einen Monat")
    assert unclear.attachment is None
