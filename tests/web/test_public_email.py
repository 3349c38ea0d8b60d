"""The public calendar page's e-mail forms over HTTP (#21): sign up for a date with an
address (double opt-in: nothing is a sign-up before the link in the e-mail is pressed), and
ask for the newsletter. The bot sends through a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.adapters.email import EmailAdapter
from bot.bootstrap import App, build_app, email_links, prepare, public_pages
from bot.delivery.email_links import link_maker, link_secret
from bot.domain.models import (
    Account,
    ButtonToken,
    Chat,
    Event,
    NewsletterSubscription,
    Person,
    Rsvp,
)
from bot.infra.web import FeedServer
from bot.newsletter import pages as newsletter_pages
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, telegram_like
from tests.handlers.conftest import ADA, GROUP
from tests.servers.smtp import Arrived, SmtpServer, free_port, smtp_server  # noqa: F401

ERIKA = "erika.muster@example.org"
TOKEN = re.compile(r'name="token" value="([^"]+)"')
SENT = "Wir haben Ihnen eine E-Mail geschickt"


@dataclass
class Town:
    tg: Conversation
    smtp: SmtpServer
    base: str
    slug: str
    event_id: int

    @property
    def app(self) -> App:
        return self.tg.app  # type: ignore[no-any-return]

    @property
    def form(self) -> str:
        return f"{self.base}/termine/{self.slug}/anmelden/{self.event_id}"

    async def get(self, url: str) -> tuple[int, str]:
        async with aiohttp.ClientSession() as client, client.get(url) as response:
            return response.status, await response.text()

    async def post(
        self, url: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        async with (
            aiohttp.ClientSession() as client,
            client.post(url, data=data, headers=headers) as response,
        ):
            text = await response.text()
        await self.tg.flush()
        return response.status, text

    async def send_form(
        self, url: str | None = None, headers: dict[str, str] | None = None, **fields: str
    ) -> tuple[int, str]:
        """Open the form, fill it in as a person would, send it."""
        url = url or self.form
        status, page = await self.get(url)
        assert status == 200, page
        [token] = TOKEN.findall(page)
        data = {"token": token, "name": "Erika Muster", "address": ERIKA, "companions": "1"}
        data.update(fields)
        return await self.post(url, data, headers)

    async def pending(self) -> int:
        """Sign-ups from the page waiting for their confirm link."""
        async with self.app.sessions() as session:
            found = select(func.count()).where(ButtonToken.action == "web-sign-up")
            return int(await session.scalar(found) or 0)

    def inbox(self, address: str = ERIKA) -> list[Arrived]:
        return self.smtp.to(address)

    async def count(self, model: type) -> int:
        async with self.app.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def confirm_link(arrived: Arrived) -> str:
    match = re.search(r"(http://\S+/bestaetigen/\S+)", arrived.text)
    assert match is not None, arrived.text
    return match.group(1)


@pytest.fixture
async def town(db_url: str, tmp_path: Path, smtp_server: SmtpServer) -> AsyncIterator[Town]:  # noqa: F811
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = make_settings(
        db_url,
        tmp_path,
        bot={"admins": ["telegram:1"]},
        email={
            "host": "127.0.0.1",
            "port": smtp_server.port,
            "security": "none",
            "sender_address": "termine@cafe.example",
        },
        web={"public_url": base},
    )
    chat = telegram_like()
    email = EmailAdapter(settings.email, link=link_maker(link_secret(settings), base))
    app = build_app(settings, clock=FakeClock(), adapters=[chat, email])
    await prepare(app)
    tg = Conversation(app, chat)
    await tg.say(ADA, "/verbinden 1", chat=tg.group(GROUP))
    await tg.say(ADA, "/start", chat=tg.group(GROUP))
    [preview] = await tg.say(ADA, "/termin_neu Digitalcafé; 9.12. 15–17 Uhr; Stadtbibliothek; 2")
    await tg.press(ADA, preview, "Speichern und jetzt ankündigen")
    async with app.sessions() as session:
        event_id = int(await session.scalar(select(func.max(Event.id))) or 0)
    links = email_links(app)
    assert links is not None
    server = FeedServer(
        "127.0.0.1",
        port,
        catalogs=app.catalogs,
        mounts=public_pages(app),
        routes=[
            *links.routes(),
            *newsletter_pages.routes(app.sessions, app.clock, app.catalogs),
        ],
    )
    await server.start()
    try:
        yield Town(tg, smtp_server, base, "digitalcafe-musterstadt", event_id)
    finally:
        await server.stop()
        await app.close()


async def test_sign_up_on_the_page_only_after_the_link_in_the_email(town: Town) -> None:
    status, page = await town.get(f"{town.base}/termine/{town.slug}")
    assert status == 200
    assert f'href="/termine/{town.slug}/anmelden/{town.event_id}?lang=de"' in page
    assert "Mit E-Mail anmelden" in page
    status, form = await town.get(town.form)
    assert status == 200
    assert "form-action 'self'" in (await _headers(town.form))["Content-Security-Policy"]
    for seen in ("Ihr Name", "Ihre E-Mail-Adresse", "Wie viele Personen kommen mit Ihnen?"):
        assert seen in form
    assert "Digitalcafé" in form and "Mittwoch, 9. Dezember 2026" in form
    status, page = await town.send_form()
    assert status == 200 and SENT in page
    assert "Erika" not in page  # the page names nobody
    # Nothing is a sign-up yet: only the e-mail with the link.
    assert await town.count(Rsvp) == 0
    assert await town.count(Person) == 1  # Ada only: no person for Erika yet
    [asked] = town.inbox()
    assert asked.message["Subject"] == "Bitte bestätigen Sie Ihre Anmeldung"
    assert "Erst dann sind Sie angemeldet." in asked.text
    link = confirm_link(asked)
    # Opening the link (a virus scanner does) changes nothing; the button does.
    status, shown = await town.get(link)
    assert status == 200 and "Anmeldung bestätigen</button>" in shown
    assert await town.count(Rsvp) == 0
    status, done = await town.post(link)
    assert status == 200 and "Sie sind angemeldet für: Digitalcafé" in done
    async with town.app.sessions() as session:
        [rsvp] = (await session.scalars(select(Rsvp))).all()
        person = await session.get(Person, rsvp.person_id)
        account = await session.scalar(select(Account).where(Account.external_id == ERIKA))
    assert (rsvp.status, rsvp.party_size, rsvp.added_by) == ("yes", 2, None)
    assert person is not None and person.display_name == "Erika Muster"
    assert account is not None and account.person_id == rsvp.person_id
    # The confirmation as for a caller with an address: the calendar file, the give-back link.
    [_asked, confirmation] = town.inbox()
    assert confirmation.message["Subject"].startswith("Sie sind angemeldet, mit 1 Begleitperson")
    assert "Ich kann nicht: http://" in confirmation.text
    [ics] = confirmation.attachments()
    assert ics.get_content_type() == "text/calendar"
    # The link works once.
    status, again = await town.post(link)
    assert status == 404 and "Es wurde nichts geändert." in again
    assert len(town.inbox()) == 2 and await town.count(Rsvp) == 1


async def test_english_on_the_page_means_english_emails(town: Town) -> None:
    status, page = await town.send_form(f"{town.form}?lang=en")
    assert status == 200 and "We sent you an e-mail" in page
    [asked] = town.inbox()
    assert asked.message["Subject"] == "Please confirm your sign-up"
    status, done = await town.post(confirm_link(asked))
    assert "You are signed up for: Digitalcafé" in done
    [_asked, confirmation] = town.inbox()
    assert confirmation.message["Subject"].startswith("You are signed up, with 1 companion")
    assert '<html lang="en">' in confirmation.html
    # The page behind the give-back link speaks English too.
    give_back = re.search(r"^I cannot come: (\S+)$", confirmation.text, re.M)
    assert give_back is not None, confirmation.text
    status, shown = await town.get(give_back.group(1))
    assert status == 200 and '<html lang="en">' in shown
    assert "Please tap the button to confirm." in shown
    async with town.app.sessions() as session:
        person = await session.scalar(select(Person).where(Person.display_name == "Erika Muster"))
    assert person is not None and person.locale == "en"


async def test_ukrainian_page(town: Town) -> None:
    status, page = await town.get(f"{town.base}/termine/{town.slug}?lang=uk")
    assert status == 200 and '<html lang="uk">' in page
    assert "Deutsch" in page and "English" in page
    status, page = await town.send_form(f"{town.form}?lang=uk")
    assert status == 200 and '<html lang="uk">' in page
    [asked] = town.inbox()
    assert '<html lang="uk">' in asked.html


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "Erika\x00Muster"}, "Bitte prüfen Sie Ihre Angaben."),
        ({"name": "E" * 10_000}, "Bitte prüfen Sie Ihre Angaben."),
        ({"name": "=HYPERLINK(1)"}, "Bitte schreiben Sie Ihren Namen."),
        ({"name": "   "}, "Bitte schreiben Sie Ihren Namen."),
        ({"address": "erika@"}, "Bitte prüfen Sie Ihre E-Mail-Adresse."),
        ({"address": "=erika@example.org\x00"}, "Bitte prüfen Sie Ihre Angaben."),
        ({"companions": "4"}, "Bitte wählen Sie 0 bis 3 Begleitpersonen."),
        ({"companions": "-1"}, "Bitte wählen Sie 0 bis 3 Begleitpersonen."),
    ],
)
async def test_bad_input_gets_a_short_answer_and_changes_nothing(
    town: Town, fields: dict[str, str], message: str
) -> None:
    status, page = await town.send_form(**fields)
    assert status == 400 and message in page
    assert SENT not in page
    assert town.inbox() == [] and await town.pending() == 0
    assert await town.count(Rsvp) == 0


async def test_the_field_nobody_sees_filled_in_sends_nothing(town: Town) -> None:
    status, page = await town.send_form(website="http://spam.example")
    assert status == 200 and SENT in page  # the same answer: a program learns nothing
    assert town.inbox() == [] and await town.pending() == 0


async def test_an_old_or_forged_form_is_filled_in_again(town: Town) -> None:
    status, page = await town.get(town.form)
    [token] = TOKEN.findall(page)
    data = {"token": token, "name": "Erika Muster", "address": ERIKA, "companions": "0"}
    town.app.clock.advance(hours=3)  # type: ignore[attr-defined]
    status, page = await town.post(town.form, data)
    assert status == 400 and "Bitte füllen Sie das Formular noch einmal aus." in page
    status, page = await town.post(town.form, {**data, "token": "1.forged"})
    assert status == 400 and "Bitte füllen Sie das Formular noch einmal aus." in page
    assert town.inbox() == [] and await town.pending() == 0


async def test_too_many_forms_from_one_address_or_to_one_address(town: Town) -> None:
    # One e-mail address: 3 e-mails in 24 hours, then the page says the same, no e-mail.
    for _n in range(4):
        status, page = await town.send_form()
        assert status == 200 and SENT in page
    assert len(town.inbox()) == 3
    # One computer (IP address): 10 forms an hour.
    for n in range(6):
        status, page = await town.send_form(address=f"person{n}@example.org")
        assert status == 200
    status, page = await town.send_form(address="person9@example.org")
    assert status == 429 and "Bitte versuchen Sie es in 1 Stunde noch einmal." in page
    assert town.inbox("person9@example.org") == []
    # Behind the town's reverse proxy on this machine: each visitor counts on their own.
    visitor = {"X-Forwarded-For": "198.51.100.7, 203.0.113.5"}
    status, page = await town.send_form(address="person8@example.org", headers=visitor)
    assert status == 200 and len(town.inbox("person8@example.org")) == 1
    town.app.clock.advance(hours=1, minutes=1)  # type: ignore[attr-defined]
    status, page = await town.send_form(address="person9@example.org")
    assert status == 200 and len(town.inbox("person9@example.org")) == 1


async def test_signed_up_already_is_said_by_email_not_on_the_page(town: Town) -> None:
    await town.send_form()
    await town.post(confirm_link(town.inbox()[0]))
    status, page = await town.send_form()
    assert status == 200 and SENT in page
    [*_earlier, told] = town.inbox()
    assert told.message["Subject"] == "Sie sind schon angemeldet"
    assert "/bestaetigen/" not in told.text
    assert await town.count(Rsvp) == 1


async def test_unconfirmed_requests_are_erased_after_24_hours(town: Town) -> None:
    await town.send_form()
    link = confirm_link(town.inbox()[0])
    assert await town.pending() == 1
    town.app.clock.advance(hours=24, minutes=1)  # type: ignore[attr-defined]
    await town.app.scheduler.run_due()
    assert await town.pending() == 0
    async with town.app.sessions() as session:
        chats = (await session.scalars(select(Chat.external_id))).all()
    assert ERIKA not in chats  # the address is gone with the request
    status, _page = await town.post(link)
    assert status == 404 and await town.count(Rsvp) == 0


async def test_the_newsletter_form_asks_for_the_confirm_link_in_the_page_language(
    town: Town,
) -> None:
    status, page = await town.get(f"{town.base}/termine/{town.slug}")
    assert f'href="/termine/{town.slug}/newsletter?lang=de"' in page
    url = f"{town.base}/termine/{town.slug}/newsletter?lang=en"
    status, page = await town.send_form(url, rhythm="monthly", name="")
    assert status == 200 and "We sent you an e-mail" in page
    async with town.app.sessions() as session:
        [subscription] = (await session.scalars(select(NewsletterSubscription))).all()
    assert (subscription.status, subscription.rhythm, subscription.locale) == (
        "pending",
        "monthly",
        "en",
    )
    [asked] = town.inbox()
    assert asked.message["Subject"].startswith("Please confirm: newsletter of")
    # The confirm page in the language the address was given in.
    link = re.search(r"(http://\S+/newsletter/bestaetigen/\S+)", asked.text)
    assert link is not None, asked.text
    status, shown = await town.get(link.group(1))
    assert status == 200 and '<html lang="en">' in shown
    assert "Do you want the newsletter?" in shown
    status, done = await town.post(link.group(1))
    assert "Thank you! From now on you get the newsletter." in done
    status, page = await town.send_form(url, rhythm="daily")
    assert status == 400 and "Please choose: every week or every month." in page


async def _headers(url: str) -> dict[str, str]:
    async with aiohttp.ClientSession() as client, client.get(url) as response:
        return dict(response.headers)
