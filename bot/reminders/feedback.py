"""After a date: the five faces it is rated with, and storing a person's answers (the face,
a comment, a topic wish) in their own feedback row.

Only attendees were asked, so only they have a row; an answer without one changes nothing.
"""

from __future__ import annotations

import unicodedata
from typing import Literal, TypeGuard

from sqlalchemy import select

from bot.domain.models import Event, Feedback, Series
from bot.domain.work import Work
from bot.language.i18n import N_

# Best first, so "1" typed on a platform without buttons is the happiest face.
RATINGS: tuple[tuple[int, str, str], ...] = (
    (5, "😀", N_("Very good")),
    (4, "🙂", N_("Good")),
    (3, "😐", N_("Okay")),
    (2, "🙁", N_("Not so good")),
    (1, "😞", N_("Bad")),
)
MAX_ANSWER = 1000
# An answer meaning "nothing to add" is stored as "" (answered, nothing said).
NO_WORDS = {"nein", "nein danke", "nein, danke", "no", "no thanks", "no, thanks", "nichts", "-"}

Step = Literal["comment", "wish"]


def is_rating(value: object) -> TypeGuard[int]:
    """Whether ``value`` is one of the stored ratings (1 to 5)."""
    return value in {stored for stored, _face, _words in RATINGS}


async def _row(work: Work, event_id: object, person_id: int) -> Feedback | None:
    if not isinstance(event_id, int):
        return None
    return await work.session.scalar(
        select(Feedback).where(Feedback.event_id == event_id, Feedback.person_id == person_id)
    )


async def rate(
    work: Work, event_id: object, person_id: int, rating: object
) -> Literal["gone", "first", "changed"]:
    """Store the face; "changed" when the person had rated before, "gone" when they have
    no feedback row for the date (or the rating is none of the five)."""
    row = await _row(work, event_id, person_id)
    if row is None or not is_rating(rating):
        return "gone"
    changed = row.rating is not None
    row.rating, row.answered_at = int(rating), work.now
    return "changed" if changed else "first"


async def answer(
    work: Work, event_id: object, person_id: int, step: Step, text: str, *, ask_wishes: bool
) -> Literal["gone", "ask_wish", "done"]:
    """Store the comment or the topic wish ("nein" stores an empty answer); "ask_wish"
    after a comment when the date asks for topic wishes (``ask_wishes``: the policy's
    switch; a series can switch it off)."""
    row = await _row(work, event_id, person_id)
    if row is None:
        return "gone"
    said = "" if _normalise(text) in NO_WORDS else text.strip()[:MAX_ANSWER]
    if step == "wish":
        row.wish = said
        return "done"
    row.comment = said
    if ask_wishes and await _series_asks_wishes(work, row.event_id):
        return "ask_wish"
    return "done"


async def _series_asks_wishes(work: Work, event_id: int) -> bool:
    series_id = await work.session.scalar(select(Event.series_id).where(Event.id == event_id))
    if series_id is None:
        return True
    return bool(await work.session.scalar(select(Series.ask_wishes).where(Series.id == series_id)))


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().strip(".!").casefold()
