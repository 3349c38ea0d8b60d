"""Group commit (#22): updates that arrive together are committed in one transaction, each
still recorded once and answered once; one update's failure costs the others nothing; a
chat's updates keep their order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from bot.bootstrap import App, build_app, prepare
from bot.chat.types import Incoming
from bot.domain.models import Account, Person, ProcessedEvent
from tests.conftest import make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.memory import Conversation, Shown, telegram_like
from tests.fakes.memory import Person as Someone

PEOPLE = [Someone(str(100 + n), f"Person {n}") for n in range(12)]
THANKS = "Thank you. I will write to you in English from now on."


async def _started(db_url: str, tmp_path: Path, **database: object) -> Conversation:
    adapter = telegram_like()
    settings = make_settings(db_url, tmp_path, database=database)
    app = build_app(settings, clock=FakeClock(), adapters=[adapter])
    await prepare(app)
    return Conversation(app, adapter)


@pytest.fixture
async def conversation(db_url: str, tmp_path: Path) -> AsyncIterator[Conversation]:
    """Group commit switched on (PostgreSQL has it off unless configured)."""
    started = await _started(db_url, tmp_path, group_commit=True)
    yield started
    await started.app.close()


@pytest.fixture
async def as_configured(db_url: str, tmp_path: Path) -> AsyncIterator[Conversation]:
    """Nothing said about group commit in the configuration."""
    started = await _started(db_url, tmp_path)
    yield started
    await started.app.close()


@contextmanager
def commits(app: App) -> Iterator[list[int]]:
    """How many transactions the database committed meanwhile."""
    counted: list[int] = []

    def count(_connection: object) -> None:
        counted.append(1)

    event.listen(app.engine.sync_engine, "commit", count)
    try:
        yield counted
    finally:
        event.remove(app.engine.sync_engine, "commit", count)


async def _keyboards(conversation: Conversation) -> dict[str, Shown]:
    keyboards = {}
    for person in PEOPLE:
        shown = await conversation.say(person, "/sprache")
        keyboards[person.user_id] = next(s for s in shown if s.buttons)
    return keyboards


def _press(conversation: Conversation, person: Someone, shown: Shown, label: str) -> Incoming:
    key = next(key for text, key in shown.buttons if text == label)
    return Incoming(
        chat=conversation.direct(person),
        sender=person.sender,
        button_key=key,
        event_id=f"press-{person.user_id}-{label}",
    )


async def _locales(app: App) -> dict[str, str | None]:
    async with app.sessions() as session:
        rows = await session.execute(
            select(Account.external_id, Person.locale).join(Person, Person.id == Account.person_id)
        )
        return {external_id: locale for external_id, locale in rows}


async def _events(app: App) -> int:
    async with app.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(ProcessedEvent)) or 0)


async def test_presses_arriving_together_are_committed_together(
    conversation: Conversation,
) -> None:
    app = conversation.app
    keyboards = await _keyboards(conversation)
    events_before = await _events(app)
    presses = [_press(conversation, p, keyboards[p.user_id], "English") for p in PEOPLE]
    with commits(app) as counted:
        await asyncio.gather(*(app.dispatch(press) for press in presses))
    # Twelve presses, far fewer commits: they waited for the database together.
    assert len(counted) <= 2
    # Each press did its work once: stored, recorded, answered.
    locales = await _locales(app)
    assert all(locales[p.user_id] == "en" for p in PEOPLE)
    assert await _events(app) == events_before + len(PEOPLE)
    shown = await conversation.flush()
    for person in PEOPLE:
        assert [s.text for s in shown if s.chat_id == f"dm-{person.user_id}"] == [THANKS]


async def test_a_repeated_update_in_a_group_costs_the_others_nothing(
    conversation: Conversation,
) -> None:
    app = conversation.app
    keyboards = await _keyboards(conversation)
    first, *others = PEOPLE
    repeat = _press(conversation, first, keyboards[first.user_id], "English")
    await app.dispatch(repeat)
    await conversation.flush()
    events_before = await _events(app)
    presses = [_press(conversation, p, keyboards[p.user_id], "English") for p in others]
    # Telegram delivers the first press again, in the middle of the others.
    presses.insert(len(presses) // 2, repeat)
    # The repeat fails its group's transaction: the group runs again, one by one.
    await asyncio.gather(*(app.dispatch(press) for press in presses))
    assert await _events(app) == events_before + len(others)
    locales = await _locales(app)
    assert all(locales[p.user_id] == "en" for p in PEOPLE)
    shown = await conversation.flush()
    assert [s for s in shown if s.chat_id == f"dm-{first.user_id}"] == []  # not answered twice
    for person in others:
        assert [s.text for s in shown if s.chat_id == f"dm-{person.user_id}"] == [THANKS]


async def test_a_chats_presses_keep_their_order_in_groups(conversation: Conversation) -> None:
    app = conversation.app
    keyboards = await _keyboards(conversation)
    presses = []
    for person in PEOPLE:
        shown = keyboards[person.user_id]
        presses += [
            _press(conversation, person, shown, "English"),
            _press(conversation, person, shown, "Deutsch"),
        ]
    await asyncio.gather(*(app.dispatch(press) for press in presses))
    locales = await _locales(app)
    assert all(locales[p.user_id] == "de" for p in PEOPLE)  # the later press wins
    shown = await conversation.flush()
    for person in PEOPLE:
        texts = [s.text for s in shown if s.chat_id == f"dm-{person.user_id}"]
        assert texts[0] == THANKS and len(texts) == 2


async def test_left_unset_it_groups_on_sqlite_and_not_on_postgresql(
    as_configured: Conversation,
) -> None:
    app = as_configured.app
    keyboards = await _keyboards(as_configured)
    presses = [_press(as_configured, p, keyboards[p.user_id], "English") for p in PEOPLE]
    with commits(app) as counted:
        await asyncio.gather(*(app.dispatch(press) for press in presses))
    locales = await _locales(app)
    assert all(locales[p.user_id] == "en" for p in PEOPLE)
    if app.engine.dialect.name == "sqlite":
        # One connection anyway: the presses that waited for it share a commit.
        assert len(counted) <= 2
    else:
        # Side by side on the pool, each in its own transaction: none waits for another.
        assert len(counted) == len(PEOPLE)


async def test_updates_queued_when_the_group_is_stopped_before_it_starts_still_commit(
    conversation: Conversation,
) -> None:
    """Shutting down right after updates queued for a group (the group's task cancelled
    before its first step) must not leave them, or any later update, waiting for ever."""
    keyboards = await _keyboards(conversation)
    app = conversation.app
    presses = [
        asyncio.create_task(app.dispatch(_press(conversation, p, keyboards[p.user_id], "English")))
        for p in PEOPLE[:6]
    ]
    await asyncio.sleep(0)  # each press queued; the group's task is made, not yet started
    drainer = app.dispatcher._group._drainer  # type: ignore[union-attr]
    assert drainer is not None and drainer.cancel()
    # A hang guard, not a time limit: stopping lost them before (they never returned).
    assert await asyncio.wait_for(asyncio.gather(*presses), timeout=60) == [True] * 6
    later = PEOPLE[6]
    assert await asyncio.wait_for(
        app.dispatch(_press(conversation, later, keyboards[later.user_id], "English")), timeout=60
    )
    locales = await _locales(app)
    assert [locales[p.user_id] for p in PEOPLE[:7]] == ["en"] * 7
    assert await _events(app) == len(PEOPLE) + 7  # each /sprache and each press once
