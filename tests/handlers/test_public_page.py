"""/webseite (#20): staff get the address of the group's public calendar page and the snippet
for the town's website; without the web server switched on they hear whom to ask."""

from __future__ import annotations

from pathlib import Path

from bot.bootstrap import build_app, prepare
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
        [answer] = await tg.say(ADA, "/webseite")
        page = f"{TOWN}/termine/digitalcafe-musterstadt"
        assert answer.text.splitlines() == [
            "Hier sieht jeder Ihre nächsten Termine:",
            page,
            "",
            "Für die Webseite Ihrer Stadt: Geben Sie diesen Text der Person, "
            "die die Webseite pflegt.",
            "Dann stehen dort dieselben Termine.",
            "",
            f'<iframe src="{page}/einbetten" title="Unsere Termine: Digitalcafé Musterstadt" '
            'width="100%" height="800" loading="lazy"></iframe>',
        ]
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
