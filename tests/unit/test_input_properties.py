"""Strange input everywhere: every parser, and every dialog question answered with dates,
numbers, names, control characters, right-to-left text, emoji or 10,000 characters. Nothing
crashes, the person gets an answer in their language, and an answer the dialog refuses
(it asks the same question again) changes nothing.

Each dialog is entered by writing its state row (with the answers collected so far), as the
question before it would have; the property is about the typed answer. Examples are kept
few (see ``EXAMPLES``) so the set stays quick on two cores.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.chat import dialogs as conversations
from bot.chat.router import parse_choice, parse_command
from bot.dates import jobs
from bot.domain import weekly
from bot.domain.models import Chat, ConversationState, Person
from bot.domain.when import WhenError, parse_when
from bot.helping.asking import PHONE as _PHONE
from bot.language.plain_language import check
from handlers import build_router
from handlers.reminder_times import parse_times
from tests.scenarios.world import (
    ACTORS,
    APOLOGY,
    Template,
    World,
    build_template,
    differences,
    open_world,
    private,
    snapshot,
)

EXAMPLES = 30
EXAMPLES_POSTGRES = 10
T = TypeVar("T")
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

# Text people (and pranksters) type: control characters, right-to-left marks and scripts,
# emoji, digits that are no ASCII digits, plus the usual letters and punctuation.
ODD = "\x00\x01\x07\x08\x0b\x1b\x7f\u200b\u200e\u200f\u202e\u2066\ufeff\ufffd"
RTL = "שלוםمرحبا٣٤"
EMOJI = "😀👍🏽👨‍👩‍👧🇩🇪❤️"
DIGITS = "0123456789²³¹½٣۴߂१"
alphabet = st.sampled_from(
    list(ODD + RTL + EMOJI + DIGITS + "abcäöüßABC .,;:-–/+()=@#!?\n\t'\"")
) | st.characters(codec="utf-8")
odd_text = st.text(alphabet, max_size=60)
typed = st.one_of(
    odd_text,
    st.sampled_from(
        [
            "",
            " ",
            "²",
            "٣",
            "0",
            "-1",
            "+5",
            "1e9",
            "99999999999999999999",
            "3.5",
            "31.02.",
            "9.12. 25 Uhr",
            "29.2.2027 10 Uhr",
            "morgen 10 Uhr",
            "jeden 5. Montag 15 Uhr",
            '=HYPERLINK("x")',
            "ja",
            "nein",
            "zurück",
            "Frau Meier",
            "\u202eUhr 10 morgen",
        ]
    ),
    st.integers(-(10**30), 10**30).map(str),
    # Longer than a column (200 for titles and names), up to the longest message taken.
    st.text(alphabet, min_size=201, max_size=4000),
)
LONG = "Ä" * 10_000


# --- parsers -----------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(typed)
def test_weekly_words_never_fail(text: str) -> None:
    days, _hours = weekly.parse(text)
    assert all(0 <= d <= 6 for d in days)
    assert isinstance(weekly.windows(text), list)


@settings(max_examples=200, deadline=None)
@given(st.lists(typed, max_size=4))
def test_reminder_times_are_understood_or_refused(texts: list[str]) -> None:
    specs = parse_times(texts)
    for spec in specs or []:
        jobs.parse_offset(spec)  # whatever is accepted is a valid offset


@settings(max_examples=200, deadline=None)
@given(typed)
def test_offsets_fail_only_with_value_error(text: str) -> None:
    try:
        jobs.parse_offset(text)
    except ValueError:
        pass


@settings(max_examples=100, deadline=None)
@given(typed)
@example(LONG)
def test_plain_language_check_never_fails(text: str) -> None:
    for finding in check(text, announcement=True):
        assert finding.suggestion


@settings(max_examples=200, deadline=None)
@given(typed)
def test_phone_numbers_are_ascii_digits(text: str) -> None:
    if _PHONE.match(text.strip()):
        assert all(c in "0123456789 +/()-" for c in text.strip())


@settings(max_examples=200, deadline=None)
@given(typed, st.integers(0, 20))
def test_commands_and_choices_parse(text: str, count: int) -> None:
    parse_command(text)
    choice = parse_choice(text, count)
    assert choice is None or 0 <= choice < count


@settings(max_examples=200, deadline=None)
@given(typed)
def test_when_fails_only_with_when_error(text: str) -> None:
    try:
        parse_when(text, NOW, "Europe/Berlin", require_time=True)
    except WhenError:
        pass


# --- dialogs -----------------------------------------------------------------------------

# Dialog state → who is asked, and the answers collected before this question.
DIALOGS: dict[str, tuple[str, dict[str, Any]]] = {
    "rsvp.party": ("member", {"event": "$event", "numbers": True}),
    "newdate": ("staff", {"step": "title"}),
    "newdate:when": ("staff", {"step": "when", "title": "Café"}),
    "newdate:course": ("staff", {"step": "course", "rrule": "FREQ=WEEKLY", "numbers": True}),
    "newdate:online_link": ("staff", {"step": "online_link", "place": ""}),
    "newdate:capacity": ("staff", {"step": "capacity", "numbers": True}),
    "newdate:deadline": ("staff", {"step": "deadline"}),
    "ann.text": ("staff", {}),
    "ann.review": ("staff", {"text": "Hallo"}),
    "ann.when": ("staff", {"text": "Hallo"}),
    "ann.move": ("staff", {"id": "$announcement"}),
    "date.call_off": ("staff", {"event": "$event", "skip": False, "version": "0", "numbers": True}),
    "date.edit": ("staff", {"event": "$event", "step": "field", "numbers": True}),
    "date.edit:value": (
        "staff",
        {"event": "$event", "step": "value", "field": "place", "numbers": True},
    ),
    "date.edit:time": (
        "staff",
        {"event": "$event", "step": "value", "field": "time", "numbers": True},
    ),
    "date.edit:confirm": (
        "staff",
        {
            "event": "$event",
            "step": "confirm",
            "field": "place",
            "value": "Raum 9",
            "whole": False,
            "numbers": True,
        },
    ),
    "ci.guest_name": ("staff", {"event": "$event", "numbers": True}),
    "fb.comment": ("member", {"event": "$event"}),
    "fb.wish": ("member", {"event": "$event"}),
    "hr.skill": ("member", {}),
    "hr.describe": ("member", {"skill": "smartphone"}),
    "hr.when": ("member", {"skill": "smartphone", "description": "Fotos"}),
    "hr.where": ("member", {"skill": "smartphone", "description": "Fotos"}),
    "hr.area": ("member", {"skill": "smartphone", "place": "home"}),
    "hr.phone": ("member", {"skill": "smartphone", "place": "phone"}),
    "hr.message": ("volunteer", {"request": "$request_accepted"}),
    "hr.agreed": ("volunteer", {"request": "$request_accepted"}),
    "hr.minutes": ("volunteer", {"request": "$request_accepted", "numbers": True}),
    "hr.note": ("volunteer", {"request": "$request_accepted", "minutes": 30}),
    "vol.languages": ("volunteer", {}),
    "vol.areas": ("volunteer", {}),
    "vol.times": ("volunteer", {}),
    "vol.max_open": ("volunteer", {"numbers": True}),
    "admin.group_name": ("deployment_admin", {}),
    "priv.area": ("member", {}),
    "exp.ask": ("coordinator", {"step": "period", "what": "attendance", "fmt": "csv"}),
    "nl.address": ("member", {"rhythm": "weekly"}),
}
ENGLISH = {"rsvp.party", "newdate:when", "hr.phone", "fb.comment", "vol.max_open"}
# Words that give away the other language in an answer (the person's own text removed).
GIVE_AWAY = {
    "de": ("Please", "Sorry", "Thank you", " the "),
    "en": ("Bitte", "Sie ", "Danke", "Entschuldigung"),
}


def test_every_dialog_state_is_tried() -> None:
    states = set(build_router().states)
    tried = {name.split(":")[0] for name in DIALOGS}
    assert states - tried == set(), f"add the new dialog states to DIALOGS: {states - tried}"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def template(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Template:
    """The world on each backend: PostgreSQL refuses what SQLite stores (NUL bytes, text
    longer than its column), so a property that holds on one may fail on the other."""
    server = request.getfixturevalue("postgres_cluster") if request.param == "postgresql" else None
    return build_template(tmp_path_factory.mktemp("world"), server)


def examples(template: Template) -> int:
    """Fewer random examples on PostgreSQL (each costs a round trip per statement); the
    explicit ``@example`` cases run on both."""
    return EXAMPLES if template.backend == "sqlite" else EXAMPLES_POSTGRES


class Loop:
    """Runs coroutines one after another in one event loop and one context, so what the
    app puts in context variables (the catalogs) stays there between calls."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._context = contextvars.copy_context()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._loop.run_until_complete(self._loop.create_task(coro, context=self._context))

    def close(self) -> None:
        self._loop.close()


@pytest.fixture
def runner() -> Iterator[Loop]:
    made = Loop()
    yield made
    made.close()


async def _enter(world: World, actor: str, state: str, data: dict[str, Any]) -> None:
    values = world.ids
    data = {k: values[v[1:]] if isinstance(v, str) and v[:1] == "$" else v for k, v in data.items()}
    data.setdefault("numbers", False)
    async with world.app.sessions.begin() as session:
        chat_id = await session.scalar(
            select(Chat.id).where(Chat.external_id == ACTORS[actor].user_id)
        )
        assert chat_id is not None
        chat = await session.get(Chat, chat_id)
        assert chat is not None
        # The question is the last message: a typed "2" must not pick an earlier button.
        chat.choices = None
        await conversations.set_state(
            session, chat_id, world.ids[actor], state, data, world.clock.now()
        )


async def _state_of(world: World, actor: str) -> tuple[str, Any] | None:
    async with world.app.sessions() as session:
        row = await session.scalar(
            select(ConversationState)
            .join(Chat, Chat.id == ConversationState.chat_id)
            .where(
                Chat.external_id == ACTORS[actor].user_id,
                ConversationState.person_id == world.ids[actor],
            )
        )
        return None if row is None else (row.state, repr(row.data))


async def _set_locale(world: World, actor: str, locale: str) -> None:
    async with world.app.sessions.begin() as session:
        person = await session.get(Person, world.ids[actor])
        assert person is not None
        person.locale = locale


@pytest.mark.parametrize(
    ("dialog", "locale"),
    [(name, "de") for name in DIALOGS] + [(name, "en") for name in sorted(ENGLISH)],
)
def test_dialog_answers(
    dialog: str,
    locale: str,
    template: Template,
    tmp_path: Path,
    runner: Loop,
    caplog: pytest.LogCaptureFixture,
) -> None:
    state = dialog.split(":")[0]
    if state not in build_router().states:
        pytest.skip(f"dialog {state} is not registered (yet)")
    actor, data = DIALOGS[dialog]
    world = runner.run(open_world(template, tmp_path))
    caplog.set_level(logging.WARNING)
    problems: list[str] = []

    async def answer(text: str) -> None:
        await _enter(world, actor, state, data)
        asked = await _state_of(world, actor)
        before = await snapshot(world.app)
        shown = await world.tg.say(ACTORS[actor], text, chat=private(ACTORS[actor]))
        after = await snapshot(world.app)
        replies = [s.text for s in shown if s.chat_id == ACTORS[actor].user_id]
        where = f"{dialog} ({locale}) answered {text[:80]!r}"
        if any(APOLOGY in t for t in replies):
            problems.append(f"CRASH {where}: {replies}")
            return
        if not replies:
            problems.append(f"NO ANSWER {where}")
        for reply in replies:
            rest = reply.replace(text.strip(), "")
            wrong = [w for w in GIVE_AWAY[locale] if w in rest]
            if wrong:
                problems.append(f"LANGUAGE {where}: {wrong} in {reply[:120]!r}")
        # Asked the same question again: the answer was refused, so nothing may change.
        if await _state_of(world, actor) == asked:
            changes = differences(before, after)
            changes.pop("conversation_states", None)
            if changes:
                problems.append(f"REFUSED BUT CHANGED {where}: {changes}")

    @settings(
        max_examples=examples(template),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
    @given(typed)
    @example(LONG)
    @example("²")
    @example("99999999999999999999")
    @example("\u202e\x00😀")
    @example("Ä" * 201)  # one more than a title or a name may have
    @example("Café\x00" * 60)
    @example("2026")  # a valid answer: the export dialog then finishes (kept without a group)
    def run(text: str) -> None:
        runner.run(answer(text))

    try:
        if locale != "de":
            runner.run(_set_locale(world, actor, locale))
        run()
    finally:
        runner.run(world.close())
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    problems += [f"ERROR LOGGED: {e[:200]}" for e in dict.fromkeys(errors)]
    assert problems == [], "\n".join(dict.fromkeys(problems))


# --- command arguments -------------------------------------------------------------------

# Commands with a number or a date in their arguments, tried by who may run them.
ARGUMENTS = {
    "absagen": "staff",
    "aendern": "staff",
    "ausfallen": "staff",
    "verschieben": "staff",
    "anmelden_fuer": "staff",
    "teilnehmer": "staff",
    "erinnerungen": "staff",
    "anwesenheit": "staff",
    "qr": "staff",
    "aushang": "staff",
    "ankuendigen": "staff",
    "lotse_einladen": "staff",
    "faehigkeiten": "staff",
    "hilfe_fuer": "staff",
    "rolle_geben": "admin",
    "pause": "volunteer",
    "hier": "member",
    "verbinden": "member",
    "nachweis": "volunteer",
}


@pytest.mark.parametrize("command", sorted(ARGUMENTS))
def test_command_arguments(
    command: str,
    template: Template,
    tmp_path: Path,
    runner: Loop,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Numbers that are no numbers ("²", "٣"), huge numbers, odd separators: a short answer."""
    if build_router().find(command) is None:
        pytest.skip(f"/{command} is not registered (yet)")
    actor = ARGUMENTS[command]
    world = runner.run(open_world(template, tmp_path))
    caplog.set_level(logging.WARNING)
    problems: list[str] = []

    async def run_one(args: str) -> None:
        shown = await world.tg.say(ACTORS[actor], f"/{command} {args}", chat=private(ACTORS[actor]))
        replies = [s.text for s in shown]
        if not replies or any(APOLOGY in t for t in replies):
            problems.append(f"/{command} {args[:60]!r}: {replies}")

    @settings(
        max_examples=examples(template),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
    @given(st.one_of(typed, st.lists(typed, min_size=1, max_size=4).map("; ".join)))
    @example("²")
    @example("99999999999999999999")
    @example("1; ²; ²")
    @example("٣; 16 Uhr")
    def run(args: str) -> None:
        runner.run(run_one(args))

    try:
        run()
    finally:
        runner.run(world.close())
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    problems += [f"ERROR LOGGED: {e[:200]}" for e in dict.fromkeys(errors)]
    assert problems == [], "\n".join(dict.fromkeys(problems))
