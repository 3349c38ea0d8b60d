"""The scheduler knows no feature: it runs what the features register, in their order, in
batches of one transaction each; chores run every round or at most so often. And the
features' due work called without a chat: posting a scheduled text."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.bootstrap import App, due_rounds
from bot.chat.types import ChatRef, Outgoing
from bot.community import communities
from bot.dates import announcements
from bot.dates.due import post_announcement
from bot.dates.jobs import ReminderPolicy
from bot.delivery.outbox import enqueue
from bot.domain.models import Announcement, Chat, Community, KeyValue, OutboxMessage
from bot.domain.work import Work
from bot.helping.policy import MatchingPolicy
from bot.infra.scheduler import Chore, DueWork, Scheduler
from bot.privacy.retention import Retention
from tests.fakes.memory import MemoryAdapter


async def _keys(app: App, prefix: str) -> dict[str, str]:
    async with app.sessions() as session:
        rows = await session.scalars(select(KeyValue).where(KeyValue.key.like(f"{prefix}%")))
        return {row.key: row.value for row in rows}


def test_the_features_register_their_rounds_in_the_old_order() -> None:
    rounds = due_rounds(ReminderPolicy(), MatchingPolicy(), Retention())
    assert [item.name for item in rounds] == [
        "erased chats",
        "retention",
        "series",
        "web sign-up expiry",
        "announcements",
        "help requests",
        "meeting reminders",
        "certificate reminder",
        "reminders",
        "reminder calls",
        "newsletter",
        "newsletter expiry",
    ]
    [reminders] = [item for item in rounds if item.name == "reminders"]
    assert isinstance(reminders, DueWork) and reminders.batch == 1


def test_reminder_and_matching_rules_come_from_their_own_sections(app: App) -> None:
    reminders = ReminderPolicy.from_settings(app.settings.reminders)
    assert reminders.default == tuple(app.settings.reminders.default)
    assert app.services.policy == reminders
    matching = MatchingPolicy.from_settings(app.settings.volunteers)
    assert matching.offer_to == app.settings.volunteers.offer_to
    assert matching.escalate_after == timedelta(hours=app.settings.volunteers.escalate_after_hours)
    assert app.services.matching == matching


async def test_due_rows_go_in_batches_and_chores_keep_their_pace(app: App) -> None:
    async with app.sessions.begin() as session:
        for n in range(5):
            session.add(KeyValue(key=f"due:{n}", value="waiting", updated_at=app.clock.now()))
    order: list[str] = []
    queued: list[int] = []

    async def due(session, now: datetime, limit: int) -> list[KeyValue]:  # type: ignore[no-untyped-def]
        rows = await session.scalars(
            select(KeyValue)
            .where(KeyValue.key.like("due:%"), KeyValue.value == "waiting")
            .order_by(KeyValue.key)
            .limit(limit)
        )
        return list(rows)

    async def run(work: Work, row: KeyValue) -> None:
        order.append(row.key)
        row.value = "done"

    async def chore(work: Work) -> int:
        order.append("chore")
        work.session.add(KeyValue(key=f"chore:{len(order)}", value="", updated_at=work.now))
        return 0

    scheduler = Scheduler(
        app.sessions,
        app.clock,
        [Chore("chore", chore, every=timedelta(hours=1)), DueWork("rows", due, run, batch=2)],
        on_queued=lambda: queued.append(1),
    )
    assert await scheduler.run_due() == 5
    # The chore first (registered first), then three batches: 2 + 2 + 1.
    assert order == ["chore", "due:0", "due:1", "due:2", "due:3", "due:4"]
    assert len(queued) == 3  # once per batch that did something; the chore queued nothing
    assert set((await _keys(app, "due:")).values()) == {"done"}
    # Within the hour the chore waits; forced, or an hour later, it runs again.
    await scheduler.run_due()
    assert order.count("chore") == 1
    await scheduler.run_chores("chore", force=True)
    app.clock.advance(seconds=3600)
    await scheduler.run_due()
    assert order.count("chore") == 3
    assert len(await _keys(app, "chore:")) == 3


async def test_a_scheduled_text_is_posted_without_a_chat(app: App, demo_group: ChatRef) -> None:
    now = app.clock.now()
    async with app.sessions.begin() as session:
        demo = await session.scalar(select(Community).where(Community.is_demo))
        assert demo is not None
        weekly = await announcements.schedule_text(
            session, demo.id, "Heute offen", now, "FREQ=WEEKLY", None, None, now
        )
        once = await announcements.schedule_text(
            session, demo.id, "Einmal", now, None, None, None, now
        )
        ids = weekly.id, once.id
    async with app.sessions.begin() as session:
        for announcement_id in ids:
            announcement = await session.get(Announcement, announcement_id)
            assert announcement is not None
            await post_announcement(Work(session, now), announcement)
    async with app.sessions() as session:
        demo = await session.scalar(select(Community).where(Community.is_demo))
        assert demo is not None
        groups = {chat.id for chat in await communities.group_chats(session, demo.id)}
        assert len(groups) == 2  # the console's group and group-1
        posts = (await session.execute(select(OutboxMessage.chat_id, OutboxMessage.content))).all()
        assert sorted((chat_id, content["text"]) for chat_id, content in posts) == sorted(
            (chat_id, text) for chat_id in groups for text in ("Einmal", "Heute offen")
        )
        repeated, done = [await session.get(Announcement, i) for i in ids]
        assert repeated is not None and done is not None
        assert (repeated.status, repeated.due_at - now) == ("scheduled", timedelta(days=7))
        assert done.status == "done"


async def test_a_post_falling_due_during_a_long_fan_out_waits_one_batch(
    app: App, demo_group: ChatRef
) -> None:
    """Issue 22, the busiest hour: 20,000 reminders are written a job at a time for many
    minutes; a post that falls due meanwhile (or a help request) used to wait for the
    whole fan-out, and then behind all of it in the outbox. Now the due work takes turns:
    the post is written after at most one more job."""
    jobs, per_job = 30, 20
    async with app.sessions.begin() as session:
        demo = await session.scalar(select(Community).where(Community.is_demo))
        assert demo is not None
        demo_id = demo.id
        group = (await communities.group_chats(session, demo_id))[0]
        for n in range(jobs):
            session.add(KeyValue(key=f"job:{n:02d}", value="waiting", updated_at=app.clock.now()))

    async def due(session, now: datetime, limit: int) -> list[KeyValue]:  # type: ignore[no-untyped-def]
        rows = await session.scalars(
            select(KeyValue)
            .where(KeyValue.key.like("job:%"), KeyValue.value == "waiting")
            .order_by(KeyValue.key)
            .limit(limit)
        )
        return list(rows)

    async def remind(work: Work, job: KeyValue) -> None:
        """A reminder job: one message to each of its people (here: to one chat)."""
        chat = await work.session.get(Chat, group.id)
        assert chat is not None
        for n in range(per_job):
            key = f"fan:{job.key}:{n}"
            await enqueue(work.session, chat, Outgoing(key), dedup_key=key, now=work.now)
        job.value = "done"
        if job.key == "job:02":  # meanwhile staff schedule a post for now
            await announcements.schedule_text(
                work.session, demo_id, "Heute offen", work.now, None, None, None, work.now
            )

    [posts] = [
        item
        for item in due_rounds(ReminderPolicy(), MatchingPolicy(), Retention())
        if item.name == "announcements"
    ]
    scheduler = Scheduler(
        app.sessions, app.clock, [posts, DueWork("reminders", due, remind, batch=1)]
    )
    assert await scheduler.run_due() == jobs + 1
    async with app.sessions() as session:
        rows = (await session.execute(select(OutboxMessage.id, OutboxMessage.dedup_key))).all()
    post = min(row_id for row_id, key in rows if key.startswith("ann:"))
    ahead = sorted(key for row_id, key in rows if key.startswith("fan:") and row_id < post)
    # Written by jobs 0-2 (the post fell due in job 2's transaction) and at most job 3.
    assert len(ahead) <= 4 * per_job, f"{len(ahead)} reminders written before the post"
    assert len([key for _id, key in rows if key.startswith("fan:")]) == jobs * per_job


async def test_a_groups_post_goes_out_ahead_of_the_reminders_queued_before_it(
    app: App, demo_group: ChatRef
) -> None:
    """Issue 22: at the busiest hour's minute 20,000 private reminders were queued; the
    groups' posts written after them waited behind all of them in the outbox (id order).
    A post of the schedule goes ahead of that backlog, as an answer to someone does."""
    reminders = 300
    async with app.sessions.begin() as session:
        demo = await session.scalar(select(Community).where(Community.is_demo))
        assert demo is not None
        now = app.clock.now()
        for n in range(reminders):
            chat = Chat(platform="console", external_id=f"person-{n}", kind="direct")
            session.add(chat)
            await session.flush()
            key = f"remind:{n}"
            await enqueue(session, chat, Outgoing("Erinnerung"), dedup_key=key, now=now)
        await announcements.schedule_text(
            session, demo.id, "Heute offen", now, None, None, None, now
        )
    await app.scheduler.run_due()
    adapter = app.adapters["console"]
    assert isinstance(adapter, MemoryAdapter)
    sending = asyncio.create_task(app.sender.run())
    try:
        for _ in range(2000):
            if len(adapter.shown) >= reminders + 2:
                break
            await asyncio.sleep(0.01)
    finally:
        app.sender.stop()
        await sending
    texts = [shown.text for shown in adapter.shown]
    assert texts.count("Erinnerung") == reminders
    # Both groups of the demo community got the post before any but the first batch of
    # reminders (before the fix: after all of them).
    posts = [n for n, text in enumerate(texts) if text == "Heute offen"]
    assert len(posts) == 2 and max(posts) < 60, posts


async def test_the_posts_due_at_once_are_all_written_before_the_first_reminder_job(
    app: App, demo_group: ChatRef
) -> None:
    """Taking turns does not split the minute's posts: a ``hurry`` due work (posts, help
    requests) does all it has in its turn, more than one batch of 20 included."""
    async with app.sessions.begin() as session:
        demo = await session.scalar(select(Community).where(Community.is_demo))
        assert demo is not None
        group = (await communities.group_chats(session, demo.id))[0]
        now = app.clock.now()
        for n in range(25):
            await announcements.schedule_text(
                session, demo.id, f"Post {n}", now, None, None, None, now
            )
        for n in range(3):
            session.add(KeyValue(key=f"job:{n}", value="waiting", updated_at=now))

    async def due(session, now: datetime, limit: int) -> list[KeyValue]:  # type: ignore[no-untyped-def]
        rows = await session.scalars(
            select(KeyValue)
            .where(KeyValue.key.like("job:%"), KeyValue.value == "waiting")
            .order_by(KeyValue.key)
            .limit(limit)
        )
        return list(rows)

    async def remind(work: Work, job: KeyValue) -> None:
        chat = await work.session.get(Chat, group.id)
        assert chat is not None
        await enqueue(work.session, chat, Outgoing(job.key), dedup_key=job.key, now=work.now)
        job.value = "done"

    rounds = due_rounds(ReminderPolicy(), MatchingPolicy(), Retention())
    [posts] = [item for item in rounds if item.name == "announcements"]
    assert posts.batch < 25
    scheduler = Scheduler(
        app.sessions, app.clock, [posts, DueWork("reminders", due, remind, batch=1)]
    )
    assert await scheduler.run_due() == 25 + 3
    async with app.sessions() as session:
        rows = (await session.execute(select(OutboxMessage.id, OutboxMessage.dedup_key))).all()
    last_post = max(row_id for row_id, key in rows if key.startswith("ann:"))
    first_job = min(row_id for row_id, key in rows if key.startswith("job:"))
    assert last_post < first_job
    assert len([key for _id, key in rows if key.startswith("ann:")]) == 25 * 2  # two groups
