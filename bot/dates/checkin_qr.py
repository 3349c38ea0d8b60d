"""``lotsenbot qr DATE``: the check-in QR code of a date as a PNG file, for the venue."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.config import Settings
from bot.dates import attendance
from bot.dates.checkin import qr_png
from bot.domain.models import Community, Event
from bot.domain.numbers import is_number
from bot.domain.when import parse_day
from bot.infra.db import create_engine, session_factory


async def _find(settings: Settings, text: str) -> tuple[Event, Community] | str:
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    try:
        async with sessions.begin() as session:
            if is_number(text):
                event = await session.get(Event, int(text))
                if event is None:
                    return f"there is no date with number {text}"
                chosen = [event]
            else:
                day = parse_day(text, datetime.now().date())
                if day is None:
                    return f"{text!r} is neither a number nor a day like 2026-12-09 or 9.12.2026"
                # Wide enough for every time zone; the exact day is checked per community.
                start = datetime.combine(day, time(0), tzinfo=ZoneInfo("UTC"))
                rows = (
                    await session.execute(
                        select(Event, Community)
                        .join(Community, Community.id == Event.community_id)
                        .where(
                            Event.starts_at >= start - timedelta(days=1),
                            Event.starts_at < start + timedelta(days=2),
                            Event.status != "cancelled",
                        )
                        .order_by(Event.starts_at)
                    )
                ).all()
                chosen = [
                    e for e, c in rows if e.starts_at.astimezone(ZoneInfo(c.timezone)).date() == day
                ]
                if not chosen:
                    return f"there is no date on {day.isoformat()}"
                if len(chosen) > 1:
                    numbers = ", ".join(f"{e.id} ({e.title})" for e in chosen)
                    return (
                        f"there are several dates on {day.isoformat()}; give the number: {numbers}"
                    )
            event = chosen[0]
            community = await session.get(Community, event.community_id)
            assert community is not None
            await attendance.ensure_code(session, event)
            return event, community
    finally:
        await engine.dispose()


async def write_qr(
    settings: Settings,
    text: str,
    out: Path | None,
    deep_link: Callable[[str], Awaitable[str | None]],
    platforms: Sequence[tuple[str, str]] = (),
) -> int:
    """Print the date's code; where a platform has deep links (Telegram), also write the QR
    code that checks people in. ``deep_link``: the composition root's, for a payload;
    ``platforms``: the configured platforms' names and command prefixes."""
    found = await _find(settings, text.strip())
    if isinstance(found, str):
        print(f"lotsenbot: {found}", file=sys.stderr)
        return 2
    event, community = found
    code = event.checkin_code
    assert code is not None
    when = event.starts_at.astimezone(ZoneInfo(community.timezone)).strftime("%Y-%m-%d %H:%M")
    print(f"{event.title}, {when} (number {event.id})")
    print(f"check-in code: {code}  (people type: {_how_to_type(code, platforms)})")
    try:
        link = await deep_link(f"hier_{code}")
    except Exception as exc:  # the code above still works without the picture
        print(
            f"lotsenbot: could not reach the chat platform for the bot's name: {exc}",
            file=sys.stderr,
        )
        return 1
    if link is None:
        print("no QR code: no configured platform has links that open the bot's chat with a code")
        return 0
    target = out or Path(f"checkin-{event.id}.png")
    target.write_bytes(qr_png(link))
    print(f"QR code written to {target} (opens {link})")
    return 0


def _how_to_type(code: str, platforms: Sequence[tuple[str, str]]) -> str:
    """ "/hier 12345", or per prefix where the platforms differ: "/hier 12345 on Telegram,
    !hier 12345 on Matrix"."""
    by_prefix: dict[str, list[str]] = {}
    for name, prefix in platforms:
        by_prefix.setdefault(prefix, []).append(name)
    if len(by_prefix) <= 1:
        return f"{next(iter(by_prefix), '/')}hier {code}"
    return ", ".join(
        f"{prefix}hier {code} on {' and '.join(names)}" for prefix, names in by_prefix.items()
    )
