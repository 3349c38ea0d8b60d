"""The newsletter: a member asks in the chat (weekly or monthly, then the address), a
subscriber gives only an address; nothing but the confirm e-mail goes out before the link is
pressed; each issue is one outbox row to the address (subject, text, HTML, one-click
unsubscribe headers), once, also when the scheduler runs again in a new process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot.bootstrap import build_app, prepare
from bot.domain.models import Chat, Community, NewsletterSubscription, OutboxMessage
from bot.domain.work import Work
from bot.infra.web import FeedServer
from bot.newsletter import pages, subscriptions
from bot.privacy import rights
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, matrix_like, telegram_like
from tests.fakes.memory import Person as Someone
from tests.handlers.conftest import ADA

ERIKA = Someone("300", "Erika")


async def _mails(tg: Conversation, address: str) -> list[OutboxMessage]:
    async with tg.app.sessions() as session:
        found = await session.scalars(
            select(OutboxMessage)
            .join(Chat, Chat.id == OutboxMessage.chat_id)
            .where(Chat.platform == "email", Chat.external_id == address)
            .order_by(OutboxMessage.id)
        )
        return list(found.all())


async def _subscriptions(tg: Conversation) -> list[NewsletterSubscription]:
    async with tg.app.sessions() as session:
        return list((await session.scalars(select(NewsletterSubscription))).all())


async def _at(tg: Conversation, moment: datetime) -> None:
    tg.app.clock.set(moment)  # type: ignore[attr-defined]
    await tg.app.scheduler.run_due()


async def _new_date(tg: Conversation, line: str) -> None:
    [preview] = await tg.say(ADA, f"/termin_neu {line}")
    await tg.press(ADA, preview, "Speichern")


async def test_a_member_asks_confirms_and_gets_each_weekly_issue_once(tg: Conversation) -> None:
    await tg.say(ERIKA, "/start", chat=tg.group("-10"))
    [question] = await tg.say(ERIKA, "/newsletter")
    assert (
        question.text == "Möchten Sie jede Woche oder jeden Monat eine E-Mail mit unseren Terminen?"
    )
    [ask] = await tg.press(ERIKA, question, "Jede Woche")
    assert ask.text == "Wie ist Ihre E-Mail-Adresse?"
    [bad] = await tg.say(ERIKA, "erika at example")
    assert bad.text.startswith("Das ist keine E-Mail-Adresse.")
    assert await _subscriptions(tg) == []
    [asked] = await tg.say(ERIKA, "Erika.Muster@Example.ORG")
    assert asked.text.startswith("Wir haben Ihnen eine E-Mail geschickt.")
    [subscription] = await _subscriptions(tg)
    assert (subscription.status, subscription.rhythm) == ("pending", "weekly")
    [confirm] = await _mails(tg, "Erika.Muster@example.org")
    assert confirm.content["email"]["subject"].startswith("Bitte bestätigen Sie")
    link = f"/newsletter/bestaetigen/{subscription.token}"
    assert link in confirm.content["text"] and f'href="{link}"' in confirm.content["email"]["html"]

    await _new_date(tg, "Sprechstunde; 9.12. 10 Uhr; Rathaus; 12; WhatsApp")
    await _new_date(tg, "Erzählcafé; 24.11. 10 Uhr; Bibliothek")
    # Monday 23 November, 8:00 in Berlin: not confirmed, so nothing goes out.
    await _at(tg, datetime(2026, 11, 23, 7, 0, tzinfo=UTC))
    assert len(await _mails(tg, "Erika.Muster@example.org")) == 1

    async with tg.app.sessions.begin() as session:
        assert await subscriptions.confirm(Work(session, tg.app.clock.now()), "falsch") is None
        confirmed = await subscriptions.confirm(
            Work(session, tg.app.clock.now()), subscription.token
        )
        assert confirmed is not None and confirmed.status == "active"
    await _at(tg, datetime(2026, 11, 23, 7, 5, tzinfo=UTC))
    _confirm, first = await _mails(tg, "Erika.Muster@example.org")
    assert "Erzählcafé" in first.content["text"] and "Sprechstunde" not in first.content["text"]
    # Monday 7 December, 8:00 in Berlin: the next issue.
    await _at(tg, datetime(2026, 12, 7, 7, 0, tzinfo=UTC))
    _confirm, _first, issue = await _mails(tg, "Erika.Muster@example.org")
    text = issue.content["text"]
    assert text.startswith("Digitalcafé Musterstadt: unsere Termine in den nächsten 7 Tagen\n\n")
    assert (
        "Mittwoch, 9. Dezember 2026, 10:00 Uhr\nSprechstunde\nOrt: Rathaus\nThema: WhatsApp" in text
    )
    unsubscribe = f"/newsletter/abbestellen/{subscription.token}"
    assert issue.content["email"]["headers"] == {
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert unsubscribe in text

    # Again in this process, and in a new one over the same database: still one issue.
    await _at(tg, datetime(2026, 12, 8, 9, 0, tzinfo=UTC))
    again = build_app(
        tg.app.settings,
        clock=FakeClock(datetime(2026, 12, 9, 6, 0, tzinfo=UTC)),
        adapters=[telegram_like()],
    )
    try:
        await again.scheduler.run_due()
    finally:
        await again.close()
    assert len(await _mails(tg, "Erika.Muster@example.org")) == 3

    [stopped] = [s for s in await tg.say(ERIKA, "/newsletter aus") if s.chat_id == "dm-300"]
    assert stopped.text == "Erledigt. Sie bekommen keine Newsletter-E-Mails mehr von uns."
    assert await _subscriptions(tg) == []


async def test_a_subscriber_without_chat_expires_unconfirmed_and_leaves_with_one_click(
    tg: Conversation,
) -> None:
    async with tg.app.sessions.begin() as session:
        work = Work(session, tg.app.clock.now())
        community = await session.get(Community, 1)
        assert community is not None
        bad = await subscriptions.subscribe(work, community, "kein-at.de", "monthly", "de")
        assert bad.outcome == "invalid"
        done = await subscriptions.subscribe(
            work, community, "otto@example.org", "monthly", "en", base_url="https://t.example"
        )
        assert done.outcome == "asked"
    [confirm] = await _mails(tg, "otto@example.org")
    assert confirm.content["text"].startswith("Please confirm: newsletter of Digitalcafé")
    assert "https://t.example/newsletter/bestaetigen/" in confirm.content["text"]
    # Not confirmed within 7 days: gone, address and all.
    await _at(tg, datetime(2026, 11, 28, 9, 0, tzinfo=UTC))
    assert await _subscriptions(tg) == []

    async with tg.app.sessions.begin() as session:
        work = Work(session, tg.app.clock.now())
        community = await session.get(Community, 1)
        assert community is not None
        done = await subscriptions.subscribe(work, community, "otto@example.org", "monthly", "de")
        assert done.subscription is not None
        token = done.subscription.token
        assert await subscriptions.confirm(work, token) is not None
    async with tg.app.sessions.begin() as session:
        assert await subscriptions.unsubscribe(Work(session, tg.app.clock.now()), token)
    assert await _subscriptions(tg) == []


async def test_erasure_and_the_data_export_include_the_newsletter(tg: Conversation) -> None:
    await tg.say(ERIKA, "/start", chat=tg.group("-10"))
    await tg.say(ERIKA, "/newsletter monat erika@example.org")
    [subscription] = await _subscriptions(tg)
    assert subscription.person_id is not None
    async with tg.app.sessions.begin() as session:
        everything = await rights.everything_about(session, subscription.person_id)
        assert [row["address"] for row in everything["newsletter"]] == ["erika@example.org"]
        await rights.erase(session, subscription.person_id, tg.app.clock.now())
    assert await _subscriptions(tg) == []
    assert await _mails(tg, "erika@example.org") == []


async def test_the_links_confirm_and_unsubscribe_only_when_pressed(tg: Conversation) -> None:
    async with tg.app.sessions.begin() as session:
        community = await session.get(Community, 1)
        assert community is not None
        done = await subscriptions.subscribe(
            Work(session, tg.app.clock.now()), community, "otto@example.org", "weekly", "de"
        )
        assert done.subscription is not None
        token = done.subscription.token
    server = FeedServer(
        "127.0.0.1", 0, routes=pages.routes(tg.app.sessions, tg.app.clock, tg.app.catalogs)
    )
    await server.start()
    base = f"http://127.0.0.1:{server.port}/newsletter"
    try:
        async with aiohttp.ClientSession() as client:
            # A virus scanner opening the link changes nothing.
            async with client.get(f"{base}/bestaetigen/{token}") as page:
                assert page.status == 200
                assert "Möchten Sie den Newsletter?" in await page.text()
            [pending] = await _subscriptions(tg)
            assert pending.status == "pending"
            async with client.post(f"{base}/bestaetigen/{token}") as page:
                assert "Danke! Ab jetzt bekommen Sie den Newsletter." in await page.text()
            [active] = await _subscriptions(tg)
            assert active.status == "active"
            async with client.post(f"{base}/bestaetigen/falsch") as page:
                assert "Diese Internet-Adresse gilt nicht mehr." in await page.text()
            # The mail program's one-click unsubscribe (RFC 8058).
            one_click = {"List-Unsubscribe": "One-Click"}
            async with client.post(f"{base}/abbestellen/{token}", data=one_click) as page:
                assert page.status == 200
            assert await _subscriptions(tg) == []
    finally:
        await server.stop()


@pytest.fixture
async def mx(db_url: str, tmp_path: Path) -> AsyncIterator[Conversation]:
    settings = make_settings(db_url, tmp_path, bot={"admins": ["matrix:@ada:stadt.example"]})
    app = build_app(settings, clock=FakeClock(), adapters=[matrix_like()])
    await prepare(app)
    conversation = Conversation(app, app.adapters["matrix"])  # type: ignore[arg-type]
    ada = Someone("@ada:stadt.example", "Ada")
    await conversation.say(ada, "!verbinden 1", chat=conversation.group("!cafe"))
    yield conversation
    await app.close()


async def test_on_matrix_numbers_choose_the_rhythm(mx: Conversation) -> None:
    vera = Someone("@vera:stadt.example", "Vera")
    await mx.say(vera, "!start", chat=mx.group("!cafe"))
    await mx.say(vera, "!newsletter")
    [ask] = await mx.say(vera, "2")
    assert ask.text == "Wie ist Ihre E-Mail-Adresse?"
    [asked] = await mx.say(vera, "vera@example.org")
    assert asked.text.startswith("Wir haben Ihnen eine E-Mail geschickt.")
    [subscription] = await _subscriptions(mx)
    assert (subscription.rhythm, subscription.address) == ("monthly", "vera@example.org")
