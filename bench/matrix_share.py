"""The Matrix share of the busiest hour (bench/busiest_hour.py), against the suite's real
Synapse (tests/servers/synapse.py).

``--matrix-communities K`` communities (the first K) have a Matrix room linked besides their
Telegram group, as README "One community on Telegram and Matrix" describes, so their
announcement goes to both. ``--matrix-members M`` more people (not among the Telegram
members, so the Telegram share stays as it was) belong to those K communities in turn, each
with a Synapse account (registered with the admin shared-secret API), their direct room with
the bot and a place in the group room. They signed up for the date in three hours, so their
reminder falls due at t0 with everyone else's. Matrix has no buttons: the bot writes its
choices as numbered lines, and ``--matrix-typed`` of them answer their reminder by typing
"1" or "ja" (in turn) once it arrived, spread over the window like the Telegram typed answers.

Rooms as the bench makes them: the group room is created by its first member with history
visible from joining on, members join first and the bot last (so the bot's first sync holds
no joins to greet); direct rooms are made by the person with the bot invited, and the bot
joins before it starts (no invitations to answer). Unlike Element's direct chats these
rooms are not encrypted: each person would need a device with its own keys. The bot's
account has Synapse's rate limit lifted (README "Matrix", step 3), so the allowed rate is
Synapse's "unlimited"; the bot has no Matrix rate of its own, only ``max_in_flight`` (64)
sends at once in bot/adapters/matrix.py. ``--matrix-rate-limit`` keeps Synapse's default
(0.2 messages/s after a burst of 10) instead.

Live, the bench tails Synapse's access log for the bot's sends (which room, when) to know
when a reminder arrived and when the work is done; the figures come from the rooms'
histories afterwards, with Synapse's own event times (``origin_server_ts``): announcement
(post due to its first event), reminder (t0 to its event), typed answer (the person's event
to the bot's next event), the bot's send rate over the hour (every event, edits included),
lost and duplicated posts and reminders, and Synapse's 429 answers to the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import time
from bisect import bisect_right
from collections import Counter
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote

import aiohttp

from bot.adapters.matrix import MatrixAdapter
from bot.domain import roles
from bot.domain.models import Account, Chat, Person, Role, Rsvp
from tests.servers.synapse import MatrixUser, SynapseServer

API = "/_matrix/client/v3"
PARALLEL = 8  # Synapse set-up requests at once
SEND_LINE = re.compile(
    r"^(\S+ \S+) .*\{(@[^}]*)\} Processed request: .* (\d{3}) "
    r'"PUT \S*/rooms/([^/]+)/send/m\.room\.message/'
)
SYNAPSE_DEFAULT_PER_S = 0.2  # rc_message: Synapse's default for a user without an override
ANSWERS = ("1", "ja")


async def api(http: aiohttp.ClientSession, method: str, url: str, token: str, **kw: Any) -> Any:
    """One client-server request; waits as a 429 asks (set-up and the people's side only)."""
    for _attempt in range(50):
        async with http.request(
            method, url, headers={"Authorization": f"Bearer {token}"}, **kw
        ) as response:
            data = await response.json(content_type=None)
            if response.status == 429:
                await asyncio.sleep(data.get("retry_after_ms", 500) / 1000)
                continue
            if response.status != 200:
                raise RuntimeError(f"{method} {url} answered {response.status}: {data}")
            return data
    raise RuntimeError(f"{method} {url}: still limited after 50 tries")


class SendLog:
    """The bot's message sends in Synapse's access log, read incrementally: (wall time the
    request finished, room, status)."""

    def __init__(self, server: SynapseServer, bot_id: str) -> None:
        self.path, self.bot_id = server.log_path, bot_id
        self.offset = self.path.stat().st_size
        self.rest = b""
        self.sends: list[tuple[float, str, int]] = []

    def read(self) -> list[tuple[float, str, int]]:
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            chunk = self.rest + handle.read()
        self.offset += len(chunk) - len(self.rest)
        complete, _, self.rest = chunk.rpartition(b"\n")
        for line in complete.decode(errors="replace").splitlines():
            match = SEND_LINE.match(line)
            if match and match[2] == self.bot_id:
                at = datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S,%f").timestamp()
                self.sends.append((at, unquote(match[4]), int(match[3])))
        return self.sends


def copies(events: list[dict[str, Any]], bot_id: str, title: str) -> list[dict[str, Any]]:
    """The bot's first message naming ``title`` and its repeats (the same text again), edits
    (m.replace) left out. The answer to a typed "1" names the date too ("Sie sind abgemeldet
    von: ..."), but is no repeat."""
    found = [
        e
        for e in events
        if e["sender"] == bot_id
        and title in e["content"].get("body", "")
        and e["content"].get("m.relates_to", {}).get("rel_type") != "m.replace"
    ]
    body = found[0]["content"].get("body") if found else None
    return [e for e in found if e["content"].get("body") == body]


class MatrixShare:
    """Synapse, the bot's account, the people with their rooms, and their typed answers."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.server = SynapseServer()
        self.bot: MatrixUser | None = None
        self.groups: list[str] = []  # room per Matrix community (community k = index + 1)
        self.people: list[MatrixUser] = []
        self.direct: list[str] = []  # each person's direct room with the bot
        rng = random.Random(args.seed + 3)
        self.typers = sorted(rng.sample(range(args.matrix_members), args.matrix_typed))
        self.typed: dict[str, float] = {}  # direct room -> wall time typed
        self.log: SendLog | None = None
        self.http: aiohttp.ClientSession | None = None
        self.t0_wall = 0.0

    # --- set-up -------------------------------------------------------------------------

    def community(self, n: int) -> int:
        """Person n's community: the first K in turn."""
        return n % self.args.matrix_communities + 1

    async def start(self) -> dict[str, float]:
        began = time.monotonic()
        await asyncio.to_thread(self.server.start)
        started = time.monotonic()
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300))
        self.bot = bot = await self.server.new_user_async("lotsenbot")
        admin = await self.server.new_user_async("admin", admin=True)
        gate = asyncio.Semaphore(PARALLEL)

        async def register(n: int) -> MatrixUser:
            async with gate:
                return await self.server.new_user_async(f"m{n}")

        self.people = list(
            await asyncio.gather(*(register(n) for n in range(self.args.matrix_members)))
        )
        # Creating and joining rooms (and the typed answers) draw on the message limiter too.
        await asyncio.gather(*(self._lift(u, admin, gate) for u in [bot, *self.people]))
        registered = time.monotonic()
        self.direct = list(await asyncio.gather(*(self._direct(p, gate) for p in self.people)))
        self.groups = [
            await self._group(k, gate) for k in range(1, self.args.matrix_communities + 1)
        ]
        if self.args.matrix_rate_limit:  # the bot keeps Synapse's default for the hour
            path = f"/_synapse/admin/v1/users/{quote(bot.user_id, safe='')}/override_ratelimit"
            await asyncio.to_thread(self.server.request, "DELETE", path, None, admin.access_token)
        return {
            "matrix_synapse_start_s": round(started - began, 1),
            "matrix_register_s": round(registered - started, 1),
            "matrix_rooms_s": round(time.monotonic() - registered, 1),
        }

    async def _lift(self, user: MatrixUser, admin: MatrixUser, gate: asyncio.Semaphore) -> None:
        async with gate:
            await self.server.override_ratelimit_async(user.user_id, admin.access_token)

    async def _direct(self, person: MatrixUser, gate: asyncio.Semaphore) -> str:
        assert self.http is not None and self.bot is not None
        base = f"{self.server.base_url}{API}"
        body = {"preset": "private_chat", "is_direct": True, "invite": [self.bot.user_id]}
        async with gate:
            room = await api(
                self.http, "POST", f"{base}/createRoom", person.access_token, json=body
            )
            room_id = str(room["room_id"])
            await self._join(room_id, self.bot)
        return room_id

    async def _join(self, room_id: str, user: MatrixUser) -> None:
        assert self.http is not None
        url = f"{self.server.base_url}{API}/join/{quote(room_id, safe='')}"
        await api(self.http, "POST", url, user.access_token, json={})

    async def _group(self, community: int, gate: asyncio.Semaphore) -> str:
        """The community's room: its members join first, the bot last."""
        assert self.http is not None and self.bot is not None
        members = [p for n, p in enumerate(self.people) if self.community(n) == community]
        creator = members[0] if members else self.bot
        visible = {"history_visibility": "joined"}
        body = {
            "preset": "private_chat",
            "name": f"Digitalcafé {community} (Matrix)",
            "invite": [p.user_id for p in members[1:]] + [self.bot.user_id],
            "initial_state": [{"type": "m.room.history_visibility", "content": visible}],
        }
        url = f"{self.server.base_url}{API}/createRoom"
        room_id = str(
            (await api(self.http, "POST", url, creator.access_token, json=body))["room_id"]
        )

        async def join(person: MatrixUser) -> None:
            async with gate:
                await self._join(room_id, person)

        await asyncio.gather(*(join(p) for p in members[1:]))
        await self._join(room_id, self.bot)
        return room_id

    def section(self) -> str:
        assert self.bot is not None
        return (
            f'[matrix]\nhomeserver = "{self.server.base_url}"\nuser_id = "{self.bot.user_id}"\n'
            f'password = "{self.bot.password}"\n'
        )

    def rows(
        self, first_person: int, first_chat: int, soon: list[int], at: Any
    ) -> dict[Any, list[dict[str, Any]]]:
        """The people (ids from ``first_person``), their accounts, chats (ids from
        ``first_chat``: the group rooms, then the direct rooms), roles and sign-ups."""
        k = self.args.matrix_communities
        ids = [first_person + n for n in range(len(self.people))]
        communities = [self.community(n) for n in range(len(self.people))]
        return {
            Person: [
                {"id": p, "display_name": f"Matrix {n}", "created_at": at}
                for n, p in enumerate(ids)
            ],
            Account: [
                {
                    "person_id": p,
                    "platform": "matrix",
                    "external_id": user.user_id,
                    "display_name": f"Matrix {n}",
                    "created_at": at,
                }
                for n, (p, user) in enumerate(zip(ids, self.people, strict=True))
            ],
            Chat: [
                {
                    "id": first_chat + n,
                    "platform": "matrix",
                    "external_id": room,
                    "kind": "group",
                    "title": f"Digitalcafé {n + 1} (Matrix)",
                    "community_id": n + 1,
                    "created_at": at,
                }
                for n, room in enumerate(self.groups)
            ]
            + [
                {
                    "id": first_chat + k + n,
                    "platform": "matrix",
                    "external_id": room,
                    "kind": "direct",
                    "community_id": communities[n],
                    "person_id": ids[n],
                    "created_at": at,
                }
                for n, room in enumerate(self.direct)
            ],
            Role: [
                {"person_id": p, "community_id": c, "role": roles.MEMBER, "created_at": at}
                for p, c in zip(ids, communities, strict=True)
            ],
            Rsvp: [
                {
                    "event_id": soon[c - 1],
                    "person_id": p,
                    "status": "yes",
                    "party_size": 1,
                    "seq": p,
                    "created_at": at,
                    "updated_at": at,
                }
                for p, c in zip(ids, communities, strict=True)
            ],
        }

    # --- the hour -----------------------------------------------------------------------

    def begin(self) -> None:
        """Read the bot's sends from here on (set ``t0_wall`` once the work fell due)."""
        assert self.bot is not None
        self.log = SendLog(self.server, self.bot.user_id)

    def sent_rooms(self, since: float) -> Counter[str]:
        """Successful bot sends per room that finished at or after ``since`` (wall)."""
        assert self.log is not None
        return Counter(room for at, room, code in self.log.read() if code == 200 and at >= since)

    def sends(self) -> int:
        return sum(self.sent_rooms(self.t0_wall).values())

    def finished(self, posts_wall: float) -> bool:
        assert self.log is not None
        sends = self.log.read()
        since_t0 = {room for at, room, code in sends if code == 200 and at >= self.t0_wall}
        since_posts = {room for at, room, code in sends if code == 200 and at >= posts_wall}
        if not set(self.direct) <= since_t0 or not set(self.groups) <= since_posts:
            return False
        replied = {
            room
            for at, room, code in sends
            if code == 200 and room in self.typed and at >= self.typed[room]
        }
        return len(self.typed) >= len(self.typers) and replied >= set(self.typed)

    async def typing(self, began: float, window: float) -> None:
        """Each typer answers "1" or "ja" once their reminder arrived, spread over the window."""
        assert self.http is not None
        waiting = list(self.typers)
        n = 0
        while waiting:
            await asyncio.sleep(
                max(0.0, began + window * n / max(len(self.typers), 1) - time.monotonic())
            )
            arrived = self.sent_rooms(self.t0_wall)
            ready = next((p for p in waiting if arrived[self.direct[p]]), None)
            if ready is None:
                await asyncio.sleep(0.05)
                continue
            waiting.remove(ready)
            room = self.direct[ready]
            url = (
                f"{self.server.base_url}{API}/rooms/{quote(room, safe='')}"
                f"/send/m.room.message/typed{ready}"
            )
            body = {"msgtype": "m.text", "body": ANSWERS[n % len(ANSWERS)]}
            self.typed[room] = time.time()
            await api(self.http, "PUT", url, self.people[ready].access_token, json=body)
            n += 1

    # --- figures ------------------------------------------------------------------------

    async def history(self, room_id: str) -> list[dict[str, Any]]:
        """Every m.room.message in the room since t0, oldest first."""
        assert self.http is not None and self.bot is not None
        url = f"{self.server.base_url}{API}/rooms/{quote(room_id, safe='')}/messages"
        only = {"types": ["m.room.message"]}
        params = {"dir": "b", "limit": "500", "filter": json.dumps(only)}
        found: list[dict[str, Any]] = []
        while True:
            page = await api(self.http, "GET", url, self.bot.access_token, params=params)
            chunk = page.get("chunk", [])
            found += chunk
            old = chunk and chunk[-1].get("origin_server_ts", 0) < self.t0_wall * 1000
            if not chunk or "end" not in page or old:
                break
            params["from"] = page["end"]
        return sorted(
            (e for e in found if e.get("origin_server_ts", 0) >= self.t0_wall * 1000),
            key=lambda e: e["origin_server_ts"],
        )

    async def figures(
        self, posts_wall: float, title_now: str, title_next: str, percentile: Any
    ) -> dict[str, Any]:
        assert self.bot is not None and self.log is not None
        gate = asyncio.Semaphore(PARALLEL)

        async def one(room: str) -> list[dict[str, Any]]:
            async with gate:
                return await self.history(room)

        rooms = self.groups + self.direct
        histories = dict(zip(rooms, await asyncio.gather(*(one(r) for r in rooms)), strict=True))
        bot_id, t0_ms, posts_ms = self.bot.user_id, self.t0_wall * 1000, posts_wall * 1000

        def own(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [e for e in events if e["sender"] == bot_id]

        posts = {room: copies(histories[room], bot_id, title_next) for room in self.groups}
        reminders = {room: copies(histories[room], bot_id, title_now) for room in self.direct}
        announce = [(p[0]["origin_server_ts"] - posts_ms) for p in posts.values() if p]
        remind = [(r[0]["origin_server_ts"] - t0_ms) for r in reminders.values() if r]
        typed_ms, replies = [], Counter[str]()
        for room in self.typed:
            events = histories[room]
            mine = [e for e in events if e["sender"] != bot_id]
            if not mine:
                continue
            at = mine[0]["origin_server_ts"]
            reply = next((e for e in own(events) if e["origin_server_ts"] >= at), None)
            if reply is not None:
                typed_ms.append(reply["origin_server_ts"] - at)
                replies[reply["content"].get("body", "").splitlines()[0][:60]] += 1
        times = sorted(e["origin_server_ts"] / 1000 for h in histories.values() for e in own(h))
        span = max(times[-1] - times[0], 1e-9) if len(times) > 1 else 1e-9
        rate = (len(times) - 1) / span if len(times) > 1 else 0.0
        peak = max((bisect_right(times, at + 1.0) - n for n, at in enumerate(times)), default=0)
        allowed = SYNAPSE_DEFAULT_PER_S if self.args.matrix_rate_limit else None
        print("Matrix replies to the typed answers:", dict(replies.most_common(5)), flush=True)
        print(
            "Matrix reminder as sent:",
            json.dumps(next(iter(reminders.values()), [{}])[0].get("content", {}).get("body", "")),
            flush=True,
        )
        return {
            "matrix_communities": self.args.matrix_communities,
            "matrix_members": len(self.people),
            "matrix_announce_p50_ms": round(percentile(announce, 0.5), 1),
            "matrix_announce_p99_ms": round(percentile(announce, 0.99), 1),
            "matrix_reminder_p50_ms": round(percentile(remind, 0.5), 1),
            "matrix_reminder_p99_ms": round(percentile(remind, 0.99), 1),
            "matrix_typed_p50_ms": round(percentile(typed_ms, 0.5), 1),
            "matrix_typed_p99_ms": round(percentile(typed_ms, 0.99), 1),
            "matrix_messages_sent": len(times),
            "matrix_send_per_s": round(rate, 2),
            "matrix_send_peak_per_s": peak,  # the most events in any one second
            # None: the override (README "Matrix" step 3) lifts Synapse's limit; the bot has
            # no Matrix rate of its own, only max_in_flight sends at once.
            "matrix_allowed_per_s": allowed,
            "matrix_send_ratio": round(rate / allowed, 3) if allowed else None,
            "matrix_max_in_flight": MatrixAdapter.max_in_flight,
            "matrix_429": sum(
                1 for at, _r, code in self.log.read() if code == 429 and at >= self.t0_wall
            ),
            "matrix_announce_lost": sum(1 for p in posts.values() if not p),
            "matrix_announce_duplicated": sum(len(p) - 1 for p in posts.values() if len(p) > 1),
            "matrix_reminder_lost": sum(1 for r in reminders.values() if not r),
            "matrix_reminder_duplicated": sum(len(r) - 1 for r in reminders.values() if len(r) > 1),
            "matrix_typed_done": len(self.typed),
            "matrix_typed_unanswered": len(self.typed) - len(typed_ms),
        }

    async def stop(self) -> None:
        if self.http is not None:
            await self.http.close()
        await asyncio.to_thread(self.server.stop)
