"""Feedback and account-linking use cases called without a chat, on both databases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.community import chats, linking
from bot.domain.models import Community, Event, Feedback, LinkCode, Person, Series
from bot.domain.work import Work
from bot.reminders import feedback


async def _asked(app, *, ask_wishes: bool | None = None) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """A past date whose attendee Anna was asked "Wie war es?"; (date, Anna)."""
    now = app.clock.now()
    async with app.sessions.begin() as session:
        community = await session.scalar(select(Community).where(Community.is_demo))
        series_id = None
        if ask_wishes is not None:
            series = Series(community_id=community.id, title="Kurs", ask_wishes=ask_wishes)
            session.add(series)
            await session.flush()
            series_id = series.id
        event = Event(
            community_id=community.id,
            series_id=series_id,
            title="Digitalcafé",
            starts_at=now - timedelta(hours=3),
            created_at=now,
        )
        anna = Person(display_name="Anna")
        session.add_all([event, anna])
        await session.flush()
        session.add(Feedback(event_id=event.id, person_id=anna.id, asked_at=now))
        return event.id, anna.id


async def _row(app, event_id: int, person_id: int) -> Feedback:  # type: ignore[no-untyped-def]
    async with app.sessions() as session:
        row = await session.scalar(
            select(Feedback).where(Feedback.event_id == event_id, Feedback.person_id == person_id)
        )
        assert row is not None
        return row


async def test_rating_comment_and_wish_are_stored(app) -> None:  # type: ignore[no-untyped-def]
    event_id, anna = await _asked(app)
    async with app.sessions.begin() as session:
        work = Work(session, app.clock.now())
        assert await feedback.rate(work, event_id, anna, 4) == "first"
        assert await feedback.rate(work, event_id, anna, 5) == "changed"
        assert await feedback.rate(work, event_id, anna, 9) == "gone"
        assert await feedback.rate(work, event_id, anna + 1, 5) == "gone"  # was not asked
        assert await feedback.rate(work, "x", anna, 5) == "gone"
        said = await feedback.answer(
            work, event_id, anna, "comment", "  Sehr nett!  ", ask_wishes=True
        )
        assert said == "ask_wish"
        assert await feedback.answer(work, event_id, anna, "wish", "Nein.", ask_wishes=True) == (
            "done"
        )
    row = await _row(app, event_id, anna)
    assert (row.rating, row.comment, row.wish) == (5, "Sehr nett!", "")
    assert row.answered_at is not None


async def test_topic_wishes_follow_the_policy_and_the_series(app) -> None:  # type: ignore[no-untyped-def]
    event_id, anna = await _asked(app, ask_wishes=False)
    async with app.sessions.begin() as session:
        work = Work(session, app.clock.now())
        long = "x" * (feedback.MAX_ANSWER + 50)
        assert await feedback.answer(work, event_id, anna, "comment", long, ask_wishes=True) == (
            "done"
        )
    assert len((await _row(app, event_id, anna)).comment) == feedback.MAX_ANSWER

    other_event, bernd = await _asked(app)
    async with app.sessions.begin() as session:
        work = Work(session, app.clock.now())
        outcome = await feedback.answer(work, other_event, bernd, "comment", "ok", ask_wishes=False)
        assert outcome == "done"


def test_ratings_are_five_faces_best_first() -> None:
    assert [value for value, _face, _words in feedback.RATINGS] == [5, 4, 3, 2, 1]
    assert feedback.is_rating(3) and not feedback.is_rating(0) and not feedback.is_rating("3")


async def test_link_code_joins_two_accounts(app) -> None:  # type: ignore[no-untyped-def]
    async with app.sessions.begin() as session:
        telegram, matrix = Person(display_name="Anna"), Person(display_name="Anna M.")
        session.add_all([telegram, matrix])
        await session.flush()
        keep, drop = telegram.id, matrix.id
        code = await linking.new_code(Work(session, app.clock.now()), keep)
    async with app.sessions.begin() as session:
        work = Work(session, app.clock.now())
        assert await linking.redeem(work, "WRONG1", drop) is None
        merged = await linking.redeem(work, code.lower(), drop)
        assert merged is not None and merged.id == keep
        assert await linking.redeem(work, code, drop) is None  # used once
    async with app.sessions() as session:
        assert await session.get(Person, drop) is None
        assert await session.get(Person, keep) is not None
        used = await session.scalar(select(LinkCode.used_at).where(LinkCode.person_id == keep))
        assert used is not None


async def test_expired_link_code_does_nothing(app) -> None:  # type: ignore[no-untyped-def]
    async with app.sessions.begin() as session:
        first, second = Person(display_name="A"), Person(display_name="B")
        session.add_all([first, second])
        await session.flush()
        ids = first.id, second.id
        code = await linking.new_code(Work(session, app.clock.now()), ids[0])
    app.clock.advance(minutes=31)
    async with app.sessions.begin() as session:
        assert await linking.redeem(Work(session, app.clock.now()), code, ids[1]) is None
    async with app.sessions() as session:
        assert await session.get(Person, ids[1]) is not None


async def test_relay_switch_is_stored(app) -> None:  # type: ignore[no-untyped-def]
    async with app.sessions.begin() as session:
        community = await session.scalar(select(Community).where(Community.is_demo))
        await chats.switch_relay(Work(session, app.clock.now()), community, True)
        groups = await chats.group_chats(Work(session, app.clock.now()), community.id)
        assert {chat.kind for chat in groups} <= {"group"}
    async with app.sessions() as session:
        assert (await session.scalar(select(Community).where(Community.is_demo))).relay is True
