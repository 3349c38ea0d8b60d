"""Each newsletter issue: the community's coming dates, in plain language, weekly (on
Mondays, the next seven days) or monthly (on the 1st, the month's dates). The scheduler's
chore sends each due issue once; the outbox's dedup key keeps it once across restarts."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.dates import details
from bot.dates.press import month_name, sign_up_text
from bot.domain.models import Community, Event, NewsletterSubscription
from bot.domain.work import Work
from bot.language.i18n import _, format_span, use_locale
from bot.newsletter import mail
from bot.newsletter.subscriptions import ACTIVE, MONTHLY

# Issues go out from this local time on their day (or later, when the bot was down).
SEND_AT = time(7, 0)
MAX_DATES = 30


def issue_key(rhythm: str, day: date) -> str:
    """ "2026-W50" for the week, "2026-12" for the month of ``day``."""
    if rhythm == MONTHLY:
        return f"{day:%Y-%m}"
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def current_key(subscription: NewsletterSubscription, community: Community, now: datetime) -> str:
    return issue_key(subscription.rhythm, now.astimezone(ZoneInfo(community.timezone)).date())


async def send_due(work: Work, base_url: str) -> int:
    """Every confirmed subscription whose issue for this week or month is not out yet."""
    found = await work.session.scalars(
        select(NewsletterSubscription)
        .where(NewsletterSubscription.status == ACTIVE)
        .order_by(NewsletterSubscription.id)
    )
    sent = 0
    communities: dict[int, Community | None] = {}
    for subscription in found.all():
        cid = subscription.community_id
        if cid not in communities:
            communities[cid] = await work.session.get(Community, cid)
        community = communities[cid]
        if community is None:
            continue
        local = work.now.astimezone(ZoneInfo(community.timezone))
        key = issue_key(subscription.rhythm, local.date())
        if subscription.last_issue == key or local.time() < SEND_AT:
            continue
        subscription.last_issue = key
        sent += await _send_issue(work, community, subscription, key, base_url)
    return sent


async def _send_issue(
    work: Work,
    community: Community,
    subscription: NewsletterSubscription,
    key: str,
    base_url: str,
) -> int:
    tz = ZoneInfo(community.timezone)
    today = work.now.astimezone(tz).date()
    if subscription.rhythm == MONTHLY:
        until = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    else:
        until = today + timedelta(days=7)
    dates = await _public_dates(work, community, datetime.combine(until, time(), tz))
    if not dates:
        return 0  # nothing planned: no empty e-mail
    with use_locale(subscription.locale):
        if subscription.rhythm == MONTHLY:
            subject = _("{community}: our dates in {month}").format(
                community=community.name, month=month_name(today)
            )
        else:
            subject = _("{community}: our dates in the next 7 days").format(
                community=community.name
            )
        unsubscribe = mail.link(base_url, "abbestellen", subscription.token)
        blocks = [subject]
        for event in dates:
            lines = [format_span(event.starts_at, event.ends_at, community.timezone), event.title]
            lines += _details(event)
            blocks.append("\n".join(lines))
        blocks.append(sign_up_text(community, community.contact))
        blocks.append(
            _("You get this e-mail because you asked for it. To stop it, open this link:")
            + "\n"
            + unsubscribe
        )
    queued = await mail.send(
        work,
        subscription,
        subject,
        "\n\n".join(blocks),
        f"newsletter:{subscription.id}:{key}",
        unsubscribe_url=unsubscribe,
    )
    return int(queued)


def _details(event: Event) -> list[str]:
    return details.lines(event, ("online_link",) if event.place else ())


async def _public_dates(work: Work, community: Community, until: datetime) -> list[Event]:
    found = await work.session.scalars(
        select(Event)
        .where(
            Event.community_id == community.id,
            Event.starts_at > work.now,
            Event.starts_at < until,
            Event.status != "cancelled",
            Event.public.is_(True),
        )
        .order_by(Event.starts_at)
        .limit(MAX_DATES)
    )
    return list(found.all())
