"""Check-in and date-sharing use cases called without a chat, on both databases: what the
database holds afterwards."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.chat.types import ChatRef
from bot.community import chats
from bot.dates import checkin, sharing, signup
from bot.domain import people
from bot.domain.models import (
    Announcement,
    Attendance,
    Community,
    Event,
    EventHelper,
    EventPost,
    OutboxMessage,
    Person,
    Series,
)
from bot.domain.work import Work


async def _community_date(app, *, starts_in: timedelta, **fields) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    now = app.clock.now()
    async with app.sessions.begin() as session:
        community = await session.scalar(select(Community).where(Community.is_demo))
        event = Event(
            community_id=community.id,
            title="Digitalcafé",
            starts_at=now + starts_in,
            ends_at=now + starts_in + timedelta(hours=2),
            capacity=10,
            created_at=now,
            **fields,
        )
        session.add(event)
        await session.flush()
        return community.id, event.id


async def _people(app, *names: str) -> list[int]:  # type: ignore[no-untyped-def]
    async with app.sessions.begin() as session:
        persons = [Person(display_name=name) for name in names]
        session.add_all(persons)
        await session.flush()
        return [p.id for p in persons]


async def _signed_up_today(app) -> tuple[int, list[int]]:  # type: ignore[no-untyped-def]
    """A date starting in half an hour with Anna (alone) and Bernd (plus one) signed up."""
    community_id, event_id = await _community_date(app, starts_in=timedelta(minutes=30))
    anna, bernd = await _people(app, "Anna", "Bernd")
    async with app.sessions.begin() as session:
        work = Work(session, app.clock.now())
        community = await session.get(Community, community_id)
        event = await session.get(Event, event_id)
        await signup.sign_up(work, community, event, anna, 1)
        await signup.sign_up(work, community, event, bernd, 2)
    return event_id, [anna, bernd]


async def _attendance(app, event_id: int) -> dict[int, str]:  # type: ignore[no-untyped-def]
    async with app.sessions() as session:
        rows = await session.execute(
            select(Attendance.person_id, Attendance.how).where(Attendance.event_id == event_id)
        )
        return dict(rows.all())


async def test_staff_list_toggle_everyone_and_guests(app) -> None:  # type: ignore[no-untyped-def]
    event_id, (anna, bernd) = await _signed_up_today(app)
    (staff,) = await _people(app, "Sabine")
    async with app.sessions.begin() as session:
        work = Work(session, app.clock.now())
        community = await session.scalar(select(Community).where(Community.is_demo))
        event = await checkin.date_at_door(work, community)
        assert event is not None and event.id == event_id
        await checkin.take_attendance(work, event, staff)
        await checkin.take_attendance(work, event, staff)  # opened twice: one helper row
        assert await checkin.toggle(work, event, anna, staff) is True
        door = await checkin.door_list(work, event)
        assert [(p.name, p.party_size, p.present) for p in door.people] == [
            ("Anna", 1, True),
            ("Bernd", 2, False),
        ]
        assert door.headcount == checkin.Headcount(came=1, signed=2, guests=0)
    async with app.sessions() as session:
        helpers = await session.scalar(
            select(func.count(EventHelper.id)).where(EventHelper.event_id == event_id)
        )
        assert helpers == 1
    assert await _attendance(app, event_id) == {anna: "staff"}

    async with app.sessions.begin() as session:
        work = Work(session, app.clock.now())
        event = await session.get(Event, event_id)
        assert await checkin.toggle(work, event, anna, staff) is False  # tapped again: undone
    assert await _attendance(app, event_id) == {}

    async with app.sessions.begin() as session:
        work = Work(session, app.clock.now())
        event = await session.get(Event, event_id)
        await checkin.everyone_here(work, event, staff)
        guest = await checkin.add_guest(work, event, "Gisela", staff)
        assert await checkin.add_walk_ins(work, event, 3) == 3
    assert await _attendance(app, event_id) == {anna: "all", bernd: "all", guest: "guest"}
    async with app.sessions() as session:
        event = await session.get(Event, event_id)
        assert event.walk_ins == 3
        assert (await session.get(Person, guest)).display_name == "Gisela"
        work = Work(session, app.clock.now())
        assert await checkin.headcount(work, event) == checkin.Headcount(2, 2, 4)


async def test_self_check_in_with_the_code(app) -> None:  # type: ignore[no-untyped-def]
    event_id, (anna, _bernd) = await _signed_up_today(app)
    (walk_in,) = await _people(app, "Walter")
    async with app.sessions.begin() as session:
        work = Work(session, app.clock.now())
        code = await checkin.code(work, await session.get(Event, event_id))
        assert code == await checkin.code(work, await session.get(Event, event_id))
        assert await checkin.check_in_by_code(work, anna, "nope") is None
        first = await checkin.check_in_by_code(work, anna, f" {code} ")
        assert first is not None and first.new and first.event.id == event_id
        again = await checkin.check_in_by_code(work, anna, code)
        assert again is not None and not again.new
        assert await checkin.check_in_by_code(work, walk_in, code) is not None
    assert await _attendance(app, event_id) == {anna: "self", walk_in: "self"}
    async with app.sessions() as session:
        assert (await session.get(Event, event_id)).checkin_code == code

    app.clock.advance(days=1)  # check-in closes an hour after the end
    async with app.sessions.begin() as session:
        assert await checkin.check_in_by_code(Work(session, app.clock.now()), anna, code) is None


async def test_no_date_at_the_door(app) -> None:  # type: ignore[no-untyped-def]
    await _community_date(app, starts_in=timedelta(days=3))
    async with app.sessions() as session:
        community = await session.scalar(select(Community).where(Community.is_demo))
        assert await checkin.date_at_door(Work(session, app.clock.now()), community) is None


def test_qr_code_is_a_png() -> None:
    assert checkin.qr_png("https://t.me/lotsenbot?start=hier_12345").startswith(b"\x89PNG")


async def test_post_now_posts_to_every_group_and_replaces_the_regular_post(app) -> None:  # type: ignore[no-untyped-def]
    community_id, event_id = await _community_date(app, starts_in=timedelta(days=10))
    now = app.clock.now()
    async with app.sessions.begin() as session:
        work = Work(session, now)
        groups = len(await chats.group_chats(work, community_id))  # the demo has its own
        for n in (1, 2):
            chat = await people.get_or_create_chat(
                session, ChatRef("console", f"group-{n}", "group"), now
            )
            chat.community_id = community_id
        session.add(
            Announcement(
                community_id=community_id,
                kind="event",
                event_id=event_id,
                due_at=now + timedelta(days=3),
                created_at=now,
            )
        )
    async with app.sessions.begin() as session:
        work = Work(session, app.clock.now())
        community = await session.get(Community, community_id)
        event = await session.get(Event, event_id)
        assert await sharing.post_now(work, community, event, "announce:test") == groups + 2
    async with app.sessions() as session:
        posts = (
            await session.scalars(select(EventPost).where(EventPost.event_id == event_id))
        ).all()
        assert len(posts) == groups + 2
        queued = await session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.dedup_key.like("announce:test:%")
            )
        )
        assert queued == groups + 2
        statuses = (
            await session.scalars(
                select(Announcement.status).where(Announcement.event_id == event_id)
            )
        ).all()
        assert list(statuses) == ["done"]


async def test_dates_opened_by_link_and_by_button(app) -> None:  # type: ignore[no-untyped-def]
    community_id, public_id = await _community_date(app, starts_in=timedelta(days=2))
    _c, private_id = await _community_date(app, starts_in=timedelta(days=3), public=False)
    async with app.sessions.begin() as session:
        other = Community(name="Anderswo", slug="anderswo", created_at=app.clock.now())
        session.add(other)
        await session.flush()
        work = Work(session, app.clock.now())
        found = await sharing.public_date(work, str(public_id))
        assert found is not None and found[0].id == public_id and found[1].id == community_id
        assert await sharing.public_date(work, str(private_id)) is None
        assert await sharing.public_date(work, "12a") is None
        # A private chat's button acts for the date's own community; a group's only for its own.
        found = await sharing.offered_date(work, public_id, other, direct=True)
        assert found is not None and found[1].id == community_id
        assert await sharing.offered_date(work, public_id, other, direct=False) is None
        assert await sharing.offered_date(work, 10**6, None, direct=True) is None
        event = await session.get(Event, public_id)
        assert await sharing.poster_dates(work, event) == [event]


async def test_poster_shows_the_series_from_the_chosen_date(app) -> None:  # type: ignore[no-untyped-def]
    now = app.clock.now()
    async with app.sessions.begin() as session:
        community = await session.scalar(select(Community).where(Community.is_demo))
        series = Series(community_id=community.id, title="Digitalcafé")
        session.add(series)
        await session.flush()
        dates = [
            Event(
                community_id=community.id,
                series_id=series.id,
                title="Digitalcafé",
                starts_at=now + timedelta(days=7 * n),
                created_at=now,
            )
            for n in range(1, 4)
        ]
        session.add_all(dates)
        await session.flush()
        work = Work(session, now)
        shown = await sharing.poster_dates(work, dates[1])
        assert [e.id for e in shown] == [dates[1].id, dates[2].id]
        pdf = await sharing.poster(work, community, dates[1], "https://t.me/bot?start=termin_1")
        assert pdf.startswith(b"%PDF")
