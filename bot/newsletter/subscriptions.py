"""Who gets the newsletter: subscribe (a member in the chat, or an address from the web
page), confirm by the link in the first e-mail (double opt-in: nothing else is sent before),
unsubscribe with one click. Unconfirmed subscriptions expire after ``CONFIRM_DAYS``."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select

from bot.domain.addresses import clean_address
from bot.domain.models import Community, NewsletterSubscription
from bot.domain.work import Work
from bot.language.i18n import _, ngettext, use_locale
from bot.newsletter import mail

WEEKLY, MONTHLY = "weekly", "monthly"
RHYTHMS = (WEEKLY, MONTHLY)
PENDING, ACTIVE = "pending", "active"
CONFIRM_DAYS = 7
# Outcomes of ``subscribe``.
ASKED, ALREADY, INVALID = "asked", "already", "invalid"


@dataclass(frozen=True, slots=True)
class Subscribed:
    outcome: str  # asked | already | invalid
    subscription: NewsletterSubscription | None = None


async def subscribe(
    work: Work,
    community: Community,
    address: str,
    rhythm: str,
    lang: str,
    *,
    person_id: int | None = None,
    base_url: str = "",
) -> Subscribed:
    """Ask for the newsletter: the address gets one e-mail with a confirm link; nothing
    else goes there before it is pressed. An address already confirmed keeps getting it
    (in the rhythm now chosen)."""
    clean = clean_address(address)
    if clean is None or rhythm not in RHYTHMS:
        return Subscribed(INVALID)
    found = await work.session.scalar(
        select(NewsletterSubscription).where(
            NewsletterSubscription.community_id == community.id,
            NewsletterSubscription.address == clean,
        )
    )
    if found is not None and found.status == ACTIVE:
        found.rhythm = rhythm
        return Subscribed(ALREADY, found)
    if found is None:
        found = NewsletterSubscription(
            community_id=community.id,
            address=clean,
            token=secrets.token_urlsafe(24),
            last_issue="",
        )
        work.session.add(found)
    found.rhythm, found.locale, found.status, found.created_at = rhythm, lang, PENDING, work.now
    found.person_id = person_id if person_id is not None else found.person_id
    await work.session.flush()
    await _ask_to_confirm(work, community, found, base_url)
    return Subscribed(ASKED, found)


async def subscribe_on_page(
    work: Work, slug: str, address: str, rhythm: str, lang: str, *, base_url: str
) -> Subscribed | None:
    """An address given on the community's public page; None for an unknown page."""
    community = await work.session.scalar(select(Community).where(Community.slug == slug))
    if community is None:
        return None
    return await subscribe(work, community, address, rhythm, lang, base_url=base_url)


async def locale_of(work: Work, token: str) -> str | None:
    """The language the subscriber asked in, for the confirm and unsubscribe pages."""
    found = await _by_token(work, token)
    return found.locale if found is not None else None


async def _ask_to_confirm(
    work: Work, community: Community, subscription: NewsletterSubscription, base_url: str
) -> None:
    with use_locale(subscription.locale):
        subject = _("Please confirm: newsletter of {community}").format(community=community.name)
        text = "\n\n".join(
            [
                subject,
                _(
                    "You asked for an e-mail with the dates of {community}. Please open this "
                    "link to confirm it:"
                ).format(community=community.name),
                mail.link(base_url, "bestaetigen", subscription.token),
                ngettext(
                    "If you did not ask for it, do nothing. Then you get no e-mails from us. "
                    "The link works for {days} day.",
                    "If you did not ask for it, do nothing. Then you get no e-mails from us. "
                    "The link works for {days} days.",
                    CONFIRM_DAYS,
                ).format(days=CONFIRM_DAYS),
            ]
        )
    await mail.send(
        work,
        subscription,
        subject,
        text,
        f"newsletter-confirm:{subscription.id}:{work.now.isoformat()}",
    )


async def confirm(work: Work, token: str) -> NewsletterSubscription | None:
    """The confirm link was opened and pressed: from now on the newsletter goes out. None
    when the link is unknown or expired."""
    found = await _by_token(work, token)
    if found is None:
        return None
    if found.status == PENDING:
        if work.now - found.created_at > timedelta(days=CONFIRM_DAYS):
            return None
        found.status, found.confirmed_at = ACTIVE, work.now
    return found


async def unsubscribe(work: Work, token: str) -> bool:
    """One click: the subscription and its address are gone. False for an unknown link."""
    found = await _by_token(work, token)
    if found is None:
        return False
    await work.session.delete(found)
    return True


async def unsubscribe_person(work: Work, community: Community, person_id: int) -> int:
    """A member's "no more newsletter" in the chat; how many subscriptions ended."""
    result = await work.session.execute(
        delete(NewsletterSubscription).where(
            NewsletterSubscription.community_id == community.id,
            NewsletterSubscription.person_id == person_id,
        )
    )
    return result.rowcount or 0


async def expire_unconfirmed(work: Work) -> int:
    """Unconfirmed subscriptions older than ``CONFIRM_DAYS`` are deleted, address and all."""
    await work.session.execute(
        delete(NewsletterSubscription).where(
            NewsletterSubscription.status == PENDING,
            NewsletterSubscription.created_at < work.now - timedelta(days=CONFIRM_DAYS),
        )
    )
    return 0


async def _by_token(work: Work, token: str) -> NewsletterSubscription | None:
    if not token or len(token) > 64:
        return None
    return await work.session.scalar(
        select(NewsletterSubscription).where(NewsletterSubscription.token == token)
    )
