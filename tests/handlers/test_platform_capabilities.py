"""What an adapter declares about its platform is what people see: the command prefix in
every hint, the platform's name on relayed messages, and a check-in QR code only where the
platform's links can carry the code."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.bootstrap import ADMIN_CODE_FILE, build_app, prepare
from bot.domain.models import Event
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, MemoryAdapter
from tests.fakes.memory import Person as Someone

ADA, MIA = Someone("1", "Ada"), Someone("2", "Mia")
GROUP = "room-1"
# A platform the core has never heard of: only its adapter's declarations tell about it.
XMPP = {"platform": "xmpp", "command_prefix": "!", "display_name": "Jabber"}

Start = Callable[..., AsyncIterator[Conversation]]


@pytest.fixture
def chat(db_url: str, tmp_path: Path) -> Start:
    async def start(**declared: str) -> AsyncIterator[Conversation]:
        adapter = MemoryAdapter(**{**XMPP, **declared})  # type: ignore[arg-type]
        settings = make_settings(db_url, tmp_path)
        app = build_app(settings, clock=FakeClock(), adapters=[adapter])
        await prepare(app)
        conversation = Conversation(app, adapter)
        # Config admins name known platforms only: Ada redeems the first-run code instead.
        code = (settings.bot.data_dir / ADMIN_CODE_FILE).read_text().split()[-1]
        await conversation.say(ADA, f"!admin {code}")
        await conversation.say(ADA, "!verbinden 1", chat=conversation.group(GROUP))
        try:
            yield conversation
        finally:
            await app.close()

    return start


async def _check_in_answer(conversation: Conversation) -> tuple[str, bool]:
    """Ada plans a date and asks for its check-in code: the text and whether a QR came."""
    [preview] = await conversation.say(ADA, "!termin_neu Digitalcafé; 9.12. 15–17 Uhr; Rathaus; 10")
    await conversation.press(ADA, preview, "Speichern und jetzt ankündigen")
    async with conversation.app.sessions() as session:
        event = await session.scalar(select(Event).where(Event.title == "Digitalcafé"))
    assert event is not None
    # The code (and its QR picture where links carry it), then the door sheet to print.
    answer, sheet = await conversation.say(ADA, f"!qr {event.id}")
    assert sheet.attachment is not None and sheet.attachment.mime_type == "application/pdf"
    return answer.text, answer.attachment is not None


async def test_hints_and_relays_use_what_the_platform_declares(chat: Start) -> None:
    async for conversation in chat():
        [welcome, tip] = await conversation.say(MIA, "/start")
        assert "Schreiben Sie !hilfe" in welcome.text
        # "/start" works here too; Mia is told once how commands start on this platform.
        assert tip.text == "Tipp: Hier fangen Befehle mit ! an, zum Beispiel !start."
        [puzzled] = await conversation.say(MIA, "Wie geht das?")
        assert puzzled.text.startswith(
            "Das habe ich leider nicht verstanden.\nDas kann ich für Sie tun:\n!start – "
        )
        other = conversation.group("room-2")
        await conversation.say(ADA, "!verbinden 1", chat=other)
        await conversation.say(ADA, "!weiterleiten an", chat=conversation.group(GROUP))
        await conversation.say(MIA, "Hallo zusammen", chat=conversation.group(GROUP))
        relayed = [shown.text for shown in conversation.adapter.to("room-2")]
        assert relayed[-1] == "Mia (Jabber): Hallo zusammen"


@pytest.mark.parametrize(
    ("link_base", "has_qr"),
    [("xmpp:lotsen@example.org", True), (None, False)],
    ids=["with-deep-links", "without"],
)
async def test_a_qr_code_only_where_the_platform_links_carry_the_code(
    chat: Start, link_base: str | None, has_qr: bool
) -> None:
    async for conversation in chat(link_base=link_base):
        text, shown_qr = await _check_in_answer(conversation)
        assert shown_qr is has_qr
        assert "Ohne QR-Code: Schreiben Sie dem Bot !hier " in text
