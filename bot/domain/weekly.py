"""Rough weekly times in German (and English) words: "dienstags nachmittags",
"Mo und Do 14–18 Uhr", "vormittags". Used for when volunteers have time and when
residents would like help; what is not understood stays as text and matches anything."""

from __future__ import annotations

import re

from bot.domain.when import WEEKDAY_WORDS

# The date parser's German weekday words, and the English ones.
DAYS = {
    **WEEKDAY_WORDS,
    **{"monday": 0, "mondays": 0, "tuesday": 1, "tuesdays": 1, "wednesday": 2},
    **{"wednesdays": 2, "thursday": 3, "thursdays": 3, "friday": 4, "fridays": 4},
    **{"saturday": 5, "saturdays": 5, "sunday": 6, "sundays": 6},
}
PARTS = {
    "morgens": (8, 11), "vormittags": (9, 12), "vormittag": (9, 12), "mittags": (11, 14),
    "nachmittags": (13, 18), "nachmittag": (13, 18), "abends": (17, 21), "abend": (17, 21),
    "morning": (9, 12), "mornings": (9, 12), "afternoon": (13, 18), "afternoons": (13, 18),
    "evening": (17, 21), "evenings": (17, 21),
}  # fmt: skip
WORKDAYS = {"werktags", "wochentags", "weekdays"}
WEEKEND = {"wochenende", "weekend", "weekends"}
_HOURS = re.compile(r"(\d{1,2})(?:[:.]\d{2})?\s*(?:-|–|bis|to)\s*(\d{1,2})(?:[:.]\d{2})?")


def parse(text: str) -> tuple[list[int], list[int]]:
    """Weekdays (Monday 0) and an hour range [from, to] found in the text; empty when none."""
    words = re.findall(r"[a-zäöüß]+", text.casefold())
    days: set[int] = set()
    hours: tuple[int, int] | None = None
    for word in words:
        if word in DAYS:
            days.add(DAYS[word])
        elif word in WORKDAYS:
            days |= {0, 1, 2, 3, 4}
        elif word in WEEKEND:
            days |= {5, 6}
        elif word in PARTS:
            low, high = PARTS[word]
            hours = (min(hours[0], low), max(hours[1], high)) if hours else (low, high)
    if found := _HOURS.search(text):
        low, high = int(found.group(1)), int(found.group(2))
        if 0 <= low < high <= 24:
            hours = (low, high)
    return sorted(days), list(hours) if hours else []


def windows(text: str) -> list[dict[str, int]]:
    """Weekly windows: "dienstags 14-18, donnerstags vormittags"; in "Mo und Do 14-18" the
    hours named after several days apply to all of them."""
    found: list[dict[str, int]] = []
    waiting: list[int] = []  # days named so far without hours
    for part in re.split(r"[,;]|\bund\b|\band\b", text):
        days, hours = parse(part)
        if not hours:
            waiting += days
            continue
        for day in waiting + days or list(range(7)):
            found.append({"day": day, "from": hours[0], "to": hours[1]})
        waiting = []
    found += [{"day": day, "from": 8, "to": 20} for day in waiting]
    return found
