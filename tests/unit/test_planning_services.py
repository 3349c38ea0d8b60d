"""The staff side of dates without a chat, on both databases: create, move, call off, sign up
a caller, who comes, staff's own announcements and reminder times."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.chat.types import ChatRef, Sender
from bot.dates import announcements, jobs, planning, rsvps, signup
from bot.dates.details import Details
from bot.domain import people
from bot.domain.models import (
    Announcement,
    Chat,
    Community,
    Event,
    EventPost,
    Job,
    OutboxMessage,
    Person,
    Rsvp,
    Series,
)
from bot.domain.when import When
from bot.domain.work import Work
from bot.reminders import times

POLICY = jobs.ReminderPolicy()


async def _community(session) -> Community:  # type: ignore[no-untyped-def]
    community = await session.scalar(select(Community).where(Community.is_demo))
    assert community is not None
    return community


async def _staff(session) -> int:  # type: ignore[no-untyped-def]
    person = Person(display_name="Frau Meier")
    session.add(person)
    await session.flush()
    return person.id


async def _create(app, *, rrule: str | None = None, **details) -> int:  # type: ignore[no-untyped-def]
    """A date (or series) stored through the use case; the first date's id."""
    start = app.clock.now() + timedelta(days=10)
    async with app.sessions.begin() as session:
        work = Work(session, app.clock.now())
        created = await planning.create_date(
            work,
            await _community(session),
            When(start, start + timedelta(hours=2), rrule, True),
            Details(title="Digitalcafé", place="Bibliothek", **details),
            created_by=await _staff(session),
            policy=POLICY,
        )
        return created.events[0].id


async def _member(app, external_id: str = "paula") -> int:  # type: ignore[no-untyped-def]
    """A member with a chat account (so the bot can write to them privately)."""
    async with app.sessions.begin() as session:
        account = await people.get_or_create_account(
            session, "console", Sender(external_id, "Paula"), app.clock.now()
        )
        return account.person_id


async def _sign_up(app, event_id: int, person_id: int) -> None:  # type: ignore[no-untyped-def]
    async with app.sessions.begin() as session:
        event = await session.get(Event, event_id)
        work = Work(session, app.clock.now())
        await signup.sign_up(work, await _community(session), event, person_id, 1)


async def _call_in(app, event_id: int, name: str, size: int = 1) -> signup.CallerSignUp:  # type: ignore[no-untyped-def]
    async with app.sessions.begin() as session:
        event = await session.get(Event, event_id)
        work = Work(session, app.clock.now())
        return await signup.sign_up_caller(
            work, await _community(session), event, name, "04542 1234", size, await _staff(session)
        )


async def _link_group(app) -> int:  # type: ignore[no-untyped-def]
    async with app.sessions.begin() as session:
        chat = await people.get_or_create_chat(
            session, ChatRef("console", "group-1", "group"), app.clock.now()
        )
        chat.community_id = (await _community(session)).id
        await session.flush()
        return chat.id


async def _outbox(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(chat id, dedup key) of every queued message."""
    async with app.sessions() as session:
        rows = await session.execute(
            select(Chat.external_id, OutboxMessage.dedup_key).join(
                Chat, Chat.id == OutboxMessage.chat_id
            )
        )
        return [(chat, key) for chat, key in rows.all()]


async def test_a_single_date_is_stored_with_its_posts_and_reminders(app) -> None:  # type: ignore[no-untyped-def]
    event_id = await _create(app, capacity=12)
    async with app.sessions() as session:
        event = await session.get(Event, event_id)
        assert event is not None and event.series_id is None
        assert (event.title, event.place, event.capacity) == ("Digitalcafé", "Bibliothek", 12)
        posts = (
            await session.scalars(select(Announcement).where(Announcement.event_id == event_id))
        ).all()
        assert {post.kind for post in posts} == {announcements.EVENT, announcements.EVENT_AGAIN}
        assert all(post.status == announcements.SCHEDULED for post in posts)
        reminders = (
            await session.scalars(
                select(Job.offset_spec).where(Job.event_id == event_id, Job.kind == jobs.REMINDER)
            )
        ).all()
        assert sorted(reminders) == sorted(POLICY.default)
    assert await _outbox(app) == []


async def test_posting_at_once_posts_in_the_groups_and_drops_the_regular_post(app) -> None:  # type: ignore[no-untyped-def]
    group = await _link_group(app)
    start = app.clock.now() + timedelta(days=10)
    async with app.sessions.begin() as session:
        created = await planning.create_date(
            Work(session, app.clock.now()),
            await _community(session),
            When(start, None, None, True),
            Details(title="Sprechstunde", place="Rathaus"),
            created_by=None,
            policy=POLICY,
            post_key="announce:test",
        )
        event_id = created.events[0].id
    queued = await _outbox(app)
    assert ("group-1", f"announce:test:{group}") in queued
    assert all(key.startswith("announce:test:") for _chat, key in queued)
    async with app.sessions() as session:
        posted = set((await session.scalars(select(EventPost.chat_id))).all())
        assert group in posted and len(posted) == len(queued)
        first = await session.scalar(
            select(Announcement.status).where(
                Announcement.event_id == event_id, Announcement.kind == announcements.EVENT
            )
        )
        assert first == announcements.DONE


async def test_a_course_is_made_whole_at_once(app) -> None:  # type: ignore[no-untyped-def]
    first_id = await _create(app, rrule="FREQ=WEEKLY", course_dates=4)
    async with app.sessions() as session:
        event = await session.get(Event, first_id)
        assert event is not None and event.series_id is not None
        course = await session.get(Series, event.series_id)
        assert course is not None and course.kind == "course"
        dates = (await session.scalars(select(Event).where(Event.series_id == course.id))).all()
        assert len(dates) == 4


async def test_a_caller_becomes_a_person_with_a_place(app) -> None:  # type: ignore[no-untyped-def]
    event_id = await _create(app, capacity=3)
    caller = await _call_in(app, event_id, "Erika Muster", size=2)
    assert caller.result.outcome == rsvps.YES
    async with app.sessions.begin() as session:
        person = await session.get(Person, caller.person_id)
        assert person is not None and person.display_name == "Erika Muster"
        rsvp = await session.scalar(select(Rsvp).where(Rsvp.person_id == caller.person_id))
        assert rsvp is not None
        assert (rsvp.party_size, rsvp.phone) == (2, "04542 1234")
        staff = await session.get(Person, rsvp.added_by)
        assert staff is not None and staff.display_name == "Frau Meier"
        event = await session.get(Event, event_id)
        listed = await planning.attendees(Work(session, app.clock.now()), event)
    assert [(one.name, one.party_size, one.phone) for one in listed.seated] == [
        ("Erika Muster", 2, "04542 1234")
    ]
    assert listed.waiting == [] and listed.taken == 2
    second = await _call_in(app, event_id, "Hans Huber", size=2)
    assert second.result.outcome == rsvps.WAITLIST and second.result.position == 1


async def test_a_move_tells_members_and_lists_the_callers(app) -> None:  # type: ignore[no-untyped-def]
    group = await _link_group(app)
    event_id = await _create(app)
    member = await _member(app)
    await _sign_up(app, event_id, member)
    caller = await _call_in(app, event_id, "Erika Muster")
    async with app.sessions.begin() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        new_start = event.starts_at + timedelta(days=1)
        told = await planning.move_date(
            Work(session, app.clock.now()),
            await _community(session),
            event,
            new_start,
            None,
            "Rathaus, Saal 1",
            policy=POLICY,
            change_id="c1",
        )
    assert told.told == 1
    assert told.unreachable == [
        planning.Unreachable(caller.person_id, "Erika Muster", "04542 1234")
    ]
    queued = await _outbox(app)
    assert ("paula", f"moved:{event_id}:c1:{member}") in queued
    assert ("group-1", f"moved:{event_id}:c1:groups:{group}") in queued
    async with app.sessions() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        assert (event.status, event.place) == ("changed", "Rathaus, Saal 1")
        assert event.starts_at == new_start
        assert event.ends_at == new_start + timedelta(hours=2)


def _group_keys(keys: list[str]) -> list[str]:
    return [key for key in keys if ":groups:" in key]


async def test_cancelling_drops_the_posts_and_is_refused_twice(app) -> None:  # type: ignore[no-untyped-def]
    event_id = await _create(app)
    member = await _member(app)
    await _sign_up(app, event_id, member)
    for expected in ("told", "already_cancelled"):
        async with app.sessions.begin() as session:
            event = await session.get(Event, event_id)
            result = await planning.call_off(
                Work(session, app.clock.now()), await _community(session), event, skip=False
            )
        if expected == "told":
            assert isinstance(result, planning.Told) and result.told == 1
        else:
            assert result == expected
    async with app.sessions() as session:
        event = await session.get(Event, event_id)
        assert event is not None and event.status == "cancelled"
        statuses = (
            await session.scalars(
                select(Announcement.status).where(Announcement.event_id == event_id)
            )
        ).all()
        assert statuses and set(statuses) == {announcements.CANCELLED}
        # The sign-up is kept for the notice; the notice went out once, to the member and
        # to the group (#18: a group always hears a date is called off).
        assert await rsvps.find(session, event_id, member) is not None
    keys = [key for _chat, key in await _outbox(app) if key.startswith("cancelled")]
    assert sorted(keys) == sorted([f"cancelled:{event_id}:{member}", *_group_keys(keys)])
    assert len(_group_keys(keys)) == 1


async def test_skipping_one_date_of_a_series_remembers_the_day(app) -> None:  # type: ignore[no-untyped-def]
    single = await _create(app)
    first = await _create(app, rrule="FREQ=WEEKLY")
    async with app.sessions.begin() as session:
        work, community = Work(session, app.clock.now()), await _community(session)
        refused = await planning.call_off(
            work, community, await session.get(Event, single), skip=True
        )
        assert refused == "not_in_series"
        event = await session.get(Event, first)
        result = await planning.call_off(work, community, event, skip=True)
        assert result == planning.Told(0, [])
        day = event.starts_at.astimezone(ZoneInfo(community.timezone)).date()
    async with app.sessions() as session:
        event = await session.get(Event, first)
        assert event is not None and event.status == "cancelled"
        weekly = await session.get(Series, event.series_id)
        assert weekly is not None and weekly.exdates == [day.isoformat()]
        assert (await session.get(Event, single)).status != "cancelled"  # type: ignore[union-attr]


async def test_staff_announcements_are_scheduled_listed_moved_and_cancelled(app) -> None:  # type: ignore[no-untyped-def]
    now = app.clock.now()
    async with app.sessions.begin() as session:
        work, community = Work(session, now), await _community(session)
        # A start already past is posted at once: nothing stays scheduled.
        sent = await announcements.schedule_post(
            work, community.id, "Kuchen!", now - timedelta(hours=1), None, None, None
        )
        assert sent == announcements.Scheduled(True, None)
        assert await announcements.listed(work, community.id, 15) == []
        soon = await announcements.schedule_post(
            work, community.id, "Kuchen!", now + timedelta(hours=1), None, None, None
        )
        assert soon == announcements.Scheduled(False, now + timedelta(hours=1))
    async with app.sessions.begin() as session:
        work = Work(session, now)
        shown = await announcements.listed(work, community.id, 15)
        assert [(one.text, one.repeats) for one in shown] == [("Kuchen!", False)]
        post_id = shown[0].id
        assert shown[0].due_at == now + timedelta(hours=1)
        assert await announcements.find_post(work, community.id + 1, post_id) is None
        row = await announcements.find_post(work, community.id, post_id)
        assert row is not None
        later = now + timedelta(days=3)
        await announcements.move_post(work, row, later, "FREQ=WEEKLY")
    async with app.sessions.begin() as session:
        work = Work(session, now)
        row = await announcements.find_post(work, community.id, post_id)
        assert row is not None and row.due_at == later and row.rrule == "FREQ=WEEKLY"
        await announcements.cancel_post(work, row)
    async with app.sessions() as session:
        work = Work(session, now)
        assert await announcements.find_post(work, community.id, post_id) is None
        kept = await announcements.find_post(work, community.id, post_id, scheduled=False)
        assert kept is not None and kept.status == announcements.CANCELLED
        assert await announcements.listed(work, community.id, 15) == []


async def test_reminder_times_of_a_date_and_of_a_series(app) -> None:  # type: ignore[no-untyped-def]
    single = await _create(app)
    first = await _create(app, rrule="FREQ=WEEKLY")
    async with app.sessions.begin() as session:
        work, community = Work(session, app.clock.now()), await _community(session)
        event = await session.get(Event, single)
        assert await times.reminder_times(work, event, POLICY.default) == list(POLICY.default)
        assert await times.set_reminder_times(work, community, event, ["3h"]) is None
        assert await times.reminder_times(work, event, POLICY.default) == ["3h"]
        dated = await session.get(Event, first)
        count = await times.set_reminder_times(work, community, dated, ["2d@09:00"])
        weekly_id = dated.series_id
    async with app.sessions() as session:
        weekly = await session.get(Series, weekly_id)
        assert weekly is not None and weekly.reminders == ["2d@09:00"]
        dates = (await session.scalars(select(Event.id).where(Event.series_id == weekly_id))).all()
        assert count == len(dates) > 1
        specs = (
            await session.scalars(
                select(Job.offset_spec).where(
                    Job.event_id.in_(dates), Job.kind == jobs.REMINDER, Job.status == jobs.SCHEDULED
                )
            )
        ).all()
        assert set(specs) == {"2d@09:00"}
