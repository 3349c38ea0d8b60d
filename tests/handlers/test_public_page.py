"""/webseite (#20): staff get the address of the group's public calendar page and the snippet
for the town's website; without the web server switched on they hear whom to ask."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.bootstrap import build_app, prepare
from bot.domain.models import Community
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, telegram_like
from tests.fakes.memory import Person as Someone
from tests.handlers.conftest import ADA, GROUP

TOWN = "https://termine.stadt.example"


async def test_staff_get_the_page_and_the_snippet(db_url: str, tmp_path: Path) -> None:
    adapter = telegram_like()
    web = {"enabled": True, "public_url": f"{TOWN}/"}
    settings = make_settings(db_url, tmp_path, bot={"admins": ["telegram:1"]}, web=web)
    app = build_app(settings, clock=FakeClock(), adapters=[adapter])
    await prepare(app)
    tg = Conversation(app, adapter)
    try:
        await tg.say(ADA, "/verbinden 1", chat=tg.group(GROUP))
        await tg.say(ADA, "/start", chat=tg.group(GROUP))
        [answer, snippet] = await tg.say(ADA, "/webseite")
        page = f"{TOWN}/termine/digitalcafe-musterstadt"
        assert answer.text.splitlines() == [
            "Hier sieht jeder Ihre nächsten Termine:",
            page,
            "",
            "Für die Webseite Ihrer Stadt: Geben Sie die nächste Nachricht der Person, "
            "die die Webseite pflegt.",
            "Dann stehen dort dieselben Termine.",
            "",
            "Die Seite zeigt keine Zahlen von Personen. Freie Plätze zeigen: /webseite plätze an",
        ]
        assert snippet.text == (
            f'<iframe src="{page}/einbetten" title="Unsere Termine: Digitalcafé Musterstadt" '
            'width="100%" height="800" loading="lazy"></iframe>'
        )
    finally:
        await app.close()


async def test_without_the_web_server_staff_hear_whom_to_ask(tg: Conversation) -> None:
    [answer] = await tg.say(ADA, "/webseite")
    assert answer.text == (
        "Die Webseite mit Ihren Terminen ist noch nicht eingeschaltet.\n"
        "Bitte fragen Sie den Admin des Bots."
    )


async def test_members_are_not_given_it(tg: Conversation) -> None:
    anna = Someone("100", "Anna")
    shown = await tg.say(anna, "/webseite", chat=tg.group(GROUP))
    assert [s.text for s in shown] == ["Das dürfen hier leider nur die Verantwortlichen."]


async def _shows_places(tg: Conversation) -> bool:
    async with tg.app.sessions() as session:
        return bool(await session.scalar(select(Community.public_places)))


async def test_staff_switch_the_free_places_on_and_off(tg: Conversation) -> None:
    assert not await _shows_places(tg)  # off unless the group allows it
    [on] = await tg.say(ADA, "/webseite plätze an")
    assert on.text == "Ab jetzt zeigt die Webseite, wie viele Plätze frei sind."
    assert await _shows_places(tg)
    [off] = await tg.say(ADA, "/webseite Plaetze aus")
    assert off.text == "Die Webseite zeigt nicht mehr, wie viele Plätze frei sind."
    assert not await _shows_places(tg)


async def test_a_wrong_switch_changes_nothing(tg: Conversation) -> None:
    for wrong in ("plätze vielleicht", "an", "plätze an bitte"):
        [answer] = await tg.say(ADA, f"/webseite {wrong}")
        assert answer.text == (
            "Das habe ich nicht verstanden.\n"
            "Bitte schreiben Sie /webseite plätze an oder /webseite plätze aus."
        )
        assert not await _shows_places(tg)
