"""Sign-ups on both databases: seats with companions, the waiting list, move-up, concurrency."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.dates import rsvps
from bot.domain.models import Community, Event, Person, Rsvp


async def _date(app, capacity: int | None = 20, **fields) -> int:  # type: ignore[no-untyped-def]
    now = app.clock.now()
    async with app.sessions.begin() as session:
        community = await session.scalar(select(Community).where(Community.is_demo))
        event = Event(
            community_id=community.id,
            title="Digitalcafé",
            starts_at=now + timedelta(days=5),
            capacity=capacity,
            created_at=now,
            **fields,
        )
        session.add(event)
        await session.flush()
        return event.id


async def _people(app, count: int) -> list[int]:  # type: ignore[no-untyped-def]
    async with app.sessions.begin() as session:
        persons = [Person(display_name=f"P{n}") for n in range(count)]
        session.add_all(persons)
        await session.flush()
        return [p.id for p in persons]


async def _sign_up(app, event_id: int, person_id: int, size: int = 1) -> rsvps.SignUp:  # type: ignore[no-untyped-def]
    async with app.sessions.begin() as session:
        event = await rsvps.lock(session, event_id)
        return await rsvps.sign_up(session, event, person_id, size, app.clock.now())


async def _rows(app, event_id: int) -> list[Rsvp]:  # type: ignore[no-untyped-def]
    async with app.sessions() as session:
        return list(
            (
                await session.scalars(
                    select(Rsvp).where(Rsvp.event_id == event_id).order_by(Rsvp.seq)
                )
            ).all()
        )


async def test_hundred_simultaneous_sign_ups_fill_exactly_the_places(app) -> None:  # type: ignore[no-untyped-def]
    event_id = await _date(app, capacity=20)
    people = await _people(app, 100)
    arrival: list[int] = []

    async def one(n: int, person_id: int) -> None:
        async with app.sessions.begin() as session:
            event = await rsvps.lock(session, event_id)
            arrival.append(person_id)  # the order in which the lock let them in
            # Every seventh brings a companion.
            await rsvps.sign_up(session, event, person_id, 2 if n % 7 == 0 else 1, app.clock.now())

    await asyncio.gather(*(one(n, p) for n, p in enumerate(people)))

    rows = await _rows(app, event_id)
    assert len(rows) == 100
    seated = [r for r in rows if r.status == rsvps.YES]
    waiting = [r for r in rows if r.status == rsvps.WAITLIST]
    assert sum(r.party_size for r in seated) == 20
    assert len(seated) + len(waiting) == 100
    # The waiting list is in arrival order, numbered without gaps.
    assert [r.person_id for r in waiting] == [
        p for p in arrival if p in {r.person_id for r in waiting}
    ]
    async with app.sessions() as session:
        positions = [await rsvps.position(session, r) for r in waiting]
    assert positions == list(range(1, len(waiting) + 1))


async def test_cancellation_moves_the_waiting_list_up_in_order(app) -> None:  # type: ignore[no-untyped-def]
    event_id = await _date(app, capacity=3)
    a, b, c, d, e = await _people(app, 5)
    assert (await _sign_up(app, event_id, a)).outcome == rsvps.YES
    assert (await _sign_up(app, event_id, b, 2)).outcome == rsvps.YES
    waiting_d = await _sign_up(app, event_id, d, 2)
    waiting_e = await _sign_up(app, event_id, e)
    assert (waiting_d.outcome, waiting_d.position) == (rsvps.WAITLIST, 1)
    assert (waiting_e.outcome, waiting_e.position) == (rsvps.WAITLIST, 2)

    async with app.sessions.begin() as session:
        event = await rsvps.lock(session, event_id)
        release = await rsvps.cancel(session, event, a, app.clock.now())
    # One seat is free: D (two people) does not fit and keeps first place; E moves up.
    assert release.had_seat and [r.person_id for r in release.moved_up] == [e]

    async with app.sessions.begin() as session:
        event = await rsvps.lock(session, event_id)
        release = await rsvps.cancel(session, event, b, app.clock.now())
    assert [r.person_id for r in release.moved_up] == [d]
    statuses = {r.person_id: r.status for r in await _rows(app, event_id)}
    assert statuses == {a: "cancelled", b: "cancelled", d: "yes", e: "yes"}
    assert c not in statuses


async def test_sign_up_after_the_deadline_changes_nothing(app) -> None:  # type: ignore[no-untyped-def]
    now = app.clock.now()
    event_id = await _date(app, signup_deadline=now - timedelta(minutes=1))
    [person] = await _people(app, 1)
    result = await _sign_up(app, event_id, person)
    assert result.outcome == "closed"
    assert await _rows(app, event_id) == []


async def test_more_companions_only_when_they_fit(app) -> None:  # type: ignore[no-untyped-def]
    event_id = await _date(app, capacity=3)
    a, b = await _people(app, 2)
    await _sign_up(app, event_id, a)
    await _sign_up(app, event_id, b)
    assert (await _sign_up(app, event_id, a, 3)).outcome == "no_room"
    assert (await _sign_up(app, event_id, a, 2)).outcome == rsvps.YES
    seats = {r.person_id: r.party_size for r in await _rows(app, event_id)}
    assert seats == {a: 2, b: 1}
