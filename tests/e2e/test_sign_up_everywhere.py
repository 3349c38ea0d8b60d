"""One sign-up conversation, three platforms: the script in tests/scenarios/sign_up_script.py
(staff announce the monthly café, a member comes with a companion, gets the confirmation with
the calendar file, gives the place back) runs unchanged through the console, Telegram (PTB
against the fake Bot API server) and Matrix (real Synapse); only the drivers differ."""

from __future__ import annotations

from pathlib import Path

from nio import RoomMessageNotice
from sqlalchemy import select

from bot.bootstrap import App
from bot.domain.models import Event, Rsvp
from tests.e2e.console_bot import console_bot
from tests.e2e.matrix_bot import RunningMatrixBot, bot_account
from tests.e2e.telegram_bot import RunningBot, fast_server
from tests.fakes.clock import FakeClock, RunningClock
from tests.fakes.matrix_peer import Peer, logged_in
from tests.scenarios.drivers import ConsoleDriver, MatrixDriver, TelegramDriver
from tests.scenarios.sign_up_script import (
    GROUP,
    MEMBER,
    PLACE,
    SIGN_UP,
    STAFF,
    Expect,
    run_script,
)
from tests.servers.synapse import MatrixUser, SynapseServer, synapse_fixture  # noqa: F401

GROUP_ID = -700
BOT = "@lotsen_test_bot"
LINKED = Expect(GROUP, ("gehört jetzt zu",))


async def places(app: App) -> list[tuple[str, int]]:
    """Status and party size of every answer to the announced date."""
    async with app.sessions() as session:
        ours = select(Event.id).where(Event.place == PLACE).order_by(Event.starts_at).limit(1)
        rows = await session.execute(
            select(Rsvp.status, Rsvp.party_size).where(Rsvp.event_id == ours.scalar_subquery())
        )
    return [(status, size) for status, size in rows.all()]


async def test_console(sqlite_url: str, tmp_path: Path) -> None:
    async with console_bot(sqlite_url, tmp_path, clock=FakeClock()) as (app, terminal):
        await run_script(ConsoleDriver(terminal), SIGN_UP)
        assert await places(app) == [("cancelled", 2)]


async def test_telegram(sqlite_url: str, tmp_path: Path) -> None:
    async with fast_server() as server:
        running = RunningBot(server, sqlite_url, tmp_path, clock=FakeClock())
        app = await running.start()
        try:
            server.group(GROUP_ID, "Digitalcafé Stadtbibliothek")
            ada, anna = server.user(1, "Ada"), server.user(100, "Anna")
            driver = TelegramDriver(server, ada, anna, GROUP_ID)
            await driver.say(STAFF, GROUP, f"/verbinden{BOT} 1", LINKED)
            await run_script(driver, SIGN_UP)
            assert await places(app) == [("cancelled", 2)]
        finally:
            await running.stop()
    assert server.internal_errors == []


async def _direct_room(peer: Peer, bot: MatrixUser) -> str:
    """The peer's private chat with the bot, once the bot has greeted in it."""
    created = await peer.client.room_create(invite=[bot.user_id], is_direct=True)
    room_id = created.room_id  # type: ignore[union-attr]
    await peer.wait_for(room_id, lambda e: isinstance(e, RoomMessageNotice))
    return room_id


async def _group_room(staff: Peer, member: Peer, bot: MatrixUser) -> str:
    """A room of three: staff, the member and the bot."""
    created = await staff.client.room_create(invite=[bot.user_id, member.client.user_id])
    room_id = created.room_id  # type: ignore[union-attr]
    await member.wait_until(lambda: room_id in member.client.invited_rooms)
    await member.client.join(room_id)
    await staff.wait_until(
        lambda: (
            {bot.user_id, member.client.user_id} <= set(staff.client.rooms[room_id].users)
            if room_id in staff.client.rooms
            else False
        )
    )
    return room_id


async def test_matrix(synapse: SynapseServer, sqlite_url: str, tmp_path: Path) -> None:
    account = await bot_account(synapse)
    ada_user = await synapse.new_user_async("ada")
    anna_user = await synapse.new_user_async("anna")
    admin = await synapse.new_user_async("admin", admin=True)
    for user in (ada_user, anna_user):  # they answer as fast as a script can
        await synapse.override_ratelimit_async(user.user_id, admin.access_token)
    running = RunningMatrixBot(
        synapse,
        account,
        sqlite_url,
        tmp_path,
        clock=RunningClock(),
        bot={"admins": [f"matrix:{ada_user.user_id}"]},
    )
    app = await running.start()
    try:
        async with (
            logged_in(synapse, ada_user, tmp_path / "ada") as ada,
            logged_in(synapse, anna_user, tmp_path / "anna") as anna,
        ):
            private = {STAFF: await _direct_room(ada, account)}
            private[MEMBER] = await _direct_room(anna, account)
            group = await _group_room(ada, anna, account)
            driver = MatrixDriver(ada, anna, group, private)
            await driver.say(STAFF, GROUP, "/verbinden 1", LINKED)
            await run_script(driver, SIGN_UP)
            assert await places(app) == [("cancelled", 2)]
    finally:
        await running.stop()
