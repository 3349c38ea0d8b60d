"""Every command and every button, tried by every role of community 1, by a staff member of
community 2, by someone with the deployment admin's display name and by a Telegram
anonymous group admin: only the allowed ones change anything, nobody sees what is not
theirs, and nothing crashes.

The world (tests/scenarios/world.py) is built once and copied for each command or button.
"Changes anything" compares every domain table before and after (bookkeeping such as the
outbox and button keys left out). Buttons are tried the way a forged, replayed or leftover
button arrives: a key bound to the person's own chat, with the ids of someone else's
objects — the handler must look the target up and check the person may act on it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from telegram import Update

from bot.adapters.telegram import translate
from bot.chat.router import Router
from bot.chat.types import ChatRef
from bot.domain.models import Event
from handlers import build_router
from tests.fakes.memory import Person as Someone
from tests.fakes.memory import Shown
from tests.scenarios.world import (
    ACTORS,
    ANONYMOUS,
    ANTON,
    APOLOGY,
    GROUP_1,
    GROUP_2,
    OLGA,
    SECRET_ANNOUNCEMENT,
    SECRET_NAME,
    SECRET_PHONE,
    SECRET_REQUEST,
    SUSI,
    Template,
    World,
    build_template,
    differences,
    group,
    make_button,
    not_own,
    open_world,
    private,
    snapshot,
)

EVERYONE = frozenset(ACTORS) - {"anonymous"}
STAFF_UP = frozenset({"staff", "coordinator", "admin", "deployment_admin"})
# Staff of community 2 may do the same in their own community (commands that name no object).
STAFF_ANYWHERE = STAFF_UP | {"other_staff"}
ADMIN_UP = frozenset({"admin", "deployment_admin"})
COORDINATOR_UP = frozenset({"coordinator", "admin", "deployment_admin"})
VOLUNTEER = frozenset({"volunteer"})


@dataclass(frozen=True)
class Row:
    """How to try one command or button, who may, and what the allowed try shows.

    ``expect`` for the ``control`` actor: "change" (domain data changes), "dialog" (a dialog
    starts), "post" (a message goes to another chat), "read" (an answer that is no refusal),
    "none" (only works inside a dialog the person started, so nothing to show here).
    ``own``: whoever may, changes only their own rows. ``sees``: who may read the secrets
    of community 1 in the answer (default: the allowed ones, except community 2's staff).
    """

    args: Any
    allowed: frozenset[str]
    control: str | None
    expect: str
    own: bool = False
    follow_up: tuple[str, ...] = ()
    shows: str = ""
    sees: frozenset[str] | None = None
    where: str = "private"

    def may_see(self, actor: str) -> bool:
        sees = self.sees if self.sees is not None else self.allowed - {"other_staff"}
        return actor in sees


# Command rows; args are formatted with the world's ids ("{other}": the community the actor
# is not in). Keep one row per command: test_every_command_has_a_row enforces it.
COMMANDS: dict[str, Row] = {
    "start": Row("", EVERYONE, "member", "read"),
    "hilfe": Row("", EVERYONE, "member", "read"),
    "befehle": Row("", EVERYONE, "member", "read"),
    "sprache": Row("", EVERYONE, "member", "read"),
    "verknuepfen": Row("", EVERYONE, "member", "change", own=True),
    "termine": Row("", EVERYONE, "member", "read"),
    "aushang": Row("{event}", STAFF_UP, "staff", "read"),
    "presse": Row("{event}", STAFF_UP, "staff", "read"),
    "anrufe": Row("{event}", STAFF_UP, "staff", "read"),
    "newsletter": Row("", EVERYONE, "member", "read"),
    "abmelden": Row("", EVERYONE, "member", "change", own=True),
    "ankuendigen": Row("{event}", STAFF_UP, "staff", "post"),
    "termin_neu": Row("Geheimtermin; 10.12. 10 Uhr; Rathaus; 5", STAFF_ANYWHERE, "staff", "dialog"),
    "verschieben": Row("{event}; 16 Uhr", STAFF_UP, "staff", "change"),
    # Both ask first; "1" is the yes.
    "absagen": Row("{event}", STAFF_UP, "staff", "change", follow_up=("1",)),
    "ausfallen": Row("{series_event}", STAFF_UP, "staff", "change", follow_up=("1",)),
    # Asks what, then the new value, then yes: "3" is the place, "ja" the yes.
    "aendern": Row("{event}", STAFF_UP, "staff", "change", follow_up=("3", "Geheimraum", "ja")),
    "anmelden_fuer": Row("{event}; Eve Eindringling", STAFF_UP, "staff", "change"),
    "teilnehmer": Row("{event}", STAFF_UP, "staff", "read", shows=SECRET_NAME),
    "ankuendigung_neu": Row("Am Freitag ist das Café zu.", STAFF_ANYWHERE, "staff", "dialog"),
    "ankuendigungen": Row("", STAFF_ANYWHERE, "staff", "read", shows=SECRET_ANNOUNCEMENT),
    "erinnerungen": Row("{event}; keine", STAFF_UP, "staff", "change"),
    "anwesenheit": Row("{event}", STAFF_UP, "staff", "change"),
    "hier": Row("{checkin_code}", EVERYONE, "member", "read", own=True),
    "qr": Row("{event}", STAFF_UP, "staff", "read", shows="{checkin_code}"),
    "anfrage": Row("", EVERYONE, "member", "dialog"),
    "hilfe_fuer": Row("Hans Hilfe; 0151 1111; Smartphone", STAFF_ANYWHERE, "staff", "change"),
    "meine_anfragen": Row(
        "",
        EVERYONE,
        "member",
        "read",
        shows="Ihre Anfrage",
        sees=frozenset({"member", "volunteer"}),
    ),
    "lotse": Row("", VOLUNTEER, "volunteer", "change"),
    "pause": Row("", VOLUNTEER, "volunteer", "change"),
    "weiter": Row("", VOLUNTEER, "volunteer", "change"),
    "lotse_einladen": Row("{lookalike}", STAFF_ANYWHERE, "staff", "change"),
    "faehigkeiten": Row("neu Geheimthema", STAFF_ANYWHERE, "staff", "change"),
    "lotsen": Row("", STAFF_ANYWHERE, "staff", "read"),
    "mitteilung": Row("Hallo zusammen", STAFF_ANYWHERE, "staff", "post"),
    "webseite": Row("", STAFF_ANYWHERE, "staff", "read"),
    "weiterleiten": Row("an", ADMIN_UP, "admin", "change", where="group"),
    "admin": Row("FALSCH", EVERYONE, "member", "read"),
    "gruppe_neu": Row("Neue Gruppe", frozenset({"deployment_admin"}), "deployment_admin", "change"),
    "gruppen": Row("", frozenset({"deployment_admin"}), "deployment_admin", "read"),
    "status": Row("", frozenset({"deployment_admin"}), "deployment_admin", "read"),
    "verbinden": Row(
        "{other}", frozenset({"deployment_admin"}), "deployment_admin", "change", where="group"
    ),
    "ich": Row("", EVERYONE, "member", "read"),
    "personen": Row("", STAFF_ANYWHERE, "staff", "read"),
    "rolle_geben": Row("{member} admin", ADMIN_UP, "admin", "change", where="group"),
    "rolle_nehmen": Row("{staff} team", ADMIN_UP, "admin", "change", where="group"),
    # Everyone may see their groups; only the listed ones can be chosen (rows below).
    "gruppe_wechseln": Row("", EVERYONE, "member", "read"),
    # Ada is in the configuration: she is told to remove herself there (tests/handlers).
    "admin_entziehen": Row(
        "{deployment_admin}", frozenset({"deployment_admin"}), "deployment_admin", "read"
    ),
    # Data protection and certificates (registered by their features when they land).
    "datenschutz": Row("", EVERYONE, "member", "read"),
    "datenschutz_text": Row("Frau Geheim; Extra", ADMIN_UP, "admin", "change", where="group"),
    "meine_daten": Row("", EVERYONE, "member", "read"),
    "loeschen": Row("", EVERYONE, "member", "read"),
    "profil": Row("", EVERYONE, "member", "read", own=True),
    "export": Row("anwesenheit csv; 2026", COORDINATOR_UP, "coordinator", "read"),
    "nachweis": Row("{volunteer}", STAFF_ANYWHERE | VOLUNTEER, "staff", "read"),
    # The staff web page is off in this world: the team is told so (tests/web: the link).
    "web": Row("", STAFF_ANYWHERE, "staff", "read"),
    "web_abmelden": Row("", EVERYONE, "member", "read", own=True),
}

L = "list-key"  # the key of the message a list button edits (none here: the edit is moot)
BUTTONS: dict[str, Row] = {
    "lang.set": Row(
        {"locale": "en", "person": "$member"}, frozenset({"member"}), "member", "change"
    ),
    "event.show": Row({"event": "$other_event"}, EVERYONE, "member", "read"),
    "rsvp.yes": Row({"event": "$event"}, EVERYONE, "volunteer", "change", own=True),
    "rsvp.company": Row(
        {"event": "$event"}, EVERYONE, "volunteer", "change", own=True, follow_up=("1",)
    ),
    "rsvp.party": Row({"event": "$event", "n": 1}, EVERYONE, "volunteer", "change", own=True),
    "rsvp.no": Row({"event": "$event"}, EVERYONE, "member", "change", own=True),
    "rsvp.cancel": Row({"event": "$event"}, EVERYONE, "member", "change", own=True),
    # The new-date and announcement dialogs' buttons only act inside the person's own dialog.
    "exp.pick": Row({"set": "what", "value": "attendance"}, COORDINATOR_UP, None, "none"),
    "newdate.pick": Row({"step": "title", "value": "X"}, STAFF_ANYWHERE, None, "none"),
    "newdate.back": Row({}, STAFF_ANYWHERE, None, "none"),
    "newdate.stop": Row({}, STAFF_ANYWHERE, None, "none"),
    "newdate.save": Row({"now": True}, STAFF_ANYWHERE, None, "none"),
    "ann.keep": Row({}, STAFF_ANYWHERE, None, "none"),
    "date.call_off.yes": Row(
        {"event": "$event", "skip": False, "version": "0"}, STAFF_ANYWHERE, None, "none"
    ),
    "date.call_off.no": Row({}, STAFF_ANYWHERE, None, "none"),
    # The change dialog's buttons only act inside the person's own dialog.
    "date.edit.field": Row({"event": "$event", "field": "place"}, STAFF_ANYWHERE, None, "none"),
    "date.edit.value": Row({"event": "$event", "value": ""}, STAFF_ANYWHERE, None, "none"),
    "date.edit.scope": Row({"event": "$event", "whole": True}, STAFF_ANYWHERE, None, "none"),
    "date.edit.yes": Row({"event": "$event"}, STAFF_ANYWHERE, None, "none"),
    "date.edit.no": Row({}, STAFF_ANYWHERE, None, "none"),
    "ann.now": Row({}, STAFF_ANYWHERE, None, "none"),
    "ann.stop": Row({}, STAFF_ANYWHERE, None, "none"),
    "ann.chats": Row({"chat": None}, STAFF_ANYWHERE, None, "none"),
    "ann.cancel": Row({"id": "$announcement"}, STAFF_UP, "staff", "change"),
    "ann.move": Row(
        {"id": "$announcement"}, STAFF_UP, "staff", "change", follow_up=("4.12. 9 Uhr",)
    ),
    "ci.toggle": Row(
        {"event": "$event", "person": "$member", "list": L}, STAFF_UP, "staff", "change"
    ),
    "ci.all": Row({"event": "$event", "list": L}, STAFF_UP, "staff", "change"),
    "ci.guest": Row(
        {"event": "$event", "list": L}, STAFF_UP, "staff", "change", follow_up=("Gast Gustav",)
    ),
    "ci.done": Row({"event": "$event", "list": L}, STAFF_UP, "staff", "read"),
    "call.wanted": Row({"rsvp": "$phone_rsvp"}, STAFF_UP, "staff", "change"),
    "call.done": Row({"rsvp": "$phone_rsvp"}, STAFF_UP, "staff", "change"),
    "nl.rhythm": Row({"rhythm": "weekly"}, EVERYONE, "member", "dialog"),
    "fb.rate": Row({"event": "$event", "rating": 5}, frozenset({"member"}), "member", "change"),
    "fb.skip": Row({"event": "$event", "step": "fb.comment"}, frozenset({"member"}), None, "none"),
    "hr.commands": Row({}, EVERYONE, "member", "read"),
    "menu.dates": Row({}, EVERYONE, "member", "read"),
    "menu.helper": Row({}, EVERYONE, "member", "dialog"),
    "menu.commands": Row({}, EVERYONE, "member", "read"),
    "hr.pick": Row({"skill": "smartphone"}, EVERYONE, None, "none"),
    "hr.any_time": Row({}, EVERYONE, None, "none"),
    "hr.where": Row({"place": "cafe"}, EVERYONE, None, "none"),
    "hr.chat_only": Row({}, EVERYONE, None, "none"),
    "help.accept": Row({"request": "$request_offered"}, VOLUNTEER, "volunteer", "change"),
    "help.decline": Row({"request": "$request_offered"}, VOLUNTEER, "volunteer", "change"),
    "help.write": Row(
        {"request": "$request_accepted"},
        frozenset({"volunteer", "member"}),
        "volunteer",
        "post",
        follow_up=("Hallo, hier ist Volker.",),
    ),
    "help.agree": Row(
        {"request": "$request_accepted"},
        VOLUNTEER,
        "volunteer",
        "change",
        follow_up=("Dienstag 15 Uhr",),
    ),
    "help.done": Row(
        {"request": "$request_accepted"},
        VOLUNTEER,
        "volunteer",
        "change",
        follow_up=("30", "nein"),
    ),
    "help.return": Row({"request": "$request_accepted"}, VOLUNTEER, "volunteer", "change"),
    "help.cancel": Row({"request": "$request_offered"}, frozenset({"member"}), "member", "change"),
    "help.rate": Row(
        {"request": "$request_done", "rating": 5}, frozenset({"member"}), "member", "change"
    ),
    # A Digitallotse's profile: only people with the role may create or change one.
    "vol.skill": Row({"skill": "smartphone", "list": L}, VOLUNTEER, "volunteer", "change"),
    "vol.skills_done": Row({}, VOLUNTEER, "volunteer", "change", follow_up=("Deutsch",)),
    "vol.only_german": Row({}, VOLUNTEER, "volunteer", "change"),
    "vol.place": Row({"place": "cafe", "list": L}, VOLUNTEER, "volunteer", "change"),
    "vol.places_done": Row({}, VOLUNTEER, "volunteer", "change"),
    "vol.everywhere": Row({}, VOLUNTEER, "volunteer", "change"),
    "vol.varies": Row({}, VOLUNTEER, "volunteer", "change"),
    "vol.max_pick": Row({"n": 2}, VOLUNTEER, None, "none"),
    # Data protection: each person about themselves only.
    "priv.agree": Row({}, EVERYONE, "member", "change", own=True),
    "priv.more": Row({}, EVERYONE, "member", "read"),
    "priv.erase": Row({}, EVERYONE, "member", "change", own=True),
    "priv.keep": Row({}, EVERYONE, "member", "read"),
    "priv.band": Row({"band": "70-79"}, EVERYONE, "member", "change", own=True),
    "priv.no_facts": Row({}, EVERYONE, "member", "none", own=True),
    # Only a group the person belongs to can be chosen (Olga's own: nothing to change).
    "community.switch": Row(
        {"community": "$community_2"}, frozenset({"other_staff"}), "other_staff", "read"
    ),
}


def _router() -> Router:
    return build_router()


def _chats(actor: str) -> list[ChatRef]:
    """Where each actor tries: their community's group and their private chat."""
    person = ACTORS[actor]
    if actor == "anonymous":
        return [group(GROUP_1)]
    if actor == "other_staff":
        return [group(GROUP_2), private(person)]
    return [group(GROUP_1), private(person)]


def _values(world: World, actor: str) -> dict[str, Any]:
    return {**world.ids, "other": 1 if actor == "other_staff" else world.ids["community_2"]}


def _secrets(world: World) -> list[str]:
    return [
        SECRET_NAME,
        SECRET_PHONE,
        SECRET_REQUEST,
        SECRET_ANNOUNCEMENT,
        world.ids["checkin_code"],
    ]


@dataclass
class Attempt:
    actor: str
    chat: ChatRef
    what: str
    shown: list[Shown] = field(default_factory=list)
    changes: dict[str, Any] = field(default_factory=dict)
    # What the presser alone saw as the press's own notice (Telegram's callback answer).
    notices: list[str] = field(default_factory=list)

    def where(self) -> str:
        return f"{self.actor} in {self.chat.kind} {self.chat.external_id}: {self.what}"

    def to_others(self, person: Someone) -> list[Shown]:
        mine = {self.chat.external_id, person.user_id}
        return [s for s in self.shown if s.chat_id not in mine]


async def _try(
    world: World,
    actor: str,
    chat: ChatRef,
    *,
    text: str = "",
    button: tuple[str, dict[str, Any]] | None = None,
    follow_up: tuple[str, ...] = (),
) -> Attempt:
    person = ACTORS[actor]
    tg = world.tg
    await tg.flush()
    before = await snapshot(world.app)
    if button is not None:
        key = await make_button(world, chat, *button)
        attempt = Attempt(actor, chat, f"button {button[0]} {button[1]}")
        noticed = len(tg.adapter.press_answers)
        attempt.shown += await tg.say(person, chat=chat, button_key=key)
        attempt.notices += [text for *_where, text in tg.adapter.press_answers[noticed:]]
    else:
        attempt = Attempt(actor, chat, text)
        attempt.shown += await tg.say(person, text, chat=chat)
    for line in follow_up:
        attempt.shown += await tg.say(person, line, chat=chat)
    attempt.changes = differences(before, await snapshot(world.app))
    return attempt


def _resolve(args: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    return {
        k: values[v[1:]] if isinstance(v, str) and v.startswith("$") else v for k, v in args.items()
    }


async def _community_1_rows(world: World, attempt: Attempt) -> list[str]:
    """Changed rows of community 1 (by community or by one of its dates)."""
    async with world.app.sessions() as session:
        query = select(Event.id).where(Event.community_id == 1)
        dates = {repr(i) for i in (await session.scalars(query)).all()}
    found = []
    for table, sides in attempt.changes.items():
        for rows in sides.values():
            for row in rows:
                if row.get("community_id") == "1" or row.get("event_id") in dates:
                    found.append(f"{table}: {row}")
    return found


async def _check(world: World, row: Row, attempt: Attempt, problems: list[str]) -> None:
    """The rules every try obeys; what breaks one is added to ``problems``."""
    actor, person = attempt.actor, ACTORS[attempt.actor]
    texts = [s.text for s in attempt.shown] + attempt.notices
    if any(APOLOGY in t for t in texts):
        problems.append(f"CRASH {attempt.where()}: {texts}")
    if actor == "anonymous":
        if attempt.shown or attempt.notices or attempt.changes:
            problems.append(f"ANSWERED {attempt.where()}: {texts} {attempt.changes}")
        return
    if actor not in row.allowed:
        if attempt.changes:
            problems.append(f"CHANGED {attempt.where()}: {attempt.changes}")
        if attempt.to_others(person):
            others = [(s.chat_id, s.text[:80]) for s in attempt.to_others(person)]
            problems.append(f"SENT ELSEWHERE {attempt.where()}: {others}")
        if any(s.attachment is not None for s in attempt.shown):
            problems.append(f"FILE {attempt.where()}")
    elif row.own and (foreign := not_own(attempt.changes, world.ids[actor])):
        problems.append(f"CHANGED OTHERS' DATA {attempt.where()}: {foreign}")
    # Community 2's staff may sign themselves up for a public date of community 1 (own rows).
    if actor == "other_staff" and not row.own and (mine := await _community_1_rows(world, attempt)):
        problems.append(f"COMMUNITY 2 CHANGED COMMUNITY 1 {attempt.where()}: {mine}")
    if not row.may_see(actor):
        for secret in _secrets(world):
            if any(secret in t for t in texts):
                problems.append(f"LEAKED {secret!r} {attempt.where()}: {texts}")


def _control(row: Row, attempt: Attempt, values: dict[str, Any]) -> list[str]:
    """The allowed try does what the row says (so the args would change something)."""
    texts = [s.text for s in attempt.shown] + attempt.notices
    refused = any("nur die Verantwortlichen" in t or APOLOGY in t for t in texts)
    if row.expect == "change" and not attempt.changes:
        return [f"CONTROL changed nothing {attempt.where()}: {texts}"]
    if row.expect == "dialog" and "conversation_states" not in attempt.changes:
        return [f"CONTROL started no dialog {attempt.where()}: {texts}"]
    if row.expect == "post" and not attempt.to_others(ACTORS[attempt.actor]):
        return [f"CONTROL sent nothing elsewhere {attempt.where()}: {texts}"]
    if row.expect == "read" and (not texts or refused):
        return [f"CONTROL got no answer {attempt.where()}: {texts}"]
    shows = row.shows.format(**values)
    if shows and not any(shows in t for t in texts):
        return [f"CONTROL does not show {shows!r} {attempt.where()}: {texts}"]
    return []


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def template(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Template:
    """The world, built once per backend: the matrix runs on SQLite and PostgreSQL."""
    cluster = request.getfixturevalue("postgres_cluster") if request.param == "postgresql" else None
    return build_template(tmp_path_factory.mktemp("world"), cluster)


@pytest.fixture
async def world(template: Template, tmp_path: Path) -> AsyncIterator[World]:
    opened = await open_world(template, tmp_path)
    yield opened
    await opened.close()


def test_every_command_has_a_row() -> None:
    """A new command needs a row here, so the matrix stays complete."""
    missing = sorted({cmd.names[0] for cmd in _router().commands.values()} - set(COMMANDS))
    assert missing == [], f"add rows to COMMANDS for {missing}"


def test_every_button_has_a_row() -> None:
    missing = sorted(set(_router().buttons) - set(BUTTONS))
    assert missing == [], f"add rows to BUTTONS for {missing}"


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("name", sorted(COMMANDS))
async def test_command(name: str, world: World, caplog: pytest.LogCaptureFixture) -> None:
    row = COMMANDS[name]
    if _router().find(name) is None:
        pytest.skip(f"/{name} is not registered (yet)")
    caplog.set_level(logging.WARNING)
    problems: list[str] = []
    # Everyone who may not, first; then the allowed control, then the other allowed.
    order = sorted(ACTORS, key=lambda a: (a in row.allowed, a != row.control))
    for actor in order:
        if actor == "deployment_admin" and actor != row.control:
            continue  # administers everything: the control where it is the one allowed
        values = _values(world, actor)
        chats = _chats(actor)
        if actor == row.control:
            person = ACTORS[actor]
            chats = [private(person) if row.where == "private" else group(GROUP_1)]
        for chat in chats:
            text = f"/{name} {row.args.format(**values)}".strip()
            attempt = await _try(world, actor, chat, text=text)
            await _check(world, row, attempt, problems)
            if actor == row.control:
                problems += _control(row, attempt, values)
    problems += [f"ERROR LOGGED: {e}" for e in _errors(caplog)]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("action", sorted(BUTTONS))
async def test_button(action: str, world: World, caplog: pytest.LogCaptureFixture) -> None:
    row = BUTTONS[action]
    if action not in _router().buttons:
        pytest.skip(f"{action} is not registered (yet)")
    caplog.set_level(logging.WARNING)
    problems: list[str] = []
    order = sorted(ACTORS, key=lambda a: (a in row.allowed, a != row.control))
    for actor in order:
        if actor in ("deployment_admin", "anonymous"):
            # Anonymous admins press buttons as themselves (callback queries carry the user).
            continue
        values = _values(world, actor)
        # The group first: a private try may end the actor (priv.erase), and a later message
        # would then come from a new person.
        chats = ([group(GROUP_2)] if actor == "other_staff" else []) + [private(ACTORS[actor])]
        for chat in chats:
            button = (action, _resolve(row.args, values))
            attempt = await _try(world, actor, chat, button=button, follow_up=row.follow_up)
            await _check(world, row, attempt, problems)
            if actor == row.control:
                problems += _control(row, attempt, values)
    problems += [f"ERROR LOGGED: {e}" for e in _errors(caplog)]
    assert problems == [], "\n".join(problems)


def test_anonymous_admin_is_what_the_harness_plays() -> None:
    """The Telegram adapter turns a message posted as the group (``sender_chat``) into a
    bot sender named after the chat, as ANONYMOUS does in the matrix."""
    data = {
        "update_id": 7,
        "message": {
            "message_id": 3,
            "date": 0,
            "chat": {"id": int(GROUP_1), "type": "supergroup", "title": ANONYMOUS.name},
            "from": {"id": 1087968824, "is_bot": True, "first_name": "Group"},
            "sender_chat": {"id": int(GROUP_1), "type": "supergroup", "title": ANONYMOUS.name},
            "text": "/rolle_geben 2 admin",
        },
    }  # fmt: skip
    incoming = translate(Update.de_json(data, None), bot_id=42)
    assert incoming is not None
    assert (incoming.sender.external_id, incoming.sender.display_name, incoming.sender.is_bot) == (
        ANONYMOUS.user_id,
        ANONYMOUS.name,
        True,
    )


# --- Between communities: two communities' roles, foreign chats, stale dialogs ----------


async def _texts(world: World, who: Someone, text: str, chat: ChatRef) -> list[str]:
    return [s.text for s in await world.tg.say(who, text, chat=chat)]


async def _two_communities(world: World) -> None:
    """Susi, staff of community 1, joins community 2's group (and so becomes its member)."""
    await world.tg.say(SUSI, "/start", chat=group(GROUP_2))


async def test_joining_another_group_does_not_switch_the_private_chat(world: World) -> None:
    """Staff of community 1 who join community 2's group keep their staff commands in the
    private chat, and every answer there says which community it acts for."""
    await _two_communities(world)
    texts = await _texts(world, SUSI, "/ankuendigungen", private(SUSI))
    assert texts and texts[0].startswith("Gruppe: Digitalcafé Musterstadt\n"), texts
    assert any(SECRET_ANNOUNCEMENT in t for t in texts), texts
    [greeting] = await _texts(world, SUSI, "/start", private(SUSI))
    assert greeting.startswith("Gruppe: Digitalcafé Musterstadt\n"), greeting


async def test_switching_community_in_the_private_chat(world: World) -> None:
    """The switch is a command and a button list; after it the chat acts for the other
    community with the roles there, and switching back restores the staff commands."""
    await _two_communities(world)
    [listing] = await world.tg.say(SUSI, "/ankuendigungen", chat=private(SUSI))
    assert listing.buttons, listing.text
    [offer] = await world.tg.say(SUSI, "/gruppe_wechseln", chat=private(SUSI))
    labels = [label for label, _key in offer.buttons]
    # One number per group: the one /gruppe_wechseln takes (#18, point 13).
    assert labels == [
        "Nr. 1: Digitalcafé Musterstadt",
        f"Nr. {world.ids['community_2']}: Lesecafé Süd",
    ]
    [switched] = await world.tg.press(
        SUSI, offer, f"Nr. {world.ids['community_2']}: Lesecafé Süd", chat=private(SUSI)
    )
    assert "Lesecafé Süd" in switched.text, switched.text
    before = await snapshot(world.app)
    # The buttons offered for community 1 stop working (here: cancel its announcement).
    gone = await world.tg.press(SUSI, listing, listing.buttons[0][0], chat=private(SUSI))
    assert [s.text for s in gone] == ["Dieser Knopf geht nicht mehr.\nBitte schreiben Sie /start."]
    texts = await _texts(world, SUSI, "/ankuendigungen", private(SUSI))
    assert any("nur die Verantwortlichen" in t for t in texts), texts
    assert not any(SECRET_ANNOUNCEMENT in t for t in texts), texts
    assert differences(before, await snapshot(world.app)) == {}
    await world.tg.say(SUSI, "/gruppe_wechseln 1", chat=private(SUSI))
    texts = await _texts(world, SUSI, "/ankuendigungen", private(SUSI))
    assert any(SECRET_ANNOUNCEMENT in t for t in texts), texts


async def test_only_own_communities_can_be_chosen(world: World) -> None:
    """Mia (community 1 only) cannot switch to community 2, by number or by button."""
    member = ACTORS["member"]
    before = await snapshot(world.app)
    [refused] = await _texts(
        world, member, f"/gruppe_wechseln {world.ids['community_2']}", private(member)
    )
    assert refused == "Sie gehören zu keiner Gruppe mit dieser Nummer.", refused
    key = await make_button(
        world, private(member), "community.switch", {"community": world.ids["community_2"]}
    )
    shown = await world.tg.say(member, chat=private(member), button_key=key)
    assert [s.text for s in shown] == ["Dieser Knopf geht nicht mehr.\nBitte schreiben Sie /start."]
    assert differences(before, await snapshot(world.app)) == {}


async def test_relinking_a_foreign_chat_needs_its_admin(world: World) -> None:
    """Community 2's admin cannot take community 1's group; an admin of both can."""
    other = world.ids["community_2"]
    await world.tg.say(
        ACTORS["deployment_admin"],
        f"/rolle_geben {world.ids['other_staff']} admin",
        chat=group(GROUP_2),
    )
    await world.tg.say(OLGA, "/start", chat=group(GROUP_1))  # she writes there (a member)
    before = await snapshot(world.app)
    [refused] = await _texts(world, OLGA, f"/verbinden {other}", group(GROUP_1))
    assert refused.startswith("Dieser Chat gehört zu einer anderen Gruppe."), refused
    assert differences(before, await snapshot(world.app)) == {}
    # Anton administers community 1; made admin of community 2 too, he may move the chat.
    await world.tg.say(ANTON, "/start", chat=group(GROUP_2))
    await world.tg.say(
        ACTORS["deployment_admin"], f"/rolle_geben {world.ids['admin']} admin", chat=group(GROUP_2)
    )
    [done] = await _texts(world, ANTON, f"/verbinden {other}", group(GROUP_1))
    assert done == "Fertig. Dieser Chat gehört jetzt zu Lesecafé Süd.", done


async def test_role_commands_reach_only_the_own_community(world: World) -> None:
    """A number from another community gets the same answer as one that does not exist,
    and names nobody; deployment admins name the community in a private chat."""
    ada = ACTORS["deployment_admin"]
    before = await snapshot(world.app)
    [unknown] = await _texts(world, ANTON, "/rolle_geben 999 team", group(GROUP_1))
    [foreign] = await _texts(
        world, ANTON, f"/rolle_geben {world.ids['other_staff']} team", group(GROUP_1)
    )
    [taken] = await _texts(
        world, ANTON, f"/rolle_nehmen {world.ids['other_staff']} team", group(GROUP_1)
    )
    assert unknown == foreign == taken == "Ich finde keine Person mit dieser Nummer."
    [other_group] = await _texts(
        world, ANTON, f"/rolle_geben {world.ids['member']} team {world.ids['community_2']}",
        group(GROUP_1),
    )  # fmt: skip
    assert other_group == "Das darf leider nur ein Admin dieser Gruppe.", other_group
    [invite] = await _texts(
        world, SUSI, f"/lotse_einladen {world.ids['other_staff']}", group(GROUP_1)
    )
    [invite_unknown] = await _texts(world, SUSI, "/lotse_einladen 999", group(GROUP_1))
    assert invite == invite_unknown and OLGA.name not in invite
    assert differences(before, await snapshot(world.app)) == {}
    [granted] = await _texts(
        world,
        ada,
        f"/rolle_geben {world.ids['other_staff']} koordination {world.ids['community_2']}",
        private(ada),
    )
    assert granted == "Olga Fremd hat jetzt die Rolle Koordination.\nGruppe: Lesecafé Süd"


async def test_stale_dialogs_do_not_act(world: World) -> None:
    """A dialog started for community 1 and answered after switching to community 2 stops;
    one started with a role that was taken away since stops too."""
    await _two_communities(world)
    await world.tg.say(SUSI, "/anfrage", chat=private(SUSI))
    await world.tg.say(SUSI, "Fotos vom Handy schicken", chat=private(SUSI))
    await world.tg.say(SUSI, f"/gruppe_wechseln {world.ids['community_2']}", chat=private(SUSI))
    before = await snapshot(world.app)
    [stopped] = await _texts(world, SUSI, "dienstags", private(SUSI))
    assert stopped.endswith(
        "Diese Frage war für eine andere Gruppe. Ich habe sie beendet. Es wurde nichts geändert."
    ), stopped
    changes = differences(before, await snapshot(world.app))
    assert set(changes) == {"conversation_states"} and not changes["conversation_states"]["new"]
    # Back in community 1: an announcement dialog, then the role goes, then the answer.
    await world.tg.say(SUSI, "/gruppe_wechseln 1", chat=private(SUSI))
    await world.tg.say(SUSI, "/ankuendigung_neu", chat=private(SUSI))
    await world.tg.say(ANTON, f"/rolle_nehmen {world.ids['staff']} team", chat=group(GROUP_1))
    before = await snapshot(world.app)
    texts = await _texts(world, SUSI, "Am Freitag ist zu.", private(SUSI))
    assert any("nur die Verantwortlichen" in t for t in texts), texts
    changes = differences(before, await snapshot(world.app))
    assert set(changes) <= {"conversation_states"}, changes
