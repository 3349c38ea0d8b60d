"""The sign-up conversation as data, run unchanged through every platform.

Staff create the monthly Digitalcafé in their private chat and announce it in the group; a
member taps "Ich komme mit Begleitung" under the post, says how many come along, gets the
confirmation privately with the date as a calendar file, and gives the place back.

A step is "who says X (or presses button Y) where, and expects a message containing Z
where". What differs per platform (how a button is pressed, how a command is written, where
a file shows up, how a chat is told apart) is the business of the drivers in
``tests/scenarios/drivers.py``, never of the script: on the console and on Matrix a button is
typed as its number, on Telegram it is tapped.

``ANNOUNCE + BRING_COMPANION`` is also how the monthly-café tests on the console and on
Telegram (``tests/e2e/test_dates_*.py``) begin before their crowd of residents signs up.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

Who = Literal["staff", "member"]
Where = Literal["private", "group"]
STAFF: Who = "staff"
MEMBER: Who = "member"
PRIVATE: Where = "private"
GROUP: Where = "group"


@dataclass(frozen=True)
class Expect:
    """A message the bot must send in answer: to the group, or privately to whoever acted."""

    where: Where
    texts: tuple[str, ...]
    # The message begins with this text (its first line, as a person reads it).
    starts: str = ""
    # The message's first button (the one a 👍 picks) has this label.
    first_button: str = ""
    # The message comes with a file of this name (on platforms that send files).
    file: str = ""


@dataclass(frozen=True)
class Step:
    who: Who
    where: Where
    # "say": write the text; "press": press the button with this label.
    action: Literal["say", "press"]
    value: str
    expect: Expect


@dataclass
class Reply:
    """A message of the bot as a person reads it, the same on every platform."""

    where: Where
    text: str
    labels: tuple[str, ...] = ()
    file: str = ""
    # The platform's own record of it (a SentRecord, a nio event, the printed text).
    raw: Any = None


def matches(reply: Reply, expect: Expect) -> bool:
    return (
        reply.where == expect.where
        and all(text in reply.text for text in expect.texts)
        and reply.text.startswith(expect.starts)
        and (not expect.first_button or reply.labels[:1] == (expect.first_button,))
        and (not expect.file or reply.file == expect.file)
    )


class Driver(Protocol):
    """Plays staff and the member on one platform."""

    async def say(self, who: Who, where: Where, text: str, expect: Expect) -> Reply:
        """``who`` writes ``text``; returns the first answer that meets ``expect``."""
        ...

    async def press(self, who: Who, where: Where, label: str, expect: Expect) -> Reply:
        """``who`` presses the button ``label`` under the bot's latest message offering it."""
        ...


def say(who: Who, where: Where, text: str, expect: Expect) -> Step:
    return Step(who, where, "say", text, expect)


def press(who: Who, where: Where, label: str, expect: Expect) -> Step:
    return Step(who, where, "press", label, expect)


def to_staff(*texts: str, starts: str = "") -> Expect:
    return Expect(PRIVATE, texts, starts=starts)


DATE = "Mittwoch, 2. Dezember 2026, 15:00 Uhr"  # the first Wednesday after the fake clock's day
CALENDAR_FILE = "termin-2026-12-02.ics"
TITLE = "Digitalcafé"
PLACE = "Stadtbibliothek, Markt 1"

ANNOUNCE: list[Step] = [
    say(STAFF, PRIVATE, "/termin_neu", to_staff("Wie heißt der Termin?")),
    say(STAFF, PRIVATE, TITLE, to_staff("Wann")),
    say(STAFF, PRIVATE, "jeden 1. Mittwoch 15 Uhr", to_staff("?")),
    press(STAFF, PRIVATE, "Fortlaufend", to_staff("?")),
    say(STAFF, PRIVATE, PLACE, to_staff("?")),
    press(STAFF, PRIVATE, "Überspringen", to_staff("?")),
    say(STAFF, PRIVATE, "Fotos vom Handy schicken", to_staff("?")),
    say(STAFF, PRIVATE, "15", to_staff("?")),
    say(STAFF, PRIVATE, "Frau Meier, Telefon 04542 1234", to_staff("?")),
    press(STAFF, PRIVATE, "Bis zum Beginn", to_staff("?")),
    press(STAFF, PRIVATE, "Überspringen", to_staff("So sehen es die Mitglieder", DATE)),
    press(
        STAFF,
        PRIVATE,
        "Speichern und jetzt ankündigen",
        Expect(
            GROUP,
            (
                f"{TITLE}\n{DATE}\n",
                "Noch 15 von 15 Plätzen frei.",
                "Fragen? Frau Meier, Telefon 04542 1234",
            ),
            starts=TITLE,
            first_button="Ich komme",
        ),
    ),
]

BRING_COMPANION: list[Step] = [
    press(
        MEMBER,
        GROUP,
        "Ich komme mit Begleitung",
        # Asked privately: nobody else can answer it for the member.
        Expect(PRIVATE, (), starts="Wie viele Personen bringen Sie mit?"),
    ),
    say(
        MEMBER,
        PRIVATE,
        "1",
        Expect(PRIVATE, (), starts="Sie sind angemeldet, mit 1 Begleitperson.", file=CALENDAR_FILE),
    ),
]

GIVE_BACK: list[Step] = [
    say(MEMBER, PRIVATE, "/abmelden", Expect(PRIVATE, (f"Sie sind abgemeldet von: {TITLE}",))),
]

SIGN_UP: list[Step] = ANNOUNCE + BRING_COMPANION + GIVE_BACK


async def run_script(driver: Driver, steps: Sequence[Step]) -> list[Reply]:
    """Every step through ``driver``; the answers that met the expectations, in order."""
    replies = []
    for step in steps:
        act = driver.say if step.action == "say" else driver.press
        replies.append(await act(step.who, step.where, step.value, step.expect))
    return replies


# Where a platform has no buttons, they are numbered lines under the text and a hint; under
# a question that takes a number, they are words to write ("– Fortlaufend").
_CHOICE_LINE = re.compile(r"^(\d+)? ?– (.+)$")


def split_choices(text: str) -> tuple[str, tuple[str, ...]]:
    """A message with numbered choices ("1 – Ich komme", then a hint) as text and labels."""
    lines = text.split("\n")
    if lines and not _CHOICE_LINE.match(lines[-1]):
        hint = lines[-1:]
        lines = lines[:-1]
    else:
        hint = []
    labels: list[str] = []
    while lines and (found := _CHOICE_LINE.match(lines[-1])):
        labels.insert(0, found.group(2))
        lines.pop()
    if not labels:
        return "\n".join(lines + hint), ()
    return "\n".join(lines).rstrip("\n"), tuple(labels)


def typed_choice(text: str, label: str) -> str | None:
    """What to type for the button ``label`` of a message with numbered choices (None: it
    offers no such button): its number, or the word itself where the question asks for a
    number ("… schreiben Sie die Zahl. Sonst schreiben Sie: Fortlaufend", the choices then
    shown as "– Fortlaufend"), as a reader would."""
    for line in text.split("\n"):
        found = _CHOICE_LINE.match(line)
        if found and found.group(2) == label:
            return found.group(1) or label
    return None
