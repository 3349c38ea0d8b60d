"""A language the code has never seen (Turkish, from a fixture catalog in a temporary
``locales/tr``) and one configuration line: its speakers get its texts, its command list on
Matrix, its date words in what they read and in what they type, and a poster in it for a
group whose language it is."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.bootstrap import build_app, prepare
from bot.chat.types import ChatRef
from bot.domain.models import Community, Event
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, MemoryAdapter, matrix_like, telegram_like
from tests.fakes.memory import Person as Someone
from tests.languages import TURKISH, locales_with
from tests.pdfs import text_of

ADA = Someone("1", "Ada")  # staff on Telegram
PIA = Someone("@pia:stadt.example", "Pia")  # a member on Matrix


async def _bot(
    db_url: str, tmp_path: Path, adapter: MemoryAdapter, admin: str
) -> AsyncIterator[Conversation]:
    settings = make_settings(
        db_url,
        tmp_path,
        bot={
            "admins": [admin],
            "locales_dir": str(locales_with(tmp_path, "tr", TURKISH)),
            "languages": ["de", "en", "uk", "tr"],
        },
    )
    app = build_app(settings, clock=FakeClock(), adapters=[adapter])
    await prepare(app)
    try:
        yield Conversation(app, adapter)
    finally:
        await app.close()


@pytest.fixture
async def mx(db_url: str, tmp_path: Path) -> AsyncIterator[Conversation]:
    async for talk in _bot(db_url, tmp_path, matrix_like(), "matrix:@ada:stadt.example"):
        await talk.say(Someone("@ada:stadt.example", "Ada"), "!verbinden 1", chat=talk.group())
        yield talk


@pytest.fixture
async def tg(db_url: str, tmp_path: Path) -> AsyncIterator[Conversation]:
    async for talk in _bot(db_url, tmp_path, telegram_like(), "telegram:1"):
        await talk.say(ADA, "/verbinden 1", chat=talk.group("-10"))
        yield talk


async def test_on_matrix_a_turkish_speaker_reads_turkish_and_its_commands(
    mx: Conversation,
) -> None:
    await mx.say(PIA, "!start", chat=mx.group())
    private = ChatRef("matrix", PIA.user_id, "direct")
    await mx.say(PIA, "!sprache", chat=private)
    [done] = await mx.say(PIA, "Türkçe", chat=private)
    assert done.text == "Teşekkürler. Bundan sonra size Türkçe yazıyorum."
    [hello] = await mx.say(PIA, "!start", chat=private)
    assert hello.text.startswith("Merhaba Pia!")
    # The date in Turkish words and order (Babel), with no pattern written for Turkish.
    assert "25 Kasım 2026 Çarşamba, 15:00" in hello.text
    await mx.say(PIA, "!help", chat=private)
    [commands] = await mx.say(PIA, "Tüm komutlar", chat=private)
    assert commands.text.startswith("Şunları yapabilirim:")
    assert "!language – Dil seçin" in commands.text


async def test_turkish_staff_type_a_date_in_turkish_and_print_a_turkish_poster(
    tg: Conversation,
) -> None:
    [question] = await tg.say(ADA, "/sprache")
    await tg.press(ADA, question, "Türkçe")
    [preview] = await tg.say(ADA, "/termin_neu Kahve; 15 Aralık 15:00; Kütüphane; 10")
    [saved] = await tg.press(ADA, preview, "Kaydet")
    assert saved.text.startswith("Kaydedildi: Kahve, 15 Aralık 2026 Salı, 15:00.")
    async with tg.app.sessions.begin() as session:
        event_id = await session.scalar(select(Event.id).where(Event.title == "Kahve"))
        # A poster speaks the group's language: this group's is Turkish.
        await session.execute(update(Community).values(locale="tr"))
    [poster] = await tg.say(ADA, f"/poster {event_id}")
    assert poster.text == "Yazdırmak için afiş burada."
    assert poster.attachment is not None
    text = text_of(poster.attachment.data)
    assert "Kaydolmak için telefonunuzla tarayın" in text
    assert "15 Aralık 2026 Salı" in text
