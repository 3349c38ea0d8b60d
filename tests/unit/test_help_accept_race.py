"""Several Digitallotsen tap "Ich übernehme" at once: exactly one gets the request.

Each tap runs in its own session and transaction, as the dispatcher runs each update, on
SQLite and on PostgreSQL (the ``app`` fixture is parametrised over both).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.community import communities
from bot.domain.models import HelpOffer, HelpRequest, Person
from bot.helping import requests as help_requests

VOLUNTEERS = 50


async def _offered_request(app, volunteers: int) -> tuple[int, list[int]]:  # type: ignore[no-untyped-def]
    """A request in state "offered" with an unanswered offer to each of ``volunteers``."""
    now = app.clock.now()
    async with app.sessions.begin() as session:
        community = await communities.create_community(session, "Digitalcafé Rennbahn", now=now)
        requester = Person(display_name="Erika", created_at=now)
        helpers = [Person(display_name=f"Lotse {n}", created_at=now) for n in range(volunteers)]
        session.add_all([requester, *helpers])
        await session.flush()
        request = HelpRequest(
            community_id=community.id,
            requester_id=requester.id,
            skill="smartphone",
            description="Fotos an die Enkel schicken",
            status=help_requests.OFFERED,
            rounds=1,
            next_step_at=now + timedelta(hours=4),
            created_at=now,
            updated_at=now,
        )
        session.add(request)
        await session.flush()
        session.add_all(
            HelpOffer(request_id=request.id, volunteer_id=h.id, sent_at=now) for h in helpers
        )
        return request.id, [h.id for h in helpers]


async def _accept(app, request_id: int, volunteer_id: int) -> bool:  # type: ignore[no-untyped-def]
    async with app.sessions.begin() as session:
        return await help_requests.accept(session, request_id, volunteer_id, app.clock.now())


async def _state(app, request_id: int) -> tuple[HelpRequest, dict[int, str]]:  # type: ignore[no-untyped-def]
    async with app.sessions() as session:
        request = await session.get(HelpRequest, request_id)
        assert request is not None
        offers = (
            await session.execute(
                select(HelpOffer.volunteer_id, HelpOffer.answer).where(
                    HelpOffer.request_id == request_id
                )
            )
        ).all()
        return request, dict(offers)  # type: ignore[arg-type]


async def test_fifty_simultaneous_accepts_give_the_request_to_exactly_one(app) -> None:  # type: ignore[no-untyped-def]
    request_id, volunteers = await _offered_request(app, VOLUNTEERS)

    results = await asyncio.gather(*(_accept(app, request_id, v) for v in volunteers))

    winners = [v for v, won in zip(volunteers, results, strict=True) if won]
    assert len(winners) == 1
    [winner] = winners
    request, answers = await _state(app, request_id)
    assert request.status == help_requests.ACCEPTED
    assert request.volunteer_id == winner
    assert request.accepted_at == app.clock.now()
    assert request.next_step_at is None  # no further round of offers goes out
    assert answers[winner] == "accepted"
    others = {v: a for v, a in answers.items() if v != winner}
    assert len(others) == VOLUNTEERS - 1
    assert set(others.values()) == {"taken"}


async def test_a_late_tap_and_a_tap_without_an_offer_change_nothing(app) -> None:  # type: ignore[no-untyped-def]
    request_id, [first, late] = await _offered_request(app, 2)
    async with app.sessions.begin() as session:
        stranger = Person(display_name="Nicht gefragt", created_at=app.clock.now())
        session.add(stranger)
        await session.flush()
        stranger_id = stranger.id

    # Someone who was never asked cannot take it, not even while it is still free.
    assert await _accept(app, request_id, stranger_id) is False
    request, answers = await _state(app, request_id)
    assert (request.status, request.volunteer_id) == (help_requests.OFFERED, None)
    assert stranger_id not in answers

    assert await _accept(app, request_id, first) is True
    app.clock.advance(minutes=5)
    assert await _accept(app, request_id, late) is False
    request, answers = await _state(app, request_id)
    assert (request.status, request.volunteer_id) == (help_requests.ACCEPTED, first)
    assert answers == {first: "accepted", late: "taken"}
