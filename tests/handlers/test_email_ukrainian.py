"""E-mails in Ukrainian through the real SMTP server (aiosmtpd on loopback), read back with
Python's ``email`` package: a caller of a Ukrainian group gets the confirmation and the
reminder in Ukrainian, and a newsletter asked for in Ukrainian comes in Ukrainian."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from bot.domain.models import Community
from bot.domain.work import Work
from tests.handlers.conftest import ADA
from tests.handlers.test_email import (
    Mail,
    _date,
    _link,
    _sign_up_erika,
    mail,  # noqa: F401  (the fixture)
)
from tests.servers.smtp import smtp_server  # noqa: F401


async def _ukrainian_group(mail: Mail) -> None:  # noqa: F811
    """Ada keeps German for herself; the group's own language becomes Ukrainian."""
    [question] = await mail.tg.say(ADA, "/sprache")
    await mail.tg.press(ADA, question, "Deutsch")
    async with mail.app.sessions.begin() as session:
        await session.execute(update(Community).values(locale="uk"))


async def test_a_caller_of_a_ukrainian_group_gets_ukrainian_e_mails(mail: Mail) -> None:  # noqa: F811
    await _ukrainian_group(mail)
    event = await _date(mail)
    await _sign_up_erika(mail, event)
    [confirmation] = mail.inbox()
    assert confirmation.message["Subject"] == "Ви записані. Чекаємо на вас!"
    assert "Digitalcafé\nсереда, 9 грудня 2026\u202fр., з 15:00 до 17:00" in confirmation.text
    assert "Не можете прийти? Тоді натисніть тут." in confirmation.text
    assert _link(confirmation, "Я не можу прийти").startswith(f"{mail.web}/e/")
    # The HTML part says its language, so screen readers read it as Ukrainian.
    assert '<html lang="uk">' in confirmation.html
    assert "Я не можу прийти</a>" in confirmation.html
    # The reminder the day before at 10:00 Berlin time.
    await mail.at(datetime(2026, 12, 8, 9, 0, tzinfo=UTC))
    [_c, reminder] = mail.inbox()
    assert reminder.message["Subject"] == "Нагадування на завтра: Digitalcafé"
    assert (
        "середа, 9 грудня 2026\u202fр., з 15:00 до 17:00\nМісце: Stadtbibliothek" in reminder.text
    )
    assert '<html lang="uk">' in reminder.html


async def test_a_newsletter_asked_for_in_ukrainian_comes_in_ukrainian(mail: Mail) -> None:  # noqa: F811
    from bot.newsletter import subscriptions

    await _date(mail)  # Wednesday 9 December, 15:00
    async with mail.app.sessions.begin() as session:
        work = Work(session, mail.app.clock.now())
        community = await session.get(Community, 1)
        assert community is not None
        asked = await subscriptions.subscribe(
            work, community, "olena@example.org", "weekly", "uk", base_url=mail.web
        )
        assert asked.subscription is not None
        assert await subscriptions.confirm(work, asked.subscription.token) is not None
    await mail.at(datetime(2026, 12, 7, 7, 0, tzinfo=UTC))
    await mail.app.sender.drain()
    confirm, issue = mail.smtp.to("olena@example.org")
    assert confirm.message["Subject"] == "Будь ласка, підтвердьте: розсилка Digitalcafé Musterstadt"
    assert issue.message["Subject"] == ("Digitalcafé Musterstadt: наші зустрічі в найближчі 7 днів")
    assert "середа, 9 грудня 2026\u202fр., з 15:00 до 17:00\nDigitalcafé" in issue.text
    assert "Записатися: у чат-групі «Digitalcafé Musterstadt»." in issue.text
    html = issue.message.get_body(("html",))
    assert html is not None and '<html lang="uk">' in html.get_content()
