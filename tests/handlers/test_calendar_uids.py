"""Calendar UIDs (#19): unique per deployment, stable across restarts, and a cancellation
names the same UID as the confirmation people imported. Two towns' files and feeds must
never collide in one calendar app (RFC 5545)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from icalendar import Calendar
from sqlalchemy import select

from bot.bootstrap import build_app, calendar_feed, prepare
from bot.dates.calendar import event_uid
from bot.domain.models import Community, Event
from bot.infra.deployment import deployment
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, Shown, telegram_like
from tests.fakes.memory import Person as Someone
from tests.handlers.conftest import ADA, GROUP

ANNA, BERT = Someone("100", "Anna"), Someone("101", "Bert")


@asynccontextmanager
async def _running(url: str, data_dir: Path) -> AsyncIterator[Conversation]:
    """One start of the bot on this database (a restart is a second one)."""
    adapter = telegram_like()
    settings = make_settings(url, data_dir, bot={"admins": ["telegram:1"]})
    app = build_app(settings, clock=FakeClock(), adapters=[adapter])
    await prepare(app)
    try:
        yield Conversation(app, adapter)
    finally:
        await app.close()


async def _announce(tg: Conversation) -> Shown:
    """A new date announced in the group; the post with its buttons."""
    await tg.say(ADA, "/verbinden 1", chat=tg.group(GROUP))
    await tg.say(ADA, "/start", chat=tg.group(GROUP))
    [preview] = await tg.say(ADA, "/termin_neu Digitalcafé; 9.12. 15–17 Uhr; Stadtbibliothek; 10")
    await tg.press(ADA, preview, "Speichern und jetzt ankündigen")
    [post] = [s for s in tg.adapter.to(GROUP) if s.buttons]
    return post


async def _uid_of_press(
    tg: Conversation, post: Shown, person: Someone, label: str
) -> tuple[str, str]:
    """What the person's calendar file says after pressing the date's button in the group:
    its UID and its METHOD."""
    shown = await tg.press(person, post, label, chat=tg.group(GROUP))
    [file] = [s.attachment for s in shown if s.attachment is not None]
    assert file.mime_type == "text/calendar"
    calendar = Calendar.from_ical(file.data)
    [vevent] = calendar.walk("VEVENT")
    return str(vevent["UID"]), str(calendar["METHOD"])


def _copy(template_url: str, target: Path) -> str:
    shutil.copy(template_url.removeprefix("sqlite+aiosqlite:///"), target)
    return f"sqlite+aiosqlite:///{target}"


async def test_two_deployments_differ_and_a_restart_keeps_the_uid(
    sqlite_url: str, tmp_path: Path
) -> None:
    # Both towns start from the same freshly migrated database file: nothing in it yet
    # tells them apart.
    other_url = _copy(sqlite_url, tmp_path / "other.db")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    async with _running(sqlite_url, tmp_path / "a") as town_a:
        post = await _announce(town_a)
        uid_a, method = await _uid_of_press(town_a, post, ANNA, "Ich komme")
        assert method == "PUBLISH"
    async with _running(other_url, tmp_path / "b") as town_b:
        uid_b, _ = await _uid_of_press(town_b, await _announce(town_b), ANNA, "Ich komme")
    # The same date number in both towns, yet different UIDs.
    number = uid_a.split("-")[1]
    assert uid_a.startswith(f"event-{number}-") and uid_b.startswith(f"event-{number}-")
    assert uid_a.endswith("@lotsenbot")
    assert uid_a != uid_b

    async with _running(sqlite_url, tmp_path / "a") as again:
        # After a restart: Bert's file, Anna's cancellation and the feed name the same UID.
        assert (await _uid_of_press(again, post, BERT, "Ich komme"))[0] == uid_a
        assert await _uid_of_press(again, post, ANNA, "Ich kann nicht") == (uid_a, "CANCEL")
        async with again.app.sessions() as session:
            slug = await session.scalar(select(Community.slug).where(Community.id == 1))
        assert slug is not None
        feed = Calendar.from_ical(await calendar_feed(again.app, slug))
        uids = [str(v["UID"]) for v in feed.walk("VEVENT")]
        assert uid_a in uids
        # The demo date too: every UID of a new deployment names it.
        assert all(uid.endswith(uid_a.partition("-")[2].partition("-")[2]) for uid in uids)


async def test_dates_from_before_the_upgrade_keep_their_uid(db_url: str) -> None:
    """People imported those dates with the old UID; their cancellation must still match."""
    from bot.infra.db import create_engine, session_factory

    engine = create_engine(db_url)
    sessions = session_factory(engine)
    start = datetime(2026, 12, 9, 14, tzinfo=UTC)
    async with sessions.begin() as session:
        community = Community(slug="alt", name="Digitalcafé Alt")
        session.add(community)
        await session.flush()
        old = Event(community_id=community.id, title="Digitalcafé", starts_at=start)
        session.add(old)
        await session.flush()
        made = await deployment(session)
        new = Event(community_id=community.id, title="Digitalcafé", starts_at=start)
        session.add(new)
        await session.flush()
    async with sessions() as session:
        assert await deployment(session) == made  # stored once, read back the same
    await engine.dispose()
    uid: Callable[[int], str] = lambda event_id: event_uid(event_id, made)  # noqa: E731
    assert uid(old.id) == f"event-{old.id}@lotsenbot"
    assert uid(new.id) == f"event-{new.id}-{made.id}@lotsenbot"


async def test_the_stored_identity_is_read_from_the_database_once(db_url: str) -> None:
    """Every sign-up's calendar file names it: after the first read no query asks again."""
    from sqlalchemy import event

    from bot.infra.db import create_engine, session_factory

    engine = create_engine(db_url)
    sessions = session_factory(engine)
    async with sessions.begin() as session:
        made = await deployment(session)  # made now: not kept, the transaction might fail
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    async with sessions() as session:
        assert await deployment(session) == made
        read = len(statements)
        assert read >= 1
        assert await deployment(session) == made
    async with sessions() as session:
        assert await deployment(session) == made
    assert len(statements) == read
    await engine.dispose()
