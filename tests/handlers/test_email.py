"""People with only an e-mail address: staff sign them up, and the bot writes to them through
a real SMTP server on loopback (aiosmtpd), read back with Python's ``email`` package; the
links in the e-mails are pressed on the bot's own web server."""

from __future__ import annotations

import asyncio
import re
import smtplib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select, update

from bot.adapters.email import EmailAdapter
from bot.bootstrap import App, build_app, email_links, prepare, public_pages
from bot.delivery.email_links import link_maker, link_secret
from bot.domain.models import Account, Chat, Community, Event, Feedback, OutboxMessage, Rsvp
from bot.domain.work import Work
from bot.infra.deployment import deployment
from bot.infra.web import FeedServer
from bot.privacy import rights
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, Shown, telegram_like
from tests.fakes.memory import Person as Someone
from tests.handlers.conftest import ADA, GROUP
from tests.servers.smtp import Arrived, SmtpServer, free_port, smtp_server  # noqa: F401

ERIKA = "erika.muster@example.org"
START = datetime(2026, 12, 9, 14, 0, tzinfo=UTC)  # 15:00 in Berlin
END = START + timedelta(hours=2)


@dataclass
class Mail:
    tg: Conversation
    smtp: SmtpServer
    web: str  # the web server's address
    email: EmailAdapter

    @property
    def app(self) -> App:
        return self.tg.app  # type: ignore[no-any-return]

    async def at(self, moment: datetime) -> None:
        self.app.clock.set(moment)  # type: ignore[attr-defined]
        await self.app.scheduler.run_due()
        await self.tg.flush()

    def inbox(self) -> list[Arrived]:
        return self.smtp.to(ERIKA)


@pytest.fixture
async def mail(
    db_url: str,
    tmp_path: Path,
    smtp_server: SmtpServer,  # noqa: F811
) -> AsyncIterator[Mail]:
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    settings = make_settings(
        db_url,
        tmp_path,
        bot={"admins": ["telegram:1"]},
        email={
            "host": "127.0.0.1",
            "port": smtp_server.port,
            "security": "none",
            "sender_address": "termine@cafe.example",
            "sender_name": "Digitalcafé",
            "bounce_domain": "cafe.example",
            "bounce_port": free_port(),
        },
        web={"public_url": public},
    )
    chat = telegram_like()
    email = EmailAdapter(settings.email, link=link_maker(link_secret(settings), public))
    app = build_app(settings, clock=FakeClock(), adapters=[chat, email])
    await prepare(app)
    await email.start(app.dispatch)  # the bounce listener
    links = email_links(app)
    assert links is not None
    web = FeedServer(
        "127.0.0.1", port, catalogs=app.catalogs, mounts=public_pages(app), routes=links.routes()
    )
    await web.start()
    tg = Conversation(app, chat)
    await tg.say(ADA, "/verbinden 1", chat=tg.group(GROUP))
    await tg.say(ADA, "/start", chat=tg.group(GROUP))
    try:
        yield Mail(tg, smtp_server, public, email)
    finally:
        await web.stop()
        await email.stop()
        await app.close()


async def _date(
    mail: Mail, line: str = "Digitalcafé; 9.12. 15–17 Uhr; Stadtbibliothek; 10"
) -> Event:
    tg = mail.tg
    [preview] = await tg.say(ADA, f"/termin_neu {line}")
    await tg.press(ADA, preview, "Speichern und jetzt ankündigen")
    async with mail.app.sessions() as session:
        title, _when, place, *_rest = (part.strip() for part in line.split(";"))
        event = await session.scalar(
            select(Event).where(Event.title == title, Event.place == place)
        )
    assert event is not None
    return event


async def _sign_up_erika(mail: Mail, event: Event) -> list[Shown]:
    """Ada signs Erika up by phone, with her address and number; what Ada sees."""
    shown = await mail.tg.say(
        ADA, f"/anmelden_fuer {event.id}; Erika Muster; {ERIKA} 04542 1234; 1"
    )
    assert shown[0].text == "Erika Muster ist angemeldet. Ich schicke die Bestätigung per E-Mail."
    return shown


def _link(arrived: Arrived, label: str) -> str:
    match = re.search(rf"^{re.escape(label)}: (\S+)$", arrived.text, re.M)
    assert match is not None, arrived.text
    return match.group(1)


async def _open(url: str, *, press: bool) -> tuple[int, str]:
    async with aiohttp.ClientSession() as client:
        method = client.post if press else client.get
        async with method(url) as response:
            return response.status, await response.text()


async def test_a_caller_with_an_address_hears_everything_by_email(mail: Mail) -> None:
    event = await _date(mail)
    await _sign_up_erika(mail, event)
    # The confirmation: plain text and HTML, the calendar file, a Message-ID of its row.
    [confirmation] = mail.inbox()
    message = confirmation.message
    assert message["Subject"] == "Sie sind angemeldet. Wir freuen uns auf Sie!"
    assert message["From"] == "Digitalcafé <termine@cafe.example>"
    assert message.get_content_type() == "multipart/mixed"
    text = confirmation.text
    assert "Digitalcafé\nMittwoch, 9. Dezember 2026, 15:00 bis 17:00 Uhr" in text
    assert "Sie können nicht? Dann tippen Sie hier." in text
    assert _link(confirmation, "Ich kann nicht").startswith(f"{mail.web}/e/")
    assert '<html lang="de">' in confirmation.html
    assert "Ich kann nicht</a>" in confirmation.html
    [ics] = confirmation.attachments()
    assert ics.get_content_type() == "text/calendar"
    assert ics.get_filename() == "termin-2026-12-09.ics"
    assert "SUMMARY:Digitalcafé" in ics.get_content()  # type: ignore[attr-defined]
    async with mail.app.sessions() as session:
        row = await session.scalar(
            select(OutboxMessage)
            .join(Chat, Chat.id == OutboxMessage.chat_id)
            .where(Chat.platform == "email")
        )
        made = await deployment(session)
    assert confirmation.message_id == f"<outbox-{row.id}-{made.id[:8]}@cafe.example>"  # type: ignore[union-attr]
    # Bounces come back to an address that names the row.
    assert confirmation.envelope_from == f"bounce+{row.id}@cafe.example"  # type: ignore[union-attr]

    # The reminder at its time (the day before at 10:00 Berlin time), not before.
    await mail.at(datetime(2026, 12, 8, 8, 59, tzinfo=UTC))
    assert len(mail.inbox()) == 1
    await mail.at(datetime(2026, 12, 8, 9, 0, tzinfo=UTC))
    [_c, reminder] = mail.inbox()
    assert reminder.message["Subject"] == "Erinnerung für morgen: Digitalcafé"
    assert "Ort: Stadtbibliothek" in reminder.text
    assert _link(reminder, "Ich kann nicht").startswith(f"{mail.web}/e/")

    # Staff move the date: she hears of it.
    await mail.tg.say(ADA, f"/verschieben {event.id}; 16 Uhr")
    [*_earlier, change] = mail.inbox()
    assert len(mail.inbox()) == 3
    assert "16:00" in change.text
    assert "Ihre Anmeldung bleibt. Sie können jetzt nicht? Dann tippen Sie hier." in change.text
    assert _link(change, "Ich kann nicht").startswith(f"{mail.web}/e/")
    assert [a.get_content_type() for a in change.attachments()] == ["text/calendar"]

    # She came; afterwards the feedback question, answered with one link.
    mail.app.clock.set(START + timedelta(hours=1))  # type: ignore[attr-defined]
    [listing] = await mail.tg.say(ADA, f"/anwesenheit {event.id}")
    await mail.tg.press(ADA, listing, "⬜ Erika Muster")
    await mail.at(START + timedelta(hours=4))
    [*_earlier, question] = mail.inbox()
    assert "Wie war es?" in question.text
    good = _link(question, "🙂 Gut")
    status, page = await _open(good, press=False)
    assert status == 200 and '<form method="post">' in page
    async with mail.app.sessions() as session:
        ratings = (await session.scalars(select(Feedback.rating))).all()
    assert ratings in ([], [None])  # only looking changes nothing
    status, page = await _open(good, press=True)
    assert status == 200 and "Vielen Dank! Das hilft uns sehr." in page
    async with mail.app.sessions() as session:
        [feedback] = (await session.scalars(select(Feedback))).all()
    assert feedback.rating == 4


async def test_a_person_signs_up_on_the_public_page_and_hears_everything_by_email(
    mail: Mail,
) -> None:
    """The self sign-up path: the form on the public page over HTTP, the confirm link from
    the e-mail that arrived, then what a caller with an address gets."""
    event = await _date(mail)
    form = f"{mail.web}/termine/digitalcafe-musterstadt/anmelden/{event.id}"
    async with aiohttp.ClientSession() as client:
        async with client.get(form) as page:
            token = re.search(r'name="token" value="([^"]+)"', await page.text())
        assert token is not None
        fields = {"token": token.group(1), "name": "Erika Muster", "address": ERIKA}
        async with client.post(form, data={**fields, "companions": "0"}) as sent:
            assert "Wir haben Ihnen eine E-Mail geschickt" in await sent.text()
    await mail.tg.flush()
    [asked] = mail.inbox()
    assert asked.message["Subject"] == "Bitte bestätigen Sie Ihre Anmeldung"
    confirm = re.search(r"(http://\S+/bestaetigen/\S+)", asked.text)
    assert confirm is not None, asked.text
    status, page = await _open(confirm.group(1), press=True)
    assert status == 200 and "Sie sind angemeldet für: Digitalcafé" in page
    await mail.tg.flush()
    [_asked, confirmation] = mail.inbox()
    assert confirmation.message["Subject"] == "Sie sind angemeldet. Wir freuen uns auf Sie!"
    [ics] = confirmation.attachments()
    assert "SUMMARY:Digitalcafé" in ics.get_content()  # type: ignore[attr-defined]
    # The reminder at its time (the day before at 10:00 Berlin time), not before.
    await mail.at(datetime(2026, 12, 8, 8, 59, tzinfo=UTC))
    assert len(mail.inbox()) == 2
    await mail.at(datetime(2026, 12, 8, 9, 0, tzinfo=UTC))
    [*_earlier, reminder] = mail.inbox()
    assert reminder.message["Subject"] == "Erinnerung für morgen: Digitalcafé"
    # The give-back link works once.
    link = _link(confirmation, "Ich kann nicht")
    status, page = await _open(link, press=True)
    assert status == 200 and "Sie sind abgemeldet von: Digitalcafé" in page
    status, page = await _open(link, press=True)
    assert "Das ist schon erledigt." in page
    async with mail.app.sessions() as session:
        [rsvp] = (await session.scalars(select(Rsvp))).all()
    assert rsvp.status == "cancelled"


async def test_a_caller_hears_in_the_groups_language(mail: Mail) -> None:
    """Staff give no language for a caller: the e-mails (text and HTML) and the page behind
    their link are in the group's language."""
    event = await _date(mail)
    async with mail.app.sessions.begin() as session:
        await session.execute(update(Community).values(locale="en"))
    await mail.tg.say(ADA, f"/anmelden_fuer {event.id}; Erika Muster; {ERIKA}; 1")
    [confirmation] = mail.inbox()
    assert confirmation.message["Subject"] == "You are signed up. We look forward to seeing you!"
    assert '<html lang="en">' in confirmation.html
    status, page = await _open(_link(confirmation, "I cannot come"), press=False)
    assert status == 200 and '<html lang="en">' in page


async def test_staff_give_a_callers_language(mail: Mail) -> None:
    """Staff name the caller's language at the end: their e-mails and the page behind their
    link are in it. A language the bot does not know: a short answer, nobody signed up."""
    event = await _date(mail)
    [wrong] = await mail.tg.say(
        ADA, f"/anmelden_fuer {event.id}; Erika Muster; {ERIKA}; 1; Klingonisch"
    )
    assert wrong.text == (
        "Diese Sprache kenne ich nicht: Klingonisch. "
        "Bitte schreiben Sie eine davon: Deutsch, English, Українська."
    )
    async with mail.app.sessions() as session:
        assert (await session.scalars(select(Rsvp))).all() == []
    assert mail.inbox() == []
    [answer] = await mail.tg.say(
        ADA, f"/anmelden_fuer {event.id}; Erika Muster; {ERIKA}; 1; English"
    )
    assert answer.text == "Erika Muster ist angemeldet. Ich schicke die Bestätigung per E-Mail."
    [confirmation] = mail.inbox()
    assert confirmation.message["Subject"] == "You are signed up. We look forward to seeing you!"
    assert '<html lang="en">' in confirmation.html
    status, page = await _open(_link(confirmation, "I cannot come"), press=False)
    assert status == 200 and '<html lang="en">' in page


async def test_the_give_back_link_works_once(mail: Mail) -> None:
    event = await _date(mail)
    await _sign_up_erika(mail, event)
    [confirmation] = mail.inbox()
    link = _link(confirmation, "Ich kann nicht")
    # A forged link changes nothing and says so kindly.
    forged = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    status, page = await _open(forged, press=True)
    assert status == 404
    assert "Diese Seite gilt nicht oder nicht mehr. Es wurde nichts geändert." in page
    status, page = await _open(link, press=True)
    assert status == 200
    assert "Sie sind abgemeldet von: Digitalcafé" in page
    await mail.tg.flush()
    [_c, signed_off] = mail.inbox()
    assert signed_off.text.startswith("Sie sind abgemeldet von: Digitalcafé")
    [ics] = signed_off.attachments()
    assert "METHOD:CANCEL" in ics.get_content()  # type: ignore[attr-defined]
    # The second time: done already, nothing sent, nothing changed.
    status, page = await _open(link, press=True)
    assert status == 200 and "Das ist schon erledigt." in page
    status, page = await _open(link, press=False)
    assert "Das ist schon erledigt." in page
    await mail.tg.flush()
    assert len(mail.inbox()) == 2
    async with mail.app.sessions() as session:
        [rsvp] = (await session.scalars(select(Rsvp))).all()
    assert rsvp.status == "cancelled"


async def test_an_address_that_refuses_mail_is_recorded_and_staff_are_told(mail: Mail) -> None:
    event = await _date(mail)
    mail.smtp.refuse(ERIKA, 550)
    shown = await _sign_up_erika(mail, event)
    assert mail.inbox() == []
    async with mail.app.sessions() as session:
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.last_error.like("unreachable%"))
        )
        account = await session.scalar(select(Account).where(Account.platform == "email"))
    assert row is not None and row.status == "failed" and row.attempts == 1
    assert account is not None and account.unreachable
    # Ada, who took the call, is told in the same moment, with the number to call.
    assert [s.text for s in shown[1:]] == [
        f"Eine E-Mail an Erika Muster ist nicht angekommen ({ERIKA}).\n"
        "Ich schreibe an diese Adresse nicht mehr.\n"
        "Bitte rufen Sie stattdessen an: 04542 1234"
    ]
    assert shown[1].chat_id == "dm-1"


async def _email_rows(mail: Mail) -> list[OutboxMessage]:
    async with mail.app.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .join(Chat, Chat.id == OutboxMessage.chat_id)
            .where(Chat.platform == "email")
            .order_by(OutboxMessage.id)
        )
        return list(rows.all())


async def test_a_busy_server_is_tried_again_later(mail: Mail) -> None:
    event = await _date(mail)
    mail.smtp.fail_data(451, times=1)
    await _sign_up_erika(mail, event)
    assert mail.inbox() == []
    [row] = await _email_rows(mail)
    assert row.status == "pending" and "451" in row.last_error
    # After the sender's back-off it goes out, once.
    mail.app.clock.advance(minutes=10)  # type: ignore[attr-defined]
    await mail.tg.flush()
    [confirmation] = mail.inbox()
    [row] = await _email_rows(mail)
    assert row.status == "sent" and row.attempts == 2
    assert confirmation.message_id == row.platform_message_id


async def test_a_bounce_is_recorded_and_staff_are_told(mail: Mail) -> None:
    event = await _date(mail)
    await _sign_up_erika(mail, event)
    [confirmation] = mail.inbox()
    [row] = await _email_rows(mail)
    # Her mail server answers later with a delivery status notification, to the envelope
    # sender, which the mail server hands to the bot's listener.
    dsn = EmailMessage()
    dsn["From"] = "MAILER-DAEMON@example.org"
    dsn["To"] = confirmation.envelope_from
    dsn["Subject"] = "Undelivered Mail Returned to Sender"
    dsn.set_content(
        "Final-Recipient: rfc822; erika.muster@example.org\n"
        "Action: failed\nStatus: 5.1.1\n"
        "Diagnostic-Code: smtp; 550 5.1.1 mailbox unknown\n"
    )

    def send_back() -> None:  # a blocking client, so in a thread beside the bot's loop
        with smtplib.SMTP("127.0.0.1", mail.email.bounce_port) as smtp:
            smtp.send_message(dsn, from_addr="", to_addrs=[confirmation.envelope_from])
            # Mail for any other address is not ours to take.
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                smtp.send_message(dsn, from_addr="", to_addrs=["erika@cafe.example"])

    await asyncio.to_thread(send_back)
    shown = await mail.tg.flush()
    assert [s.text.splitlines()[0] for s in shown] == [
        f"Eine E-Mail an Erika Muster ist nicht angekommen ({ERIKA})."
    ]
    [row] = await _email_rows(mail)
    assert row.status == "failed" and "550 5.1.1 mailbox unknown" in row.last_error
    async with mail.app.sessions() as session:
        account = await session.scalar(select(Account).where(Account.platform == "email"))
    assert account is not None and account.unreachable
    # Nothing more goes to the address: staff moving the date hear whom to call instead.
    told = await mail.tg.say(ADA, f"/verschieben {event.id}; 16 Uhr")
    assert any("Erika Muster 04542 1234" in s.text for s in told)
    assert len(mail.inbox()) == 1


async def test_a_wrong_address_is_refused_kindly(mail: Mail) -> None:
    event = await _date(mail)
    [answer] = await mail.tg.say(ADA, f"/anmelden_fuer {event.id}; Erika Muster; erika@; 1")
    assert answer.text.startswith("Diese E-Mail-Adresse sieht nicht richtig aus: erika@\n")
    async with mail.app.sessions() as session:
        assert (await session.scalars(select(Rsvp))).all() == []


async def test_erasure_removes_the_address(mail: Mail) -> None:
    event = await _date(mail)
    await _sign_up_erika(mail, event)
    async with mail.app.sessions.begin() as session:
        account = await session.scalar(select(Account).where(Account.external_id == ERIKA))
        assert account is not None
        await rights.erase_person(Work(session, mail.app.clock.now()), account.person_id)
    async with mail.app.sessions() as session:
        assert await session.scalar(select(Account).where(Account.external_id == ERIKA)) is None
        assert await session.scalar(select(Chat).where(Chat.external_id == ERIKA)) is None


async def test_a_place_from_the_waiting_list_comes_by_email(mail: Mail) -> None:
    event = await _date(mail, "Sprechstunde; 9.12. 15 Uhr; Rathaus; 1")
    anna = Someone("100", "Anna")
    [post] = [s for s in mail.tg.adapter.to(GROUP) if s.buttons]
    await mail.tg.press(anna, post, "Ich komme", chat=mail.tg.group(GROUP))
    shown = await mail.tg.say(ADA, f"/anmelden_fuer {event.id}; Erika Muster; {ERIKA}; 1")
    assert shown[0].text == "Erika Muster ist Nummer 1 auf der Warteliste."
    [waiting] = mail.inbox()
    assert waiting.text.startswith("Alle Plätze sind vergeben.")
    # Anna gives her place back: Erika moves up and hears it by e-mail, with a link.
    await mail.tg.say(anna, "/abmelden")
    [_w, moved] = mail.inbox()
    assert moved.text.startswith("Gute Nachricht")
    assert "Sie können nicht? Dann tippen Sie hier." in moved.text
    assert _link(moved, "Ich kann nicht").startswith(f"{mail.web}/e/")
    assert [a.get_filename() for a in moved.attachments()] == ["termin-2026-12-09.ics"]


async def test_without_email_set_up_an_address_is_refused(tg: Conversation) -> None:
    [preview] = await tg.say(ADA, "/termin_neu Sprechstunde; 9.12. 15 Uhr; Rathaus; 3")
    await tg.press(ADA, preview, "Speichern und jetzt ankündigen")
    async with tg.app.sessions() as session:
        event = await session.scalar(select(Event).where(Event.title == "Sprechstunde"))
    assert event is not None
    [answer] = await tg.say(ADA, f"/anmelden_fuer {event.id}; Erika Muster; {ERIKA}; 1")
    assert answer.text == (
        "Ich kann keine E-Mails schicken. Bitte geben Sie stattdessen eine Telefonnummer an."
    )
    async with tg.app.sessions() as session:
        assert (await session.scalars(select(Rsvp))).all() == []


async def test_a_cancelled_date_comes_with_its_calendar_cancellation(mail: Mail) -> None:
    event = await _date(mail)
    await _sign_up_erika(mail, event)
    [asked] = await mail.tg.say(ADA, f"/absagen {event.id}")
    await mail.tg.press(ADA, asked, "Ja, absagen")
    [_c, cancelled] = mail.inbox()
    assert cancelled.text.startswith("Leider fällt dieser Termin aus:")
    [ics] = cancelled.attachments()
    assert "STATUS:CANCELLED" in ics.get_content()  # type: ignore[attr-defined]


async def test_a_newsletter_issue_arrives_with_its_one_click_unsubscribe(mail: Mail) -> None:
    """The weekly issue goes through the same outbox and SMTP server; mail programs get the
    List-Unsubscribe headers (RFC 8058) and the issue's own subject and HTML."""
    from bot.domain.models import Community
    from bot.newsletter import subscriptions

    await _date(mail)  # Wednesday 9 December, 15:00
    async with mail.app.sessions.begin() as session:
        work = Work(session, mail.app.clock.now())
        community = await session.get(Community, 1)
        assert community is not None
        asked = await subscriptions.subscribe(
            work, community, "otto@example.org", "weekly", "de", base_url=mail.web
        )
        assert asked.subscription is not None
        token = asked.subscription.token
        assert await subscriptions.confirm(work, token) is not None
    # Monday 7 December, 8:00 in Berlin: the week's issue.
    await mail.at(datetime(2026, 12, 7, 7, 0, tzinfo=UTC))
    await mail.app.sender.drain()
    issues = [m for m in mail.smtp.to("otto@example.org") if "Termine" in m.message["Subject"]]
    assert len(issues) == 1, [m.message["Subject"] for m in mail.smtp.to("otto@example.org")]
    issue = issues[0].message
    unsubscribe = f"{mail.web}/newsletter/abbestellen/{token}"
    assert issue["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert issue["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Digitalcafé" in issues[0].text and "Mittwoch, 9. Dezember 2026" in issues[0].text
    html = issue.get_body(("html",))
    assert html is not None and f'href="{unsubscribe}"' in html.get_content()


async def test_a_fan_out_shares_one_smtp_session_and_a_dropped_one_is_opened_again(
    mail: Mail,
) -> None:
    event = await _date(mail)
    for n in range(3):
        await mail.tg.say(ADA, f"/anmelden_fuer {event.id}; Gast {n}; gast{n}@example.org; 1")
    await mail.tg.flush()
    first = [a for a in mail.smtp.messages() if a.recipients[0].startswith("gast")]
    assert len(first) == 3
    # One connection, one greeting: every confirmation came over the same session.
    assert len({a.peer for a in first}) == 1
    # The mail server went away and came back: the next e-mail opens a new session.
    mail.smtp.restart()
    await mail.tg.say(ADA, f"/anmelden_fuer {event.id}; Gast 3; gast3@example.org; 1")
    await mail.tg.flush()
    [later] = mail.smtp.to("gast3@example.org")
    assert later.peer != first[0].peer
    assert {row.status for row in await _email_rows(mail)} == {"sent"}
